package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.streams.LastValueTestForecaster;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import dev.sibyl.streams.core.SeriesState;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Write-through persistence of series states, and their rebuild from the stores alone. */
class SeriesStateStoreTest {

  private static final long STEP = 60_000;
  private static final SeriesId SERIES = new SeriesId("pump-1", "temp");

  private final SeriesOperator operator = new SeriesOperator(new LastValueTestForecaster(4, 1.0), 4, 2, 3, 0);
  private KeyValueStore<String, byte[]> points;
  private KeyValueStore<String, byte[]> metas;
  private KeyValueStore<String, byte[]> forecasts;

  @BeforeEach
  void stores() {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    points = store("points", context);
    metas = store("metas", context);
    forecasts = store("forecasts", context);
  }

  private static KeyValueStore<String, byte[]> store(String name, MockProcessorContext<Object, Object> context) {
    KeyValueStore<String, byte[]> store =
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    return store;
  }

  private SeriesState feed(SeriesStateStore store, int from, int to) {
    SeriesState state = null;
    for (int i = from; i < to; i++) {
      state = store.load(SERIES);
      StepResult result = operator.onObservation(state, i * STEP, i);
      store.saveObservation(SERIES, state, result.windowReset(), result.forecast() != null);
    }
    return state;
  }

  @Test
  void aStateIsRebuiltFromTheStoresAlone() {
    SeriesState written = feed(new SeriesStateStore(points, metas, forecasts, 8, 100), 0, 21);
    SeriesState read = new SeriesStateStore(points, metas, forecasts, 8, 100).load(SERIES);
    assertThat(read.valuesInOrder()).containsExactly(written.valuesInOrder());
    assertThat(read.timestampsInOrder()).containsExactly(written.timestampsInOrder());
    assertThat(read.appended()).isEqualTo(21);
    assertThat(read.stepMillis()).isEqualTo(STEP);
    assertThat(read.pointsSinceForecast()).isEqualTo(written.pointsSinceForecast());
    assertThat(read.latestForecast().issuedAt()).isEqualTo(written.latestForecast().issuedAt());
    // one block of 16 slots holds the 8-point ring, however many points went through
    assertThat(points.approximateNumEntries()).isEqualTo(1);
  }

  @Test
  void aWindowSpanningSeveralBlocksIsRebuilt() {
    SeriesState written = feed(new SeriesStateStore(points, metas, forecasts, 40, 100), 0, 77);
    SeriesState read = new SeriesStateStore(points, metas, forecasts, 40, 100).load(SERIES);
    assertThat(read.valuesInOrder()).containsExactly(written.valuesInOrder());
    assertThat(points.approximateNumEntries()).isEqualTo(3);
  }

  @Test
  void aSmallerLookbackKeepsTheNewestPointsAndRewritesTheSlots() {
    feed(new SeriesStateStore(points, metas, forecasts, 8, 100), 0, 21);
    SeriesState shrunk = new SeriesStateStore(points, metas, forecasts, 5, 100).load(SERIES);
    assertThat(shrunk.valuesInOrder()).containsExactly(16, 17, 18, 19, 20);
    SeriesState again = new SeriesStateStore(points, metas, forecasts, 5, 100).load(SERIES);
    assertThat(again.valuesInOrder()).containsExactly(16, 17, 18, 19, 20);
    // and the series goes on from there
    SeriesStateStore store = new SeriesStateStore(points, metas, forecasts, 5, 100);
    feed(store, 21, 24);
    assertThat(new SeriesStateStore(points, metas, forecasts, 5, 100).load(SERIES).valuesInOrder())
        .containsExactly(19, 20, 21, 22, 23);
  }

  @Test
  void aResetDropsTheStoredForecast() {
    SeriesStateStore store = new SeriesStateStore(points, metas, forecasts, 8, 100);
    feed(store, 0, 6);
    assertThat(forecasts.get(SERIES.storeKey())).isNotNull();
    feed(store, 100, 101);
    assertThat(forecasts.get(SERIES.storeKey())).isNull();
    SeriesState read = new SeriesStateStore(points, metas, forecasts, 8, 100).load(SERIES);
    assertThat(read.valuesInOrder()).containsExactly(100);
    assertThat(read.latestForecast()).isNull();
  }

  @Test
  void theCacheIsBoundedAndClearable() {
    SeriesStateStore store = new SeriesStateStore(points, metas, forecasts, 8, 1);
    feed(store, 0, 3);
    SeriesState cached = store.load(SERIES);
    assertThat(store.load(SERIES)).isSameAs(cached);
    store.load(new SeriesId("pump-2", "temp")); // evicts pump-1 (capacity 1)
    assertThat(store.load(SERIES)).isNotSameAs(cached);
    SeriesState reloaded = store.load(SERIES);
    store.clearCache();
    assertThat(store.load(SERIES)).isNotSameAs(reloaded);
    assertThat(store.load(SERIES).valuesInOrder()).containsExactly(0, 1, 2);
  }
}
