package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.SeriesId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A forecast that was due and is not yet answered, as the {@value ForecastTopology#SERIES_PENDING_STORE}
 * store keeps it: the request (the window snapshot and the horizon), and what is needed to emit its
 * answer or dead-letter it later, from another thread's answer or after a restart: the output
 * record's timestamp and the input record that made it due (topic, partition, offset, key and value
 * bytes).
 *
 * <p>Stored format, version {@value #VERSION}: {@code byte version, utf source, utf channel, int
 * horizon, long stepMillis, long recordTimestamp, int n, n * (long timestamp, double value), utf
 * topic, int partition, long offset, bytes key, bytes value}, where utf is an int length and UTF-8
 * bytes, and bytes an int length (-1 for null) and the bytes. Unknown versions are rejected.
 *
 * @param series the series
 * @param request the window and horizon to forecast
 * @param recordTimestamp timestamp of the output record (the input record's)
 * @param topic input topic of the record that made it due ("" when unknown)
 * @param partition its partition (-1 when unknown)
 * @param offset its offset (-1 when unknown)
 * @param rawKey its key bytes; may be null
 * @param rawValue its value bytes; may be null
 */
record PendingForecast(
    SeriesId series,
    ForecastRequest request,
    long recordTimestamp,
    String topic,
    int partition,
    long offset,
    byte[] rawKey,
    byte[] rawValue) {

  /** The stored format's version. */
  static final byte VERSION = 1;

  /**
   * The store key: the series' store key, the separator, the issue time in decimal. A series may
   * have several forecasts pending (a slow pool, a short cadence); the issue times of one series
   * differ, since its timestamps strictly increase.
   */
  byte[] key() {
    return (series.storeKey() + SeriesId.SEPARATOR + request.issuedAt()).getBytes(StandardCharsets.UTF_8);
  }

  /** The stored bytes. */
  byte[] encode() {
    byte[] source = series.source().getBytes(StandardCharsets.UTF_8);
    byte[] channel = series.channel().getBytes(StandardCharsets.UTF_8);
    byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
    SeriesWindow window = request.window();
    int n = window.size();
    int size = 1 + 4 + source.length + 4 + channel.length + 4 + 8 + 8 + 4 + n * 16 + 4 + topicBytes.length + 4 + 8
        + 4 + (rawKey == null ? 0 : rawKey.length) + 4 + (rawValue == null ? 0 : rawValue.length);
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(VERSION);
    putBytes(out, source);
    putBytes(out, channel);
    out.putInt(request.horizon());
    out.putLong(window.stepMillis());
    out.putLong(recordTimestamp);
    out.putInt(n);
    long[] timestamps = window.timestamps();
    double[] values = window.values();
    for (int i = 0; i < n; i++) {
      out.putLong(timestamps[i]);
      out.putDouble(values[i]);
    }
    putBytes(out, topicBytes);
    out.putInt(partition);
    out.putLong(offset);
    putBytes(out, rawKey);
    putBytes(out, rawValue);
    return out.array();
  }

  /**
   * Reads stored bytes.
   *
   * @throws IllegalStateException for an unknown version, naming it
   */
  static PendingForecast decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte version = in.get();
    if (version != VERSION) {
      throw new IllegalStateException("pending forecast of unknown version " + version + " (this build reads " + VERSION + ")");
    }
    String source = new String(getBytes(in), StandardCharsets.UTF_8);
    String channel = new String(getBytes(in), StandardCharsets.UTF_8);
    int horizon = in.getInt();
    long stepMillis = in.getLong();
    long recordTimestamp = in.getLong();
    int n = in.getInt();
    long[] timestamps = new long[n];
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      timestamps[i] = in.getLong();
      values[i] = in.getDouble();
    }
    String topic = new String(getBytes(in), StandardCharsets.UTF_8);
    int partition = in.getInt();
    long offset = in.getLong();
    byte[] rawKey = getBytes(in);
    byte[] rawValue = getBytes(in);
    return new PendingForecast(
        new SeriesId(source, channel),
        new ForecastRequest(new SeriesWindow(timestamps, values, stepMillis), horizon),
        recordTimestamp,
        topic,
        partition,
        offset,
        rawKey,
        rawValue);
  }

  private static void putBytes(ByteBuffer out, byte[] bytes) {
    if (bytes == null) {
      out.putInt(-1);
      return;
    }
    out.putInt(bytes.length);
    out.put(bytes);
  }

  private static byte[] getBytes(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return bytes;
  }
}
