package dev.sibyl.streams.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The persisted form of {@link SeriesState} (state-store values and their changelog).
 *
 * <p>Layout, big-endian, version 1:
 *
 * <pre>
 * byte    version (1)
 * long    stepMillis
 * int     pointsSinceForecast
 * int     n                       observations, oldest first
 * n x (long timestamp, double value)
 * byte    hasForecast (0 or 1)
 *   long issuedAt, long stepMillis, double coverage, int modelLength, modelLength bytes UTF-8,
 *   int horizon, horizon x (double mean, double lower, double upper)
 * </pre>
 *
 * The capacity is not stored: it is the configured lookback, so a restart with a smaller lookback
 * keeps the newest observations and a larger one grows the buffer.
 */
public final class SeriesStateCodec {

  /** The version this codec writes. */
  public static final byte VERSION = 1;

  private final int capacity;

  /**
   * @param capacity the ring-buffer capacity of decoded states (the configured lookback)
   */
  public SeriesStateCodec(int capacity) {
    this.capacity = capacity;
  }

  /** Encodes a state. */
  public byte[] encode(SeriesState state) {
    long[] timestamps = state.timestampsInOrder();
    double[] values = state.valuesInOrder();
    LatestForecast forecast = state.latestForecast();
    byte[] model = forecast == null ? new byte[0] : forecast.model().getBytes(StandardCharsets.UTF_8);
    int horizon = forecast == null ? 0 : forecast.mean().length;
    int length = 1 + 8 + 4 + 4 + 16 * values.length + 1 + (forecast == null ? 0 : 8 + 8 + 8 + 4 + model.length + 4 + 24 * horizon);
    ByteBuffer out = ByteBuffer.allocate(length);
    out.put(VERSION).putLong(state.stepMillis()).putInt(state.pointsSinceForecast()).putInt(values.length);
    for (int i = 0; i < values.length; i++) {
      out.putLong(timestamps[i]).putDouble(values[i]);
    }
    if (forecast == null) {
      out.put((byte) 0);
    } else {
      out.put((byte) 1).putLong(forecast.issuedAt()).putLong(forecast.stepMillis()).putDouble(forecast.coverage());
      out.putInt(model.length).put(model).putInt(horizon);
      for (int k = 0; k < horizon; k++) {
        out.putDouble(forecast.mean()[k]).putDouble(forecast.lower()[k]).putDouble(forecast.upper()[k]);
      }
    }
    return out.array();
  }

  /**
   * Decodes a state.
   *
   * @throws IllegalStateException when the bytes are of an unknown version or truncated: state is
   *     written only by this codec, so either means a bug or a downgrade, and must stop the task
   */
  public SeriesState decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      byte version = in.get();
      if (version != VERSION) {
        throw new IllegalStateException(
            "series state of version " + version + " cannot be read by this version of Sibyl (it reads version " + VERSION + ")");
      }
      SeriesState state = new SeriesState(capacity);
      long stepMillis = in.getLong();
      int pointsSinceForecast = in.getInt();
      int n = in.getInt();
      for (int i = 0; i < n; i++) {
        state.append(in.getLong(), in.getDouble());
      }
      state.setStepMillis(stepMillis);
      state.setPointsSinceForecast(pointsSinceForecast);
      if (in.get() == 1) {
        long issuedAt = in.getLong();
        long step = in.getLong();
        double coverage = in.getDouble();
        byte[] model = new byte[in.getInt()];
        in.get(model);
        int horizon = in.getInt();
        double[] mean = new double[horizon];
        double[] lower = new double[horizon];
        double[] upper = new double[horizon];
        for (int k = 0; k < horizon; k++) {
          mean[k] = in.getDouble();
          lower[k] = in.getDouble();
          upper[k] = in.getDouble();
        }
        state.setLatestForecast(
            new LatestForecast(issuedAt, step, mean, lower, upper, coverage, new String(model, StandardCharsets.UTF_8)));
      }
      return state;
    } catch (BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalStateException("series state is truncated (" + bytes.length + " bytes)", e);
    }
  }
}
