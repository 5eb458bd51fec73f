package dev.sibyl.streams.kafka;

import dev.sibyl.streams.core.LatestForecast;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.core.SeriesStateCodec;
import dev.sibyl.streams.core.SeriesStateCodec.Meta;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The series states of one stream task: decoded {@link SeriesState} objects in a bounded LRU cache
 * in front of three Kafka Streams stores, written through on every accepted point.
 *
 * <p>Why three stores and not one value per series: the changelog of a store receives every write,
 * so a window stored as one value would cost a copy of the whole window (kilobytes) per
 * observation. Here an observation rewrites one record, the series' meta record, which carries the
 * block of 16 points the observation went into (a ring buffer of blocks, see {@link
 * SeriesStateCodec}); a block goes to the point store once, when it is full. With the store cache,
 * the writes of one commit interval to the same meta collapse into one changelog record. The
 * forecast is written only when one is issued.
 *
 * <p>Keys are the UTF-8 bytes of {@link SeriesId#storeKey()} (and of {@code storeKey + separator +
 * block} in the point store), computed once per cached series rather than on every write. The cache
 * saves decoding the window on every point; it is cleared on {@link #clearCache()} (task
 * (re)initialisation), because after an aborted transaction the stores are restored from their
 * changelogs and the cache would be ahead of them.
 */
final class SeriesStateStore {

  private final KeyValueStore<Bytes, byte[]> points;
  private final KeyValueStore<Bytes, byte[]> metas;
  private final KeyValueStore<Bytes, byte[]> forecasts;
  private final int capacity;
  private final Map<SeriesId, Cached> cache;
  private Cached lastLoaded; // what load returned last: saveObservation of that state needs no lookup

  /** A decoded state and the store keys of its series. */
  private static final class Cached {
    final SeriesState state;
    final Bytes key; // UTF-8 of storeKey()
    final Bytes[] blockKeys; // (blocks) made on first use

    Cached(SeriesId series, SeriesState state, int blocks) {
      this.state = state;
      this.key = Bytes.wrap(series.storeKey().getBytes(StandardCharsets.UTF_8));
      this.blockKeys = new Bytes[blocks];
    }

    Bytes blockKey(int block) {
      Bytes blockKey = blockKeys[block];
      if (blockKey == null) {
        blockKey = SeriesStateStore.blockKey(key, block);
        blockKeys[block] = blockKey;
      }
      return blockKey;
    }
  }

  /**
   * @param points point blocks by {@code storeKey + separator + block}
   * @param metas meta records (with the current block) by store key
   * @param forecasts forecast records by store key
   * @param capacity the configured lookback
   * @param maxCached series kept decoded in memory
   */
  SeriesStateStore(
      KeyValueStore<Bytes, byte[]> points,
      KeyValueStore<Bytes, byte[]> metas,
      KeyValueStore<Bytes, byte[]> forecasts,
      int capacity,
      int maxCached) {
    this.points = points;
    this.metas = metas;
    this.forecasts = forecasts;
    this.capacity = capacity;
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<SeriesId, Cached> eldest) {
            return size() > maxCached;
          }
        };
  }

  /** The store key of a series: the UTF-8 bytes of {@link SeriesId#storeKey()}. */
  static Bytes key(SeriesId series) {
    return Bytes.wrap(series.storeKey().getBytes(StandardCharsets.UTF_8));
  }

  /** The point-store key of a block of a series: series key, separator, block number in decimal. */
  static Bytes blockKey(Bytes seriesKey, int block) {
    byte[] suffix = (SeriesId.SEPARATOR + Integer.toString(block)).getBytes(StandardCharsets.UTF_8);
    byte[] key = Arrays.copyOf(seriesKey.get(), seriesKey.get().length + suffix.length);
    System.arraycopy(suffix, 0, key, seriesKey.get().length, suffix.length);
    return Bytes.wrap(key);
  }

  /** Forgets every decoded state; the stores stay the source of truth. */
  void clearCache() {
    cache.clear();
    lastLoaded = null;
  }

  /** The state of a series: cached, rebuilt from the stores, or new and empty. */
  SeriesState load(SeriesId series) {
    Cached cached = cache.get(series);
    if (cached == null) {
      cached = new Cached(series, new SeriesState(capacity), new Meta(capacity, 0, 0, 0, 0).blocks());
      read(cached);
      cache.put(series, cached);
    }
    lastLoaded = cached;
    return cached.state;
  }

  /** Rebuilds a state from the stores, when they hold one. */
  private void read(Cached cached) {
    Bytes key = cached.key;
    SeriesState state = cached.state;
    byte[] metaBytes = metas.get(key);
    if (metaBytes == null) {
      return;
    }
    Meta meta = SeriesStateCodec.decodeMeta(metaBytes);
    byte[][] blocks = new byte[meta.blocks()][];
    if (meta.size() > 0) {
      // version 2: the current block travels with the meta; version 1: it is in the point store
      byte[] current = SeriesStateCodec.currentBlock(metaBytes);
      if (current != null) {
        blocks[meta.block(meta.appended() - 1)] = current;
      }
    }
    for (long n = meta.appended() - meta.size(); n < meta.appended(); n++) {
      int block = meta.block(n);
      if (blocks[block] == null) {
        blocks[block] = points.get(blockKey(key, block));
        if (blocks[block] == null) {
          throw new IllegalStateException(
              "series state of " + new String(key.get(), StandardCharsets.UTF_8) + " lacks point block " + block + " (store corrupt)");
        }
      }
      int slotInBlock = meta.slot(n) % SeriesStateCodec.BLOCK_POINTS;
      state.append(SeriesStateCodec.blockTimestamp(blocks[block], slotInBlock), SeriesStateCodec.blockValue(blocks[block], slotInBlock));
    }
    state.setAppended(meta.appended());
    state.setStepMillis(meta.stepMillis());
    state.setPointsSinceForecast(meta.pointsSinceForecast());
    SeriesStateCodec.decodeScorer(metaBytes, state.scorer());
    state.setOnlineIntervals(SeriesStateCodec.decodeOnlineIntervals(metaBytes));
    byte[] forecast = forecasts.get(key);
    if (forecast != null) {
      state.setLatestForecast(SeriesStateCodec.decodeForecast(forecast));
    }
    // An older meta needs no rewrite: its blocks are all in the point store or in the meta record,
    // and the next observation writes a current one.
    if (meta.capacity() != capacity) {
      // The lookback changed since the state was written: store the points under the new slots.
      Meta resized = Meta.of(state);
      for (int block = 0; block < resized.blocks(); block++) {
        points.put(cached.blockKey(block), SeriesStateCodec.encodeBlock(state, resized, block));
      }
      metas.put(key, SeriesStateCodec.encodeMetaWithBlock(state, resized));
    }
  }

  /**
   * Writes what one accepted observation changed: the meta record with the current block, the
   * block itself when the observation filled it, and the forecast when one was issued.
   *
   * @param series the series
   * @param state its state after the observation, as returned by {@link #load}
   * @param windowReset whether a gap reset the window before the observation
   * @param newForecast whether a forecast was issued after it
   */
  void saveObservation(SeriesId series, SeriesState state, boolean windowReset, boolean newForecast) {
    Cached cached = lastLoaded != null && lastLoaded.state == state ? lastLoaded : cache.get(series);
    if (cached == null || cached.state != state) {
      // evicted since load (or a state from elsewhere): same keys, computed afresh
      cached = new Cached(series, state, Meta.of(state).blocks());
    }
    Meta meta = Meta.of(state);
    byte[] metaBytes = SeriesStateCodec.encodeMetaWithBlock(state, meta);
    metas.put(cached.key, metaBytes);
    if (SeriesStateCodec.blockCompletedBy(meta)) {
      points.put(cached.blockKey(meta.block(state.appended() - 1)), SeriesStateCodec.currentBlock(metaBytes));
    }
    LatestForecast forecast = state.latestForecast();
    if (newForecast && forecast != null) {
      forecasts.put(cached.key, SeriesStateCodec.encodeForecast(forecast));
    } else if (windowReset) {
      forecasts.delete(cached.key);
    }
  }

  /**
   * Writes a series' latest forecast alone: an answer that arrives after the observation that made
   * it due, which {@link #saveObservation} wrote then.
   *
   * @param series the series
   * @param state its state, as returned by {@link #load}, with a latest forecast
   */
  void saveForecast(SeriesId series, SeriesState state) {
    Cached cached = lastLoaded != null && lastLoaded.state == state ? lastLoaded : cache.get(series);
    Bytes key = cached != null && cached.state == state ? cached.key : key(series);
    forecasts.put(key, SeriesStateCodec.encodeForecast(state.latestForecast()));
  }
}
