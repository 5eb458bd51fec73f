package dev.sibyl.streams.core;

import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.SchemaRegistryException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Turns the raw bytes of a telemetry record into a valid {@link TelemetryPoint}, or says at which
 * stage and why it cannot: the first step of every engine (the Kafka Streams decode processor, the
 * Flink decode function), kept in one place so that both dead-letter the same records with the same
 * reasons.
 *
 * <p>The value deserializer reads both wire formats (Avro single-object encoding without a
 * registry, the Confluent framing with one), as configured by the caller.
 */
public final class PointDecoder {

  /** Stage of a record whose bytes are not a telemetry point. */
  public static final String STAGE_DESERIALIZE = "deserialize";

  /** Stage of a decoded point that fails {@link PointValidator}. */
  public static final String STAGE_VALIDATE = "validate";

  private final Deserializer<TelemetryPoint> deserializer;
  private final PointValidator validator;

  /**
   * @param deserializer the telemetry value deserializer; not null
   * @param validator checks decoded points; not null
   */
  public PointDecoder(Deserializer<TelemetryPoint> deserializer, PointValidator validator) {
    this.deserializer = Objects.requireNonNull(deserializer, "deserializer");
    this.validator = Objects.requireNonNull(validator, "validator");
  }

  /**
   * The outcome of decoding one record: a point, or a stage and a reason.
   *
   * @param point the valid point; null when the record was refused
   * @param stage {@link #STAGE_DESERIALIZE} or {@link #STAGE_VALIDATE}; null for a valid point
   * @param error why the record was refused; null for a valid point
   */
  public record Decoded(TelemetryPoint point, String stage, String error) {

    static Decoded refused(String stage, String error) {
      return new Decoded(null, stage, error);
    }
  }

  /**
   * Decodes and validates one record.
   *
   * @param topic the topic it was read from (the registry subject may depend on it)
   * @param rawKey the key bytes; may be null
   * @param rawValue the value bytes; may be null (a tombstone, refused)
   * @param nowMillis the wall clock, for the future-timestamp check
   * @return the point or the refusal
   * @throws SchemaRegistryException when the registry is down or refuses the client: nothing is
   *     wrong with the record, so the caller must fail and retry rather than dead-letter it
   */
  public Decoded decode(String topic, byte[] rawKey, byte[] rawValue, long nowMillis) {
    if (rawValue == null) {
      return Decoded.refused(STAGE_DESERIALIZE, "value is null (a tombstone is not a telemetry point)");
    }
    TelemetryPoint point;
    try {
      point = deserializer.deserialize(topic, rawValue);
    } catch (SchemaRegistryException e) {
      throw e;
    } catch (RuntimeException e) {
      return Decoded.refused(STAGE_DESERIALIZE, describe(e));
    }
    String key = rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8);
    String problem = validator.problemWith(key, point, nowMillis);
    if (problem != null) {
      return Decoded.refused(STAGE_VALIDATE, problem);
    }
    return new Decoded(point, null, null);
  }

  /**
   * The exception's message and its causes', which is where Avro puts the useful part.
   *
   * @param e the failure; not null
   * @return the messages joined by ": ", each once
   */
  public static String describe(Throwable e) {
    StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
      if (cause.getMessage() != null && !message.toString().contains(cause.getMessage())) {
        message.append(": ").append(cause.getMessage());
      }
    }
    return message.toString();
  }
}
