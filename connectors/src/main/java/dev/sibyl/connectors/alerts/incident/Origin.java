package dev.sibyl.connectors.alerts.incident;

/**
 * Where a record came from in Kafka, so that a notification it caused can be traced back to it
 * (and dead-lettered with that position) and so that offsets are not committed past it while its
 * incident is open.
 *
 * @param topic the topic; never null ({@code ""} when not from Kafka)
 * @param partition the partition, or -1
 * @param offset the offset, or -1
 * @param key the record key as it arrived; may be null
 * @param value the record value as it arrived; may be null
 */
public record Origin(String topic, int partition, long offset, byte[] key, byte[] value) {

  /** An origin for events that did not come from Kafka (tests, timers). */
  public static final Origin NONE = new Origin("", -1, -1, null, null);
}
