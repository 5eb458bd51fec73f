package dev.sibyl.streams.flink;

/**
 * A telemetry record as read from Kafka, bytes untouched, with where it came from: decoding happens
 * in {@link DecodeFunction}, so that a record that cannot be decoded still reaches the dead-letter
 * topic byte for byte. A Flink POJO (a record of serializable fields), so no Kryo is involved.
 *
 * @param topic the topic it was read from
 * @param partition its partition
 * @param offset its offset
 * @param timestamp the Kafka record timestamp, epoch milliseconds
 * @param key the key bytes; may be null
 * @param value the value bytes; may be null (a tombstone)
 */
public record RawRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {}
