package dev.sibyl.streams.kafka;

import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.streams.core.PointDecoder;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Builds {@link DeadLetter} records from the record being processed. */
final class DeadLetters {

  /** The stage names written into {@link DeadLetter#getStage()}. */
  static final String STAGE_DESERIALIZE = PointDecoder.STAGE_DESERIALIZE;

  static final String STAGE_VALIDATE = PointDecoder.STAGE_VALIDATE;
  static final String STAGE_ORDER = "order";
  static final String STAGE_FORECAST = "forecast";
  static final String STAGE_HEALTH = "health";

  private DeadLetters() {}

  /**
   * @param context the context of the processor handling the record (for its topic, partition and
   *     offset, and the wall clock)
   * @param rawKey the key bytes as they arrived; may be null
   * @param rawValue the value bytes as they arrived; may be null
   * @param stage one of the STAGE constants
   * @param error why the record could not be processed
   */
  static DeadLetter of(ProcessorContext<?, ?> context, byte[] rawKey, byte[] rawValue, String stage, String error) {
    RecordMetadata metadata = context.recordMetadata().orElse(null);
    return DeadLetter.newBuilder()
        .setTopic(metadata == null ? "" : metadata.topic())
        .setPartition(metadata == null ? -1 : metadata.partition())
        .setOffset(metadata == null ? -1 : metadata.offset())
        .setKey(rawKey == null ? null : ByteBuffer.wrap(rawKey))
        .setValue(rawValue == null ? null : ByteBuffer.wrap(rawValue))
        .setError(error)
        .setStage(stage)
        .setTime(Instant.ofEpochMilli(context.currentSystemTimeMs()))
        .build();
  }
}
