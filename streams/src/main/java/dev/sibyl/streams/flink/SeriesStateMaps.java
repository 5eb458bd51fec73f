package dev.sibyl.streams.flink;

import dev.sibyl.streams.core.LatestForecast;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.core.SeriesStateCodec;
import dev.sibyl.streams.core.SeriesStateCodec.Meta;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * The {@link SeriesState}s of one unit (the current key) in three Flink map states, by channel, in
 * the records of {@link SeriesStateCodec}: the meta record with the current block of points, full
 * blocks by {@code channel + separator + block}, and the latest forecast. Why not one value per
 * series: with RocksDB and incremental checkpoints every write is kept until compaction, and a window
 * written whole would cost kilobytes per observation; here an observation rewrites one small
 * record, as in the Kafka Streams store. A fourth map keeps the newest point of series whose window
 * an event-time timer freed ({@link #free}).
 */
final class SeriesStateMaps {

  private final MapState<String, byte[]> metas;
  private final MapState<String, byte[]> blocks;
  private final MapState<String, byte[]> forecasts;
  private final MapState<String, byte[]> quiet;
  private final int capacity;

  /**
   * @param metas meta records (with the current block) by channel
   * @param blocks full point blocks by channel and block number
   * @param forecasts forecast records by channel
   * @param quiet the newest point of each freed series (see {@link #free}), by channel
   * @param capacity the window length
   */
  SeriesStateMaps(
      MapState<String, byte[]> metas,
      MapState<String, byte[]> blocks,
      MapState<String, byte[]> forecasts,
      MapState<String, byte[]> quiet,
      int capacity) {
    this.metas = metas;
    this.blocks = blocks;
    this.forecasts = forecasts;
    this.quiet = quiet;
    this.capacity = capacity;
  }

  /**
   * Registers the three map states of a keyed function.
   *
   * @param context the function's runtime context
   * @param prefix the state names' prefix (state names are part of savepoints: never change them)
   * @param capacity the window length
   * @param ttlMillis how long a unit's state outlives its last write or read; 0 keeps it forever
   */
  static SeriesStateMaps open(RuntimeContext context, String prefix, int capacity, long ttlMillis) {
    return new SeriesStateMaps(
        context.getMapState(descriptor(prefix + "-meta", ttlMillis)),
        context.getMapState(descriptor(prefix + "-points", ttlMillis)),
        context.getMapState(descriptor(prefix + "-forecast", ttlMillis)),
        context.getMapState(descriptor(prefix + "-quiet", ttlMillis)),
        capacity);
  }

  private static MapStateDescriptor<String, byte[]> descriptor(String name, long ttlMillis) {
    MapStateDescriptor<String, byte[]> descriptor =
        new MapStateDescriptor<>(name, Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    if (ttlMillis > 0) {
      // Read-and-write refresh: a full block is written once and then only read while the series
      // lives, so a write-only refresh would expire it under a series that is still active.
      descriptor.enableTimeToLive(
          StateTtlConfig.newBuilder(Duration.ofMillis(ttlMillis))
              .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
              .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
              .build());
    }
    return descriptor;
  }

  private static String blockKey(String channel, int block) {
    return channel + SeriesId.SEPARATOR + block;
  }

  /** The state of a channel of the current unit, rebuilt from the maps, or new and empty. */
  SeriesState load(String channel) throws Exception {
    SeriesState state = new SeriesState(capacity);
    byte[] metaBytes = metas.get(channel);
    if (metaBytes == null) {
      byte[] newest = quiet.get(channel);
      if (newest != null) {
        // A freed series: its newest point alone, which is all the core reads of a window before a
        // long gap (order, duplicates, the gap itself).
        ByteBuffer b = ByteBuffer.wrap(newest);
        state.append(b.getLong(), b.getDouble());
        state.setStepMillis(b.getLong());
        state.setPointsSinceForecast(0);
      }
      return state;
    }
    Meta meta = SeriesStateCodec.decodeMeta(metaBytes);
    byte[][] loaded = new byte[meta.blocks()][];
    if (meta.size() > 0) {
      loaded[meta.block(meta.appended() - 1)] = SeriesStateCodec.currentBlock(metaBytes);
    }
    for (long n = meta.appended() - meta.size(); n < meta.appended(); n++) {
      int block = meta.block(n);
      if (loaded[block] == null) {
        loaded[block] = blocks.get(blockKey(channel, block));
        if (loaded[block] == null) {
          throw new IllegalStateException("series state of channel '" + channel + "' lacks point block " + block + " (state corrupt)");
        }
      }
      int slotInBlock = meta.slot(n) % SeriesStateCodec.BLOCK_POINTS;
      state.append(SeriesStateCodec.blockTimestamp(loaded[block], slotInBlock), SeriesStateCodec.blockValue(loaded[block], slotInBlock));
    }
    state.setAppended(meta.appended());
    state.setStepMillis(meta.stepMillis());
    state.setPointsSinceForecast(meta.pointsSinceForecast());
    SeriesStateCodec.decodeScorer(metaBytes, state.scorer());
    byte[] forecast = forecasts.get(channel);
    if (forecast != null) {
      state.setLatestForecast(SeriesStateCodec.decodeForecast(forecast));
    }
    if (meta.capacity() != capacity) {
      // Restored from a savepoint of a job with another lookback: renumber the points.
      Meta resized = Meta.of(state);
      for (int block = 0; block < resized.blocks(); block++) {
        blocks.put(blockKey(channel, block), SeriesStateCodec.encodeBlock(state, resized, block));
      }
      metas.put(channel, SeriesStateCodec.encodeMetaWithBlock(state, resized));
    }
    return state;
  }

  /**
   * Writes what one accepted observation changed: the meta record with the current block, the
   * block when the observation filled it, and the forecast when a new one was recorded.
   *
   * @param channel the channel
   * @param state its state after the observation
   * @param windowReset whether a gap reset the window before the observation
   * @param newForecast whether a forecast was recorded after it
   */
  void save(String channel, SeriesState state, boolean windowReset, boolean newForecast) throws Exception {
    Meta meta = Meta.of(state);
    byte[] metaBytes = SeriesStateCodec.encodeMetaWithBlock(state, meta);
    metas.put(channel, metaBytes);
    if (state.appended() <= 2) {
      // A window begun after a free (after the gap, or the kept point and one that came late
      // behind the watermark): what was left of the freed one is superseded.
      quiet.remove(channel);
    }
    if (SeriesStateCodec.blockCompletedBy(meta)) {
      blocks.put(blockKey(channel, meta.block(state.appended() - 1)), SeriesStateCodec.currentBlock(metaBytes));
    }
    LatestForecast forecast = state.latestForecast();
    if (newForecast && forecast != null) {
      forecasts.put(channel, SeriesStateCodec.encodeForecast(forecast));
    } else if (windowReset) {
      forecasts.remove(channel);
    }
  }

  /** The channels of the current unit that hold a window. */
  Iterable<String> channels() throws Exception {
    return metas.keys();
  }

  /**
   * Frees the window of a series that has gone quiet longer than the gap that resets it: its points
   * and forecast go, and only its newest point is kept (24 bytes), so that the next point is judged
   * by the core as it would have been against the whole window: late, duplicate, or after the gap,
   * which resets the window in any case.
   *
   * @param channel the channel
   * @param state its state, with at least one point
   */
  void free(String channel, SeriesState state) throws Exception {
    Meta meta = Meta.of(state);
    for (int block = 0; block < meta.blocks(); block++) {
      blocks.remove(blockKey(channel, block));
    }
    metas.remove(channel);
    forecasts.remove(channel);
    quiet.put(
        channel, ByteBuffer.allocate(24).putLong(state.lastTimestamp()).putDouble(state.lastValue()).putLong(state.stepMillis()).array());
  }

  /** Forgets every series of the current unit. */
  void clear() {
    metas.clear();
    blocks.clear();
    forecasts.clear();
    quiet.clear();
  }
}
