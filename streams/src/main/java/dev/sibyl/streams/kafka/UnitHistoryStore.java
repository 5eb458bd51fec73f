package dev.sibyl.streams.kafka;

import dev.sibyl.streams.core.UnitHistory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The unit histories of one stream task: decoded {@link UnitHistory} objects in a bounded LRU
 * cache in front of one Kafka Streams store, written through on every accepted cycle.
 *
 * <p>Layout: the meta record under the unit's key (UTF-8 of the source) and each cycle's row under
 * {@code key + NUL + cycle number (8 bytes, big-endian)}, so that a cycle costs one small row write
 * and one meta write, not a copy of the history; the row that falls out of the bound is deleted.
 * A history is rebuilt from the store on a cache miss (after a restart or an eviction). When the
 * model's input width has changed since the rows were written, the old history is discarded: rows
 * of another model cannot be fed to this one.
 */
final class UnitHistoryStore {

  private static final byte META_VERSION = 1;
  private static final int META_BYTES = 1 + 8 + 8 + 1 + 4;

  private final KeyValueStore<Bytes, byte[]> store;
  private final int width;
  private final int maxCycles;
  private final Map<String, UnitHistory> cache;

  /**
   * @param store the backing store
   * @param width values per row (the model's input columns)
   * @param maxCycles the history bound
   * @param maxCached histories kept decoded in memory
   */
  UnitHistoryStore(KeyValueStore<Bytes, byte[]> store, int width, int maxCycles, int maxCached) {
    this.store = store;
    this.width = width;
    this.maxCycles = maxCycles;
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, UnitHistory> eldest) {
            return size() > maxCached;
          }
        };
  }

  /** The history of a unit: cached, rebuilt from the store, or new and empty. */
  UnitHistory load(String source) {
    UnitHistory history = cache.get(source);
    if (history == null) {
      history = read(source);
      cache.put(source, history);
    }
    return history;
  }

  private UnitHistory read(String source) {
    Bytes key = key(source);
    byte[] meta = store.get(key);
    if (meta == null) {
      return new UnitHistory(maxCycles);
    }
    ByteBuffer m = ByteBuffer.wrap(meta);
    byte version = m.get();
    if (version != META_VERSION) {
      throw new IllegalStateException("unit history of " + source + " has unknown version " + version);
    }
    long cycles = m.getLong();
    long lastTimestamp = m.getLong();
    boolean alerting = m.get() != 0;
    int storedWidth = m.getInt();
    if (storedWidth != width) {
      return new UnitHistory(maxCycles); // another model's rows: start afresh (see the class comment)
    }
    List<double[]> rows = new ArrayList<>();
    for (long n = Math.max(0, cycles - maxCycles); n < cycles; n++) {
      byte[] row = store.get(rowKey(key, n));
      if (row == null) {
        throw new IllegalStateException("unit history of " + source + " lacks cycle " + n + " (store corrupt)");
      }
      double[] values = new double[width];
      ByteBuffer.wrap(row).asDoubleBuffer().get(values);
      rows.add(values);
    }
    return UnitHistory.restored(maxCycles, rows, cycles, lastTimestamp, alerting);
  }

  /**
   * Writes what one accepted cycle changed: its row, the meta record, and the deletion of the row
   * the bound dropped.
   *
   * @param source the unit
   * @param history its history after the cycle, as returned by {@link #load}
   */
  void saveCycle(String source, UnitHistory history) {
    Bytes key = key(source);
    long n = history.cycles() - 1;
    ByteBuffer row = ByteBuffer.allocate(8 * width);
    row.asDoubleBuffer().put(history.lastRow());
    store.put(rowKey(key, n), row.array());
    if (n - maxCycles >= 0) {
      store.delete(rowKey(key, n - maxCycles));
    }
    ByteBuffer meta = ByteBuffer.allocate(META_BYTES);
    meta.put(META_VERSION).putLong(history.cycles()).putLong(history.lastTimestamp());
    meta.put((byte) (history.alerting() ? 1 : 0)).putInt(width);
    store.put(key, meta.array());
  }

  /** Forgets every decoded history; the store stays the source of truth. */
  void clearCache() {
    cache.clear();
  }

  private static Bytes key(String source) {
    return Bytes.wrap(source.getBytes(StandardCharsets.UTF_8));
  }

  private static Bytes rowKey(Bytes key, long cycle) {
    byte[] k = key.get();
    return Bytes.wrap(ByteBuffer.allocate(k.length + 9).put(k).put((byte) 0).putLong(cycle).array());
  }
}
