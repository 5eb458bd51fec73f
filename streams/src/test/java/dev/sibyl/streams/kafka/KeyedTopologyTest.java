package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.ForwardingWindowModel;
import dev.sibyl.models.api.BatchedForecaster;
import dev.sibyl.models.api.KeyedServing;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.autotimes.AutoTimesFamily;
import dev.sibyl.models.autotimes.AutoTimesSession;
import dev.sibyl.models.autotimes.AutoTimesStreaming;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.PipelineConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The keyed (KV-cache) path with AutoTimes on the real tiny backbone (stories260K; segments of 8,
 * context 32, at most 7 cached segments) over ETTh1's oil temperature: its forecasts against full
 * recomputation and the stateless pass, the model work it costs against the stateless path, and a
 * restart over the same stores.
 */
class KeyedTopologyTest {

  private static final int L = 32;
  private static final int S = 8;
  private static final int H = 8;
  private static final int POINTS = 73; // forecasts at points 32, 40, ..., 72
  private static final int OT = 6;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant FIRST = T0.minus(Duration.ofDays(30));
  private static final String[] STORES = {
    ForecastTopology.SERIES_POINTS_STORE, ForecastTopology.SERIES_META_STORE, ForecastTopology.SERIES_FORECAST_STORE
  };

  private static AutoTimes model;
  private static double[] ot; // (POINTS) the series

  @BeforeAll
  static void model() throws Exception {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
    Path datasets = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"));
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, datasets.resolve("tinylm").resolve("stories260K.bin").toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.STREAM_MAX_SEGMENTS, "7");
    model = new AutoTimesFamily().create(hp, L, S, 5);
    double[][] rows = Table.read(datasets.resolve("ett").resolve("ETTh1.csv")).rows();
    ot = new double[POINTS];
    for (int i = 0; i < POINTS; i++) {
      ot[i] = rows[3000 + i][OT];
    }
  }

  /** One driver over a topology, fed point by point. */
  private static final class Run implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> input;
    final TestOutputTopic<String, Forecast> forecasts;
    final TestOutputTopic<String, DeadLetter> deadLetters;
    final Serializer<TelemetryPoint> serializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
    final Map<Integer, Forecast> byPoint = new LinkedHashMap<>();

    Run(dev.sibyl.models.api.Forecaster forecaster) {
      PipelineConfig config =
          new PipelineConfig(
              Map.of(
                  PipelineConfig.LOOKBACK_CONFIG, "48",
                  PipelineConfig.HORIZON_CONFIG, "" + H,
                  PipelineConfig.CADENCE_CONFIG, "8",
                  PipelineConfig.WARMUP_POINTS_CONFIG, "0",
                  PipelineConfig.MAX_KEYED_SERIES_CONFIG, "4"));
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "keyed-topology-test");
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      driver = new TopologyTestDriver(ForecastTopology.build(config, forecaster, Map.of()), props, T0);
      input = driver.createInputTopic(PipelineConfig.TELEMETRY_TOPIC_DEFAULT, new ByteArraySerializer(), new ByteArraySerializer());
      forecasts =
          driver.createOutputTopic(PipelineConfig.FORECASTS_TOPIC_DEFAULT, new StringDeserializer(), AvroSerdes.forType(Forecast.class, Map.of(), false).deserializer());
      deadLetters =
          driver.createOutputTopic(PipelineConfig.DEAD_LETTER_TOPIC_DEFAULT, new StringDeserializer(), AvroSerdes.forType(DeadLetter.class, Map.of(), false).deserializer());
    }

    /** Pipes point i; returns its forecast, or null. */
    Forecast pipe(int i) {
      TelemetryPoint point = new TelemetryPoint("transformer-1", FIRST.plus(Duration.ofHours(i)), Map.of("OT", ot[i]), Map.of());
      input.pipeInput("transformer-1".getBytes(StandardCharsets.UTF_8), serializer.serialize("t", point), T0);
      List<Forecast> out = forecasts.readValuesToList();
      assertThat(out).hasSizeLessThanOrEqualTo(1);
      assertThat(deadLetters.readValuesToList()).isEmpty();
      if (out.isEmpty()) {
        return null;
      }
      byPoint.put(i, out.get(0));
      return out.get(0);
    }

    @Override
    public void close() {
      driver.close();
    }
  }

  private static double[] means(Forecast f) {
    return f.getPoints().stream().mapToDouble(ForecastPoint::getMean).toArray();
  }

  private static double[] halfWidths(Forecast f) {
    return f.getPoints().stream().mapToDouble(p -> (p.getUpper() - p.getLower()) / 2).toArray();
  }

  /** The stateless pass over the newest L points up to point i: what a (re)built session gives. */
  private static double[] fullPass(int i) {
    return model.predict(new double[][][] {{Arrays.copyOfRange(ot, i - L + 1, i + 1)}}, H)[0][0];
  }

  private static void assertClose(double[] expected, double[] actual, String what) {
    assertThat(actual).hasSize(expected.length);
    for (int k = 0; k < expected.length; k++) {
      assertThat(actual[k]).as("%s, step %d", what, k).isCloseTo(expected[k], within(1e-4 * (1 + Math.abs(expected[k]))));
    }
  }

  @Test
  void keyedForecastsEqualFullRecomputationCostOneTokenPerSegmentAndSurviveARestart() {
    int[] statelessCalls = {0};
    int[] keyedStatelessCalls = {0};
    List<AutoTimesStreaming> opened = new ArrayList<>();
    KeyedServing serving =
        KeyedServing.of(
            BatchedForecaster.of(counting(model, keyedStatelessCalls), 0.9, 4),
            n -> {
              AutoTimesStreaming s = new AutoTimesStreaming(model, n);
              opened.add(s);
              return s;
            });
    Map<String, List<KeyValue<Bytes, byte[]>>> snapshot = new HashMap<>();
    String key = "transformer-1" + '\u001f' + "OT";

    // 1. The stateless path (streaming=stateless): a full pass and a backtest per forecast
    try (Run stateless = new Run(BatchedForecaster.of(counting(model, statelessCalls), 0.9, 4))) {
      for (int i = 0; i < POINTS; i++) {
        stateless.pipe(i);
      }
      assertThat(stateless.byPoint.keySet()).containsExactly(32, 40, 48, 56, 64, 72);
      assertThat(statelessCalls[0]).isEqualTo(6);
    }

    // 2. The keyed path, uninterrupted
    Map<Integer, Forecast> keyed;
    try (Run run = new Run(serving)) {
      AutoTimesStreaming streaming = opened.get(0);
      assertThat(streaming.maxSeries()).as("series.kv-cache.max-series").isEqualTo(4);
      AutoTimesSession reference = null;
      AutoTimesSession session = null;
      int tokens = 0;
      for (int i = 0; i < POINTS; i++) {
        Forecast f = run.pipe(i);
        if (i == 48) {
          for (String store : STORES) {
            snapshot.put(store, copy(run.driver.getKeyValueStore(store)));
          }
        }
        if (f == null) {
          continue;
        }
        AutoTimesSession now = streaming.session(key);
        if (i == 32) {
          // built from the window: the stateless pass over the newest L points, intervals seeded
          assertClose(fullPass(i), means(f), "first forecast");
          reference = model.openSession(Arrays.copyOfRange(ot, 1, 33));
          session = now;
          tokens = now.segments();
        } else if (i == 64) {
          // the 4th append would pass the bound of 7 segments: rebuilt from the newest context,
          // which is the stateless pass again
          reference.append(Arrays.copyOfRange(ot, i - S + 1, i + 1));
          assertThat(now.rebuilds()).isEqualTo(1);
          assertThat(now.segments()).isEqualTo(L / S);
          tokens += L / S;
          assertClose(fullPass(i), means(f), "forecast after the rebuild at point 64");
        } else {
          // one completed segment: one token of decoding, equal to a full recomputation over the
          // same tokens with a fresh cache
          reference.append(Arrays.copyOfRange(ot, i - S + 1, i + 1));
          tokens += 1;
          assertThat(now.segments()).isEqualTo(i < 64 ? L / S + (i - 32) / S : L / S + (i - 64) / S);
          assertClose(reference.recomputed(), means(f), "forecast at point " + i);
        }
        assertThat(now).as("the same session throughout, never rebuilt by the pipeline").isSameAs(session);
        assertThat(f.getPoints()).allSatisfy(p -> assertThat(p.getLower()).isLessThan(p.getMean()));
        assertThat(f.getPoints()).allSatisfy(p -> assertThat(p.getUpper()).isGreaterThan(p.getMean()));
      }
      reference.close();
      // the model work over 5 completed segments: 4 tokens to build, 1 for each of 4 segments, 4 for
      // the rebuild at the bound (the 5th); the stateless model for the intervals' seed until the
      // window held L + 1 + calibration.size + H - 1 = 44 points (forecasts at 32, 40 and 48), where
      // the stateless path ran it for each of its 6 forecasts
      assertThat(tokens).isEqualTo(L / S + 4 + L / S);
      assertThat(keyedStatelessCalls[0]).isEqualTo(3);
      keyed = run.byPoint;
    }
    assertThat(keyed.keySet()).containsExactly(32, 40, 48, 56, 64, 72);
    // the intervals are the split-conformal ones until the window is calibrated; then each
    // observation moves them
    for (int i : new int[] {32, 40, 48}) {
      assertClose(halfWidthsOfStateless(i), halfWidths(keyed.get(i)), "seeded half-widths at point " + i);
    }
    assertThat(halfWidths(keyed.get(56))).isNotEqualTo(halfWidthsOfStateless(56));

    // 3. A restart after point 48: a new processor over the stores as they were
    try (Run restarted = new Run(serving)) {
      for (String store : STORES) {
        KeyValueStore<Bytes, byte[]> target = restarted.driver.getKeyValueStore(store);
        for (KeyValue<Bytes, byte[]> kv : snapshot.get(store)) {
          target.put(kv.key, kv.value);
        }
      }
      for (int i = 49; i < POINTS; i++) {
        restarted.pipe(i);
      }
      assertThat(restarted.byPoint.keySet()).containsExactly(56, 64, 72);
      AutoTimesStreaming streaming = opened.get(opened.size() - 1);
      assertThat(streaming).isNotSameAs(opened.get(0));
      // the cache is rebuilt from the window: the stateless pass over the newest L points at 56
      assertClose(fullPass(56), means(restarted.byPoint.get(56)), "first forecast after the restart");
      try (AutoTimesSession reference = model.openSession(Arrays.copyOfRange(ot, 25, 57))) {
        reference.append(Arrays.copyOfRange(ot, 57, 65));
        assertClose(reference.recomputed(), means(restarted.byPoint.get(64)), "second forecast after the restart");
      }
      // the calibration is not rebuilt: it survived in the store, no new seed, the same half-widths
      assertThat(keyedStatelessCalls[0]).isEqualTo(3);
      assertThat(halfWidths(restarted.byPoint.get(56))).containsExactly(halfWidths(keyed.get(56)), within(1e-9));
      assertThat(streaming.cachedSeries()).isEqualTo(1);
    }
  }

  /** The split-conformal half-widths of the stateless forecaster at point i (window of 48). */
  private static double[] halfWidthsOfStateless(int i) {
    int from = Math.max(0, i + 1 - 48);
    long[] t = new long[i + 1 - from];
    for (int j = 0; j < t.length; j++) {
      t[j] = FIRST.plus(Duration.ofHours(from + j)).toEpochMilli();
    }
    var r = BatchedForecaster.of(model, 0.9, 4).forecast(new dev.sibyl.models.api.SeriesWindow(t, Arrays.copyOfRange(ot, from, i + 1), 3_600_000L), H);
    double[] q = new double[H];
    for (int k = 0; k < H; k++) {
      q[k] = (r.upper()[k] - r.lower()[k]) / 2;
    }
    return q;
  }

  private static List<KeyValue<Bytes, byte[]>> copy(KeyValueStore<Bytes, byte[]> store) {
    List<KeyValue<Bytes, byte[]>> out = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  /** The model, counting its calls. */
  private static WindowModel counting(WindowModel model, int[] calls) {
    return new ForwardingWindowModel(model) {

      @Override
      public double[][][] predict(double[][][] windows, int horizon) {
        calls[0]++;
        return model.predict(windows, horizon);
      }
    };
  }
}
