package dev.sibyl.streams.kafka;

import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.core.PointDecoder;
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

  private final PointDecoder decoder;
  private final List<String> children;
  private ProcessorContext<Object, Object> context;

  /**
   * @param deserializer the telemetry value deserializer
   * @param validator checks decoded points
   * @param children the processors every valid point goes to, in order
   */
  DecodeProcessor(Deserializer<TelemetryPoint> deserializer, PointValidator validator, List<String> children) {
    this.decoder = new PointDecoder(deserializer, validator);
    this.children = List.copyOf(children);
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
    // A SchemaRegistryException passes through: the registry is down or refuses us, nothing is
    // wrong with the record, so the task fails and retries from the last committed offset.
    PointDecoder.Decoded result = decoder.decode(topic, record.key(), record.value(), context.currentSystemTimeMs());
    if (result.point() == null) {
      deadLetter(record, result.stage(), result.error());
      return;
    }
    TelemetryPoint point = result.point();
    Record<Object, Object> decoded =
        new Record<>(point.getSource(), new DecodedPoint(point, record.key(), record.value()), record.timestamp());
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

  /** The exception's message and its causes' (see {@link PointDecoder#describe}). */
  static String describe(Throwable e) {
    return PointDecoder.describe(e);
  }
}
