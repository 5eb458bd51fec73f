package dev.sibyl.schemas.serde;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A small thread-safe least-recently-used map. Schemas are few, so one lock around a {@link
 * LinkedHashMap} is enough; the bound only guards against a runaway producer of ids or subjects.
 *
 * <p>{@link #computeIfAbsent} calls the loader outside the lock, so a slow registry request does
 * not block readers of other keys; two threads missing the same key may both load it, and the
 * later result wins (both are the same registry answer).
 */
final class BoundedCache<K, V> {

  private final Map<K, V> entries;

  /**
   * @param capacity the most entries kept; at least 1
   * @throws IllegalArgumentException when capacity is below 1
   */
  BoundedCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("cache capacity must be at least 1, got " + capacity);
    }
    // Access order makes the eldest entry the least recently used one.
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The cached value, or null when absent. */
  synchronized V get(K key) {
    return entries.get(key);
  }

  /** Stores a value; null values are not allowed. */
  synchronized void put(K key, V value) {
    entries.put(key, value);
  }

  /** The number of entries held. */
  synchronized int size() {
    return entries.size();
  }

  /**
   * The cached value, loading and caching it when absent.
   *
   * @param loader computes the value; must not return null; its exceptions propagate and nothing
   *     is cached
   */
  V computeIfAbsent(K key, Function<? super K, ? extends V> loader) {
    V cached = get(key);
    if (cached != null) {
      return cached;
    }
    V loaded = loader.apply(key);
    put(key, loaded);
    return loaded;
  }
}
