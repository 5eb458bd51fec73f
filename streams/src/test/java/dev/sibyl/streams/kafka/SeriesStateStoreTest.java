package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.streams.LastValueTestForecaster;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.core.SeriesStateCodec;
import dev.sibyl.streams.core.SeriesStateCodec.Meta;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
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
  private KeyValueStore<Bytes, byte[]> points;
  private KeyValueStore<Bytes, byte[]> metas;
  private KeyValueStore<Bytes, byte[]> forecasts;

  @BeforeEach
  void stores() {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    points = store("points", context);
    metas = store("metas", context);
    forecasts = store("forecasts", context);
  }

  private static KeyValueStore<Bytes, byte[]> store(String name, MockProcessorContext<Object, Object> context) {
    KeyValueStore<Bytes, byte[]> store =
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
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
    assertThat(forecasts.get(SeriesStateStore.key(SERIES))).isNotNull();
    feed(store, 100, 101);
    assertThat(forecasts.get(SeriesStateStore.key(SERIES))).isNull();
    SeriesState read = new SeriesStateStore(points, metas, forecasts, 8, 100).load(SERIES);
    assertThat(read.valuesInOrder()).containsExactly(100);
    assertThat(read.latestForecast()).isNull();
  }

  @Test
  void aStateRebuiltBeforeEveryPointScoresAsAnUninterruptedRun() {
    java.util.Random random = new java.util.Random(5);
    SeriesState uninterrupted = new SeriesState(8);
    int scored = 0;
    for (int i = 0; i < 200; i++) {
      double value = 5 + 0.3 * random.nextGaussian() + (i % 37 == 0 ? 3 : 0) + (i >= 150 ? 2.5 : 0);
      StepResult expected = operator.onObservation(uninterrupted, i * STEP, value);
      // a restart before every point: the state comes from the stores alone
      SeriesStateStore store = new SeriesStateStore(points, metas, forecasts, 8, 100);
      SeriesState restored = store.load(SERIES);
      StepResult actual = operator.onObservation(restored, i * STEP, value);
      store.saveObservation(SERIES, restored, actual.windowReset(), actual.forecast() != null);
      if (expected.check() == null || expected.check().score() == null) {
        assertThat(actual.check() == null || actual.check().score() == null).as("point %d", i).isTrue();
        continue;
      }
      scored++;
      assertThat(actual.check().score()).as("point %d", i).isEqualTo(expected.check().score());
      assertThat(actual.check().score().reason()).isEqualTo(expected.check().score().reason());
    }
    assertThat(scored).isGreaterThan(5);
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
  @Test
  void anObservationWritesTheMetaAndAFullBlockOnly() {
    SeriesStateStore store = new SeriesStateStore(points, metas, forecasts, 40, 100);
    feed(store, 0, 15);
    // 15 points: block 0 (slots 0..15) is not full, so it lives in the meta record alone
    assertThat(points.approximateNumEntries()).isZero();
    byte[] meta = metas.get(SeriesStateStore.key(SERIES));
    assertThat(meta[0]).isEqualTo(SeriesStateCodec.META_VERSION);
    assertThat(SeriesStateCodec.blockValue(SeriesStateCodec.currentBlock(meta), 14)).isEqualTo(14);
    feed(store, 15, 16);
    // the 16th point fills block 0: written once, under its block key
    assertThat(points.approximateNumEntries()).isEqualTo(1);
    assertThat(SeriesStateCodec.blockValue(points.get(blockKey(0)), 15)).isEqualTo(15);
    feed(store, 16, 20);
    assertThat(points.approximateNumEntries()).isEqualTo(1);
    SeriesState read = new SeriesStateStore(points, metas, forecasts, 40, 100).load(SERIES);
    assertThat(read.valuesInOrder()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
  }

  @Test
  void aStateWrittenInVersionOneIsReadAndCarriedOn() {
    // version 1: every block in the point store, a meta record without block
    SeriesState old = new SeriesState(40);
    for (int i = 0; i < 50; i++) {
      old.append(i * STEP, i);
    }
    old.setStepMillis(STEP);
    Meta meta = Meta.of(old);
    for (int block = 0; block < meta.blocks(); block++) {
      points.put(blockKey(block), SeriesStateCodec.encodeBlock(old, meta, block));
    }
    metas.put(SeriesStateStore.key(SERIES), SeriesStateCodec.encodeMeta(meta));

    SeriesState read = new SeriesStateStore(points, metas, forecasts, 40, 100).load(SERIES);
    assertThat(read.valuesInOrder()).containsExactly(old.valuesInOrder());
    // the next observation writes the current version, and the state reads back whole
    SeriesState carried = feed(new SeriesStateStore(points, metas, forecasts, 40, 100), 50, 53);
    assertThat(metas.get(SeriesStateStore.key(SERIES))[0]).isEqualTo(SeriesStateCodec.META_VERSION);
    assertThat(new SeriesStateStore(points, metas, forecasts, 40, 100).load(SERIES).valuesInOrder())
        .containsExactly(carried.valuesInOrder());
    assertThat(carried.valuesInOrder()[39]).isEqualTo(52);
  }

  @Test
  void everyPrefixOfASeriesReadsBackAsWritten() {
    // capacity 20: a short last block (slots 16..19), a ring that wraps, and a reset by a gap
    SeriesStateStore store = new SeriesStateStore(points, metas, forecasts, 20, 100);
    for (int i = 0; i < 90; i++) {
      long t = i < 60 ? i * STEP : (i + 100) * STEP;
      SeriesState state = store.load(SERIES);
      StepResult result = operator.onObservation(state, t, i);
      store.saveObservation(SERIES, state, result.windowReset(), result.forecast() != null);
      SeriesState read = new SeriesStateStore(points, metas, forecasts, 20, 100).load(SERIES);
      assertThat(read.valuesInOrder()).as("after point %d", i).containsExactly(state.valuesInOrder());
      assertThat(read.timestampsInOrder()).as("after point %d", i).containsExactly(state.timestampsInOrder());
      assertThat(read.appended()).isEqualTo(state.appended());
    }
  }

  private static Bytes blockKey(int block) {
    return Bytes.wrap((SERIES.storeKey() + SeriesId.SEPARATOR + block).getBytes(StandardCharsets.UTF_8));
  }
}
