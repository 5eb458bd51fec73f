package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.api.TrainedForecasters;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.models.interval.SplitConformal;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.PooledForecaster;
import dev.sibyl.workers.InferenceException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pooled series step on TopologyTestDriver, with a real DLinear model (seeded weights) and a
 * stand-in pool whose answers the tests give by hand: batching per punctuation, equality with the
 * direct path, pending entries until answered, the fallback (degraded) and dead letters, and the
 * in-flight bound with its timeout.
 */
class PooledSeriesProcessorTest {

  private static final long STEP = 60_000;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int L = 32;
  private static final int H = 4;
  private static final int POINTS = 48;
  private static final double COVERAGE = 0.9;
  private static final int CALIBRATION = 8;
  private static final String MODEL = "dlinear-test";

  private final WindowModel model = new DlinearFamily().create(Map.of(), L, H, 7);
  private final Forecaster inProcess = new SplitConformal(TrainedForecasters.pointModel(model), COVERAGE, CALIBRATION);
  private final Serializer<TelemetryPoint> pointSerializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
  private final HandAnsweredTestClient client = new HandAnsweredTestClient();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<TopologyTestDriver> drivers = new ArrayList<>();
  private InferencePool pool;

  @AfterEach
  void stop() {
    drivers.forEach(TopologyTestDriver::close);
    if (pool != null) {
      pool.close();
    }
  }

  private static Map<String, Object> settings(Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(PipelineConfig.LOOKBACK_CONFIG, "64");
    settings.put(PipelineConfig.HORIZON_CONFIG, "" + H);
    settings.put(PipelineConfig.CADENCE_CONFIG, "4");
    settings.put(PipelineConfig.WARMUP_POINTS_CONFIG, "1000");
    settings.put(PipelineConfig.INFERENCE_MODE_CONFIG, PipelineConfig.INFERENCE_MODE_POOL);
    // Answers come when a test gives them; only the in-flight test wants a timeout to pass.
    settings.put(PipelineConfig.INFERENCE_TIMEOUT_CONFIG, "60000");
    settings.putAll(extra);
    return settings;
  }

  private TopologyTestDriver driver(Topology topology) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pooled-test-" + drivers.size());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    TopologyTestDriver driver = new TopologyTestDriver(topology, props, T0);
    drivers.add(driver);
    return driver;
  }

  private TopologyTestDriver pooled(Map<String, Object> extra) {
    PipelineConfig config = new PipelineConfig(settings(extra));
    pool = InferencePool.of(client, MODEL, new PooledForecaster(model, COVERAGE, CALIBRATION), config, registry);
    return driver(ForecastTopology.build(config, inProcess, null, Map.of(), pool));
  }

  private TopologyTestDriver direct() {
    return driver(ForecastTopology.build(new PipelineConfig(settings(Map.of())), inProcess, Map.of()));
  }

  /** Two series, interleaved: noisy daily-like waves of different levels. */
  private List<TelemetryPoint> input() {
    Random random = new Random(3);
    List<TelemetryPoint> points = new ArrayList<>();
    for (int i = 0; i < POINTS; i++) {
      for (String source : new String[] {"pump-1", "pump-2"}) {
        double level = source.equals("pump-1") ? 20 : 300;
        double value = level + 5 * Math.sin(2 * Math.PI * i / 12.0) + random.nextGaussian();
        points.add(new TelemetryPoint(source, T0.plusMillis(i * STEP), Map.of("temp", value), Map.of()));
      }
    }
    return points;
  }

  private void send(TopologyTestDriver driver, List<TelemetryPoint> points) {
    TestInputTopic<byte[], byte[]> topic =
        driver.createInputTopic(PipelineConfig.TELEMETRY_TOPIC_DEFAULT, new ByteArraySerializer(), new ByteArraySerializer());
    for (TelemetryPoint point : points) {
      topic.pipeInput(point.getSource().getBytes(StandardCharsets.UTF_8), pointSerializer.serialize("t", point), T0);
    }
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> TestOutputTopic<String, T> output(
      TopologyTestDriver driver, String topic, Class<T> type) {
    Deserializer<T> deserializer = AvroSerdes.forType(type, Map.of(), false).deserializer();
    return driver.createOutputTopic(topic, new StringDeserializer(), deserializer);
  }

  private static List<Forecast> forecasts(TopologyTestDriver driver) {
    return output(driver, PipelineConfig.FORECASTS_TOPIC_DEFAULT, Forecast.class).readValuesToList();
  }

  private static long pendingEntries(TopologyTestDriver driver) {
    KeyValueStore<Bytes, byte[]> store = driver.getKeyValueStore(ForecastTopology.SERIES_PENDING_STORE);
    long n = 0;
    try (KeyValueIterator<Bytes, byte[]> all = store.all()) {
      while (all.hasNext()) {
        all.next();
        n++;
      }
    }
    return n;
  }

  /** Due forecasts per series: from the point the window reaches L + 1, every 4th point. */
  private static int duePerSeries() {
    return (POINTS - (L + 1)) / 4 + 1;
  }

  @Test
  void dueForecastsGoOutAsOneRequestPerFlushAndEqualTheDirectPath() {
    TopologyTestDriver driver = pooled(Map.of(PipelineConfig.INFERENCE_MAX_BATCH_CONFIG, "1000"));
    send(driver, input());
    // 1. Nothing is sent until the flush punctuation, and nothing waits: every due forecast is pending.
    assertThat(client.calls()).isEmpty();
    assertThat(forecasts(driver)).isEmpty();
    assertThat(pendingEntries(driver)).isEqualTo(2L * duePerSeries());

    // 2. One flush sends them all in one request; answers are forwarded at the next punctuation.
    driver.advanceWallClockTime(Duration.ofMillis(20));
    assertThat(client.calls()).hasSize(1);
    HandAnsweredTestClient.Call call = client.calls().get(0);
    assertThat(call.model()).isEqualTo(MODEL);
    assertThat(call.horizon()).isEqualTo(H);
    assertThat(call.windows()[0]).hasNumberOfRows(1);
    assertThat(call.windows()[0][0]).hasSize(L);
    assertThat(forecasts(driver)).isEmpty();
    client.answerAll(model);
    driver.advanceWallClockTime(Duration.ofMillis(20));
    List<Forecast> pooled = forecasts(driver);
    assertThat(pendingEntries(driver)).isZero();

    // 3. The same forecasts as the model on the stream thread, intervals included.
    TopologyTestDriver reference = direct();
    send(reference, input());
    List<Forecast> direct = forecasts(reference);
    assertThat(direct).hasSize(2 * duePerSeries());
    assertThat(pooled).hasSize(direct.size());
    for (Forecast expected : direct) {
      Forecast actual =
          pooled.stream()
              .filter(f -> f.getSource().equals(expected.getSource()) && f.getIssuedAt().equals(expected.getIssuedAt()))
              .findFirst()
              .orElseThrow();
      assertThat(actual.getModel()).isEqualTo("dlinear");
      assertThat(actual.getDegraded()).isFalse();
      assertThat(actual.getLookback()).isEqualTo(expected.getLookback());
      assertThat(actual.getStepMillis()).isEqualTo(STEP);
      assertThat(actual.getCoverage()).isEqualTo(COVERAGE);
      for (int k = 0; k < H; k++) {
        ForecastPoint a = actual.getPoints().get(k);
        ForecastPoint e = expected.getPoints().get(k);
        assertThat(a.getTimestamp()).isEqualTo(e.getTimestamp());
        assertThat(a.getMean()).isCloseTo(e.getMean(), within(1e-6));
        assertThat(a.getLower()).isCloseTo(e.getLower(), within(1e-6));
        assertThat(a.getUpper()).isCloseTo(e.getUpper(), within(1e-6));
      }
    }
    // one request of every due forecast, each with its calibration windows
    assertThat(registry.summary(PoolMetrics.BATCH_FORECASTS).max()).isEqualTo(2.0 * duePerSeries());
    assertThat(registry.summary(PoolMetrics.BATCH_WINDOWS).max()).isEqualTo(call.windows().length);
    assertThat(call.windows().length).isGreaterThan(2 * duePerSeries());
    assertThat(registry.counter(PoolMetrics.FORECASTS).count()).isEqualTo(2.0 * duePerSeries());
  }

  @Test
  void aFullBatchIsSentWithoutWaitingForTheFlush() {
    TopologyTestDriver driver = pooled(Map.of(PipelineConfig.INFERENCE_MAX_BATCH_CONFIG, "3", PipelineConfig.INFERENCE_MAX_IN_FLIGHT_CONFIG, "100"));
    send(driver, input());
    // 2 * 7 due forecasts, sent three at a time as they come; the remainder waits for the flush
    assertThat(client.calls()).hasSize(2 * duePerSeries() / 3);
    driver.advanceWallClockTime(Duration.ofMillis(20));
    assertThat(client.calls()).hasSize((2 * duePerSeries() + 2) / 3);
    client.answerAll(model);
    driver.advanceWallClockTime(Duration.ofMillis(20));
    assertThat(forecasts(driver)).hasSize(2 * duePerSeries()).allSatisfy(f -> assertThat(f.getDegraded()).isFalse());
  }

  @Test
  void whenThePoolIsUnavailableTheFallbackAnswersAndMarksTheForecastsDegraded() {
    TopologyTestDriver driver = pooled(Map.of());
    send(driver, input());
    driver.advanceWallClockTime(Duration.ofMillis(20));
    client.failAll(new InferenceException(InferenceException.Reason.UNAVAILABLE, "all circuits open", null));
    driver.advanceWallClockTime(Duration.ofMillis(20));

    List<Forecast> out = forecasts(driver);
    assertThat(out).hasSize(2 * duePerSeries());
    Forecaster fallback = ForecasterRegistry.create("seasonal-naive", Map.of());
    List<TelemetryPoint> input = input();
    for (Forecast forecast : out) {
      assertThat(forecast.getDegraded()).isTrue();
      assertThat(forecast.getModel()).isEqualTo("seasonal-naive");
      // the fallback's own forecast of the same window
      List<TelemetryPoint> mine =
          input.stream()
              .filter(p -> p.getSource().equals(forecast.getSource()) && !p.getTimestamp().isAfter(forecast.getIssuedAt()))
              .toList();
      long[] t = mine.stream().mapToLong(p -> p.getTimestamp().toEpochMilli()).toArray();
      double[] v = mine.stream().mapToDouble(p -> p.getValues().get("temp")).toArray();
      ForecastResult expected = fallback.forecast(new SeriesWindow(t, v, STEP), H);
      for (int k = 0; k < H; k++) {
        assertThat(forecast.getPoints().get(k).getMean()).isEqualTo(expected.mean()[k]);
        assertThat(forecast.getPoints().get(k).getUpper()).isEqualTo(expected.upper()[k]);
      }
    }
    // later observations are checked against the fallback's forecast, and their flags name it
    KeyValueStore<Bytes, byte[]> latest = driver.getKeyValueStore(ForecastTopology.SERIES_FORECAST_STORE);
    byte[] stored = latest.get(SeriesStateStore.key(new dev.sibyl.streams.core.SeriesId("pump-1", "temp")));
    assertThat(dev.sibyl.streams.core.SeriesStateCodec.decodeForecast(stored).model())
        .isEqualTo("seasonal-naive:" + fallback.version());
    assertThat(registry.counter(PoolMetrics.FALLBACKS).count()).isEqualTo(2.0 * duePerSeries());
    assertThat(registry.counter(PoolMetrics.ERRORS, "reason", "unavailable").count()).isEqualTo(1.0);
    assertThat(pendingEntries(driver)).isZero();
  }

  @Test
  void aRequestThePoolRejectsDeadLettersThePointsThatMadeTheForecastsDue() {
    TopologyTestDriver driver = pooled(Map.of());
    send(driver, input());
    driver.advanceWallClockTime(Duration.ofMillis(20));
    client.failAll(new InferenceException(InferenceException.Reason.UNKNOWN_MODEL, "unknown model 'dlinear-test'", null));
    driver.advanceWallClockTime(Duration.ofMillis(20));

    assertThat(forecasts(driver)).isEmpty();
    List<DeadLetter> letters = output(driver, PipelineConfig.DEAD_LETTER_TOPIC_DEFAULT, DeadLetter.class).readValuesToList();
    assertThat(letters).hasSize(2 * duePerSeries());
    DeadLetter first = letters.get(0);
    assertThat(first.getStage()).isEqualTo(DeadLetters.STAGE_FORECAST);
    assertThat(first.getError()).contains("channel 'temp'", "unknown model 'dlinear-test'");
    assertThat(first.getTopic()).isEqualTo(PipelineConfig.TELEMETRY_TOPIC_DEFAULT);
    // the original bytes of the point that made the first forecast of pump-1 due (its 33rd point)
    TelemetryPoint due = input().get(2 * L);
    assertThat(first.getValue().array()).isEqualTo(pointSerializer.serialize("t", due));
    assertThat(first.getOffset()).isEqualTo(2L * L);
    assertThat(pendingEntries(driver)).isZero();
  }

  @Test
  void atTheInFlightBoundTheStreamThreadWaitsForTheOldestAndATimeoutFallsBack() {
    TopologyTestDriver driver =
        pooled(
            Map.of(
                PipelineConfig.INFERENCE_MAX_BATCH_CONFIG, "1",
                PipelineConfig.INFERENCE_MAX_IN_FLIGHT_CONFIG, "1",
                PipelineConfig.INFERENCE_TIMEOUT_CONFIG, "200"));
    List<TelemetryPoint> input = input().stream().filter(p -> p.getSource().equals("pump-1")).toList();
    // The first due forecast goes out at once and is never answered; the second waits for it, then
    // goes out and is answered as it is sent (so that a slow machine cannot time it out too).
    client.answerAtOnceFrom(1, model);
    long start = System.nanoTime();
    send(driver, input.subList(0, L + 1 + 4));
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;
    assertThat(client.calls()).hasSize(2);
    assertThat(waitedMillis).isGreaterThanOrEqualTo(190);
    List<Forecast> out = forecasts(driver);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getDegraded()).isTrue();
    assertThat(out.get(0).getIssuedAt()).isEqualTo(input.get(L).getTimestamp());
    assertThat(registry.counter(PoolMetrics.ERRORS, "reason", "timeout").count()).isEqualTo(1.0);
    // The second was answered in time.
    driver.advanceWallClockTime(Duration.ofMillis(20));
    List<Forecast> second = forecasts(driver);
    assertThat(second).hasSize(1);
    assertThat(second.get(0).getDegraded()).isFalse();
    assertThat(second.get(0).getIssuedAt()).isEqualTo(input.get(L + 4).getTimestamp());
  }

  @Test
  void thePendingEntryKeepsTheWindowAndTheRecordByteForByte() {
    List<TelemetryPoint> input = input();
    long[] t = new long[40];
    double[] v = new double[40];
    for (int i = 0; i < 40; i++) {
      t[i] = input.get(2 * i).getTimestamp().toEpochMilli();
      v[i] = input.get(2 * i).getValues().get("temp");
    }
    PendingForecast entry =
        new PendingForecast(
            new dev.sibyl.streams.core.SeriesId("pump-1", "temp"),
            new dev.sibyl.streams.core.ForecastRequest(new SeriesWindow(t, v, STEP), H),
            42L,
            "sibyl.telemetry",
            3,
            1234L,
            null,
            new byte[] {1, 2, 3});
    PendingForecast back = PendingForecast.decode(entry.encode());
    assertThat(back.series()).isEqualTo(entry.series());
    assertThat(back.request().window()).isEqualTo(entry.request().window());
    assertThat(back.request().horizon()).isEqualTo(H);
    assertThat(back.recordTimestamp()).isEqualTo(42L);
    assertThat(back.topic()).isEqualTo("sibyl.telemetry");
    assertThat(back.partition()).isEqualTo(3);
    assertThat(back.offset()).isEqualTo(1234L);
    assertThat(back.rawKey()).isNull();
    assertThat(back.rawValue()).containsExactly(1, 2, 3);
    byte[] bytes = entry.encode();
    bytes[0] = 9;
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PendingForecast.decode(bytes))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unknown version 9");
  }
}
