package dev.sibyl.streams.kafka;

import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.SchemaRegistryException;
import dev.sibyl.streams.core.PointValidator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * First step of the topology: turns raw telemetry bytes into a valid {@link TelemetryPoint}, or a
 * dead letter with the reason. Decoding here rather than in the source's deserializer keeps the
 * original bytes in hand, so nothing is dropped: Kafka Streams' deserialization handlers could only
 * log or fail.
 */
final class DecodeProcessor implements Processor<byte[], byte[], Object, Object> {

  private final Deserializer<TelemetryPoint> deserializer;
  private final PointValidator validator;
  private final List<String> children;
  private ProcessorContext<Object, Object> context;

  /**
   * @param deserializer the telemetry value deserializer
   * @param validator checks decoded points
   * @param children the processors every valid point goes to, in order
   */
  DecodeProcessor(Deserializer<TelemetryPoint> deserializer, PointValidator validator, List<String> children) {
    this.deserializer = deserializer;
    this.validator = validator;
    this.children = List.copyOf(children);
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    byte[] rawKey = record.key();
    byte[] rawValue = record.value();
    String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
    if (rawValue == null) {
      deadLetter(record, DeadLetters.STAGE_DESERIALIZE, "value is null (a tombstone is not a telemetry point)");
      return;
    }
    TelemetryPoint point;
    try {
      point = deserializer.deserialize(topic, rawValue);
    } catch (SchemaRegistryException e) {
      // The registry is down or refuses us: nothing is wrong with the record, so it must not be
      // dead-lettered. Fail the task; it retries from the last committed offset.
      throw e;
    } catch (RuntimeException e) {
      deadLetter(record, DeadLetters.STAGE_DESERIALIZE, describe(e));
      return;
    }
    String key = rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8);
    String problem = validator.problemWith(key, point, context.currentSystemTimeMs());
    if (problem != null) {
      deadLetter(record, DeadLetters.STAGE_VALIDATE, problem);
      return;
    }
    Record<Object, Object> decoded =
        new Record<>(point.getSource(), new DecodedPoint(point, rawKey, rawValue), record.timestamp());
    for (String child : children) {
      context.forward(decoded, child);
    }
  }

  private void deadLetter(Record<byte[], byte[]> record, String stage, String error) {
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    context.forward(
        new Record<Object, Object>(key, DeadLetters.of(context, record.key(), record.value(), stage, error), record.timestamp()),
        ForecastTopology.DEAD_LETTER_SINK);
  }

  /** The exception's message and its causes', which is where Avro puts the useful part. */
  static String describe(Throwable e) {
    StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
      if (cause.getMessage() != null && !message.toString().contains(cause.getMessage())) {
        message.append(": ").append(cause.getMessage());
      }
    }
    return message.toString();
  }
}
