package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedCacheTest {

  @Test
  void dropsTheLeastRecentlyUsedEntryBeyondCapacity() {
    BoundedCache<Integer, String> cache = new BoundedCache<>(2);
    cache.put(1, "one");
    cache.put(2, "two");
    cache.get(1);
    cache.put(3, "three");

    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get(1)).isEqualTo("one");
    assertThat(cache.get(2)).isNull();
    assertThat(cache.get(3)).isEqualTo("three");
  }

  @Test
  void computeIfAbsentLoadsOnce() {
    BoundedCache<Integer, String> cache = new BoundedCache<>(10);
    AtomicInteger loads = new AtomicInteger();

    cache.computeIfAbsent(7, key -> "v" + loads.incrementAndGet());
    String second = cache.computeIfAbsent(7, key -> "v" + loads.incrementAndGet());

    assertThat(second).isEqualTo("v1");
    assertThat(loads).hasValue(1);
  }

  @Test
  void aFailedLoadCachesNothing() {
    BoundedCache<Integer, String> cache = new BoundedCache<>(10);

    assertThatThrownBy(
            () ->
                cache.computeIfAbsent(
                    7,
                    key -> {
                      throw new IllegalStateException("registry down");
                    }))
        .hasMessage("registry down");
    assertThat(cache.size()).isZero();
  }

  @Test
  void rejectsACapacityBelowOne() {
    assertThatThrownBy(() -> new BoundedCache<Integer, String>(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cache capacity must be at least 1, got 0");
  }
}
