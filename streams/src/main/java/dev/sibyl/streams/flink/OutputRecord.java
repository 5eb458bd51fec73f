package dev.sibyl.streams.flink;

/**
 * One record for the Kafka sink, already encoded: forecasts, flags, health estimates and dead
 * letters all leave the job through one exactly-once sink, each naming its topic. Encoding in the
 * operator that makes the record keeps Avro objects out of Flink's serializers.
 *
 * @param topic the output topic
 * @param key the key bytes (the source, UTF-8); may be null
 * @param value the encoded value
 * @param timestamp the record timestamp, epoch milliseconds
 */
public record OutputRecord(String topic, byte[] key, byte[] value, long timestamp) {}
