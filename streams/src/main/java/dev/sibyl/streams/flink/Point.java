package dev.sibyl.streams.flink;

/**
 * A telemetry point after decoding and validation, in the form Flink serializes without Kryo:
 * channels in name order with their values in the same order (the order Kafka Streams' series
 * processor walks them in, so that both engines emit in the same order).
 *
 * @param source the unit; the key of every keyed operator
 * @param timestamp event time, epoch milliseconds
 * @param channels channel names, sorted; shape (channels)
 * @param values finite values; shape (channels)
 * @param raw the record it was decoded from, for dead letters of later stages
 */
public record Point(String source, long timestamp, String[] channels, double[] values, RawRecord raw) {}
