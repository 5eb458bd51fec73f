package dev.sibyl.streams.kafka;

import dev.sibyl.streams.core.LatestForecast;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.core.SeriesStateCodec;
import dev.sibyl.streams.core.SeriesStateCodec.Meta;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The series states of one stream task: decoded {@link SeriesState} objects in a bounded LRU cache
 * in front of three Kafka Streams stores, written through on every accepted point.
 *
 * <p>Why three stores and not one value per series: the changelog of a store receives every write,
 * so a window stored as one value would cost a copy of the whole window (kilobytes) per
 * observation. Here an observation rewrites one block of 16 points (a ring buffer in the store,
 * see {@link SeriesStateCodec}) and a 29-byte meta record; with the store cache, the writes of one
 * commit interval to the same block or meta collapse into one changelog record. The forecast is
 * written only when one is issued. The cache saves decoding the window on every point; it is cleared on {@link
 * #clearCache()} (task (re)initialisation), because after an aborted transaction the stores are
 * restored from their changelogs and the cache would be ahead of them.
 */
final class SeriesStateStore {

  private final KeyValueStore<String, byte[]> points;
  private final KeyValueStore<String, byte[]> metas;
  private final KeyValueStore<String, byte[]> forecasts;
  private final int capacity;
  private final Map<String, SeriesState> cache;

  /**
   * @param points point blocks by {@code storeKey + separator + block}
   * @param metas meta records by store key
   * @param forecasts forecast records by store key
   * @param capacity the configured lookback
   * @param maxCached series kept decoded in memory
   */
  SeriesStateStore(
      KeyValueStore<String, byte[]> points,
      KeyValueStore<String, byte[]> metas,
      KeyValueStore<String, byte[]> forecasts,
      int capacity,
      int maxCached) {
    this.points = points;
    this.metas = metas;
    this.forecasts = forecasts;
    this.capacity = capacity;
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, SeriesState> eldest) {
            return size() > maxCached;
          }
        };
  }

  /** Forgets every decoded state; the stores stay the source of truth. */
  void clearCache() {
    cache.clear();
  }

  /** The state of a series: cached, rebuilt from the stores, or new and empty. */
  SeriesState load(SeriesId series) {
    String key = series.storeKey();
    SeriesState state = cache.get(key);
    if (state != null) {
      return state;
    }
    byte[] metaBytes = metas.get(key);
    state = new SeriesState(capacity);
    if (metaBytes != null) {
      Meta meta = SeriesStateCodec.decodeMeta(metaBytes);
      byte[][] blocks = new byte[meta.blocks()][];
      for (long n = meta.appended() - meta.size(); n < meta.appended(); n++) {
        int block = meta.block(n);
        if (blocks[block] == null) {
          blocks[block] = points.get(blockKey(key, block));
          if (blocks[block] == null) {
            throw new IllegalStateException("series state of " + key + " lacks point block " + block + " (store corrupt)");
          }
        }
        int slotInBlock = meta.slot(n) % SeriesStateCodec.BLOCK_POINTS;
        state.append(SeriesStateCodec.blockTimestamp(blocks[block], slotInBlock), SeriesStateCodec.blockValue(blocks[block], slotInBlock));
      }
      state.setAppended(meta.appended());
      state.setStepMillis(meta.stepMillis());
      state.setPointsSinceForecast(meta.pointsSinceForecast());
      byte[] forecast = forecasts.get(key);
      if (forecast != null) {
        state.setLatestForecast(SeriesStateCodec.decodeForecast(forecast));
      }
      if (meta.capacity() != capacity) {
        // The lookback changed since the state was written: store the points under the new slots.
        Meta resized = Meta.of(state);
        for (int block = 0; block < resized.blocks(); block++) {
          points.put(blockKey(key, block), SeriesStateCodec.encodeBlock(state, resized, block));
        }
        metas.put(key, SeriesStateCodec.encodeMeta(resized));
      }
    }
    cache.put(key, state);
    return state;
  }

  /**
   * Writes what one accepted observation changed.
   *
   * @param series the series
   * @param state its state after the observation
   * @param windowReset whether a gap reset the window before the observation
   * @param newForecast whether a forecast was issued after it
   */
  void saveObservation(SeriesId series, SeriesState state, boolean windowReset, boolean newForecast) {
    String key = series.storeKey();
    Meta meta = Meta.of(state);
    int block = meta.block(state.appended() - 1);
    points.put(blockKey(key, block), SeriesStateCodec.encodeBlock(state, meta, block));
    metas.put(key, SeriesStateCodec.encodeMeta(meta));
    LatestForecast forecast = state.latestForecast();
    if (newForecast && forecast != null) {
      forecasts.put(key, SeriesStateCodec.encodeForecast(forecast));
    } else if (windowReset) {
      forecasts.delete(key);
    }
  }

  private static String blockKey(String seriesKey, int block) {
    return seriesKey + SeriesId.SEPARATOR + block;
  }
}
