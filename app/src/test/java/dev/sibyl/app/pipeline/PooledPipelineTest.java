package dev.sibyl.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.ModelRegistry;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.eval.Harness;
import dev.sibyl.models.eval.Protocol;
import dev.sibyl.models.eval.Table;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.PooledForecaster;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.kafka.ForecastPipeline;
import dev.sibyl.streams.kafka.InferencePool;
import dev.sibyl.workers.BatchingConfig;
import dev.sibyl.workers.InferenceClient;
import dev.sibyl.workers.ModelHost;
import dev.sibyl.workers.WorkerServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on an inference pool end to end: a real broker, a DLinear trained on ETTh1 (one
 * epoch) and saved as an artifact, real workers serving it over loopback gRPC, and ETTh1 test-period
 * rows streamed as telemetry. In three phases, one application and state directory throughout:
 *
 * <ol>
 *   <li>a pool that never answers (a stand-in): the due forecasts stay pending, nothing is emitted,
 *       and the pipeline is closed with them pending;
 *   <li>restarted on two real workers: the pending forecasts are sent again and answered, more
 *       points stream in, and one worker is killed while they are processed;
 *   <li>the other worker killed too: the fallback answers, its forecasts marked degraded.
 * </ol>
 *
 * Read with {@code read_committed}, every due forecast arrives exactly once, and equals what the
 * model computes in process on the stream thread (the direct path), or the fallback's forecast in
 * phase 3. The pipeline's Prometheus endpoint reports the fallbacks.
 */
@Timeout(300)
class PooledPipelineTest {

  private static final Instant START = Instant.parse("2018-01-01T00:00:00Z");
  private static final long HOUR = 3_600_000;
  private static final int L = 96;
  private static final int H = 12;
  private static final int WINDOW = 160;
  private static final int CADENCE = 12;
  private static final int POINTS = 320;
  private static final String MODEL = "etth1-dlinear";
  private static final String[] CHANNELS = {"HUFL", "OT"};
  private static final String[] SOURCES = {"etth1-a", "etth1-b"};

  @TempDir Path dir;

  /** A due forecast of the direct path: its request and the in-process answer. */
  private record Due(ForecastRequest request, ForecastResult result) {}

  /** A pool that never answers: a stand-in for workers that are not up yet. */
  private static final class SilentPoolStandIn implements InferenceClient {
    @Override
    public CompletableFuture<double[][][]> predict(String model, double[][][] windows, int horizon) {
      return new CompletableFuture<>();
    }

    @Override
    public void close() {}
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String scrape(int port) throws Exception {
    try (InputStream in = URI.create("http://127.0.0.1:" + port + "/metrics").toURL().openStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void everyDueForecastArrivesOnceThroughRestartWorkerLossAndFallback() throws Exception {
    Path csv = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "ett", "ETTh1.csv");
    assumeTrue(Files.isRegularFile(csv), "ETTh1 absent");

    // 1. Train DLinear for one epoch under the ETT protocol and save it as `sibyl train` does
    Table table = Table.read(csv);
    Protocol protocol = Protocol.of("ett", table, L);
    Harness.Prepared prepared = Harness.prepare(table, protocol);
    TrainingData data =
        new TrainingData(
            table.name(),
            prepared.rows(protocol.trainStart(), protocol.trainEnd()),
            prepared.rows(protocol.validationStart(), protocol.validationEnd()),
            L,
            H);
    TrainingResult trained =
        ModelRegistry.family("dlinear").train(data, new TrainingOptions(1, 64, 0.005, 1, 2021, null, Map.of()), TrainingListener.NONE);
    Path artifacts = dir.resolve("artifacts");
    Path artifact = artifacts.resolve(MODEL);
    Artifacts.save(
        artifact,
        new Manifest(
            Artifacts.FORMAT_VERSION, "dlinear", trained.model().version(), trained.model().hyperparameters(), L, H,
            data.fingerprint(), trained.validationMetrics(), trained.trainSeconds(), table.name(), Artifacts.now()),
        trained.model());

    // 2. Test-period rows as telemetry: two sources, two channels each, hourly
    int[] columns = new int[CHANNELS.length];
    for (int c = 0; c < CHANNELS.length; c++) {
      columns[c] = List.of(table.columns()).indexOf(CHANNELS[c]);
      assertThat(columns[c]).as(CHANNELS[c]).isNotNegative();
    }
    Map<String, List<TelemetryPoint>> bySource = new HashMap<>();
    for (int s = 0; s < SOURCES.length; s++) {
      List<TelemetryPoint> points = new ArrayList<>();
      for (int i = 0; i < POINTS; i++) {
        double[] row = table.rows()[protocol.testStart() + s * 500 + i];
        Map<String, Double> values = new HashMap<>();
        for (int c = 0; c < CHANNELS.length; c++) {
          values.put(CHANNELS[c], row[columns[c]]);
        }
        points.add(new TelemetryPoint(SOURCES[s], START.plusMillis(i * HOUR), values, Map.of()));
      }
      bySource.put(SOURCES[s], points);
    }

    Map<String, Object> settings = new HashMap<>();
    settings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, "pp.telemetry");
    settings.put(PipelineConfig.FORECASTS_TOPIC_CONFIG, "pp.forecasts");
    settings.put(PipelineConfig.ANOMALIES_TOPIC_CONFIG, "pp.anomalies");
    settings.put(PipelineConfig.HEALTH_TOPIC_CONFIG, "pp.health");
    settings.put(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG, "pp.dead-letters");
    settings.put(PipelineConfig.LOOKBACK_CONFIG, "" + WINDOW);
    settings.put(PipelineConfig.HORIZON_CONFIG, "" + H);
    settings.put(PipelineConfig.CADENCE_CONFIG, "" + CADENCE);
    settings.put(PipelineConfig.MODEL_FAMILY_CONFIG, "dlinear");
    settings.put(PipelineConfig.MODEL_OPTIONS_PREFIX + "artifact", artifact.toString());
    settings.put(PipelineConfig.INFERENCE_MODE_CONFIG, PipelineConfig.INFERENCE_MODE_POOL);
    settings.put(PipelineConfig.INFERENCE_MAX_IN_FLIGHT_CONFIG, "1000");
    settings.put(PipelineConfig.INFERENCE_TIMEOUT_CONFIG, "60000");
    Forecaster inProcess = ForecasterRegistry.create("dlinear", Map.of("artifact", artifact.toString()));
    Forecaster fallback = ForecasterRegistry.create("seasonal-naive", Map.of());

    // 3. The direct path's forecasts, computed in process: the reference
    Map<String, Due> expected = new HashMap<>(); // source/channel/issuedAt -> due
    SeriesOperator operator = new SeriesOperator(inProcess, H, CADENCE, 10, 72);
    for (String source : SOURCES) {
      for (String channel : CHANNELS) {
        SeriesState state = new SeriesState(WINDOW);
        for (TelemetryPoint p : bySource.get(source)) {
          ForecastRequest due = operator.admit(state, p.getTimestamp().toEpochMilli(), p.getValues().get(channel)).due();
          if (due != null) {
            ForecastResult result = inProcess.forecast(due.window(), due.horizon());
            operator.complete(state, due, result);
            expected.put(source + "/" + channel + "/" + due.issuedAt(), new Due(due, result));
          }
        }
      }
    }
    int perSeries = (POINTS - (L + 1)) / CADENCE + 1;
    assertThat(expected).hasSize(SOURCES.length * CHANNELS.length * perSeries);

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir.resolve("kafka")).build()) {
      broker.start();
      PipelineConfig silentConfig = new PipelineConfig(settings);
      try (Admin admin = Admin.create(broker.clientProperties())) {
        ForecastPipeline.ensureTopics(admin, silentConfig, 2, (short) 1);
      }
      KafkaTestIo io = new KafkaTestIo(broker.clientProperties());
      Properties props = ForecastPipeline.streamsProperties(broker.clientProperties());
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pooled-app");
      props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
      props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);

      // Phase 1: nobody answers; the due forecasts of the first 140 points stay pending
      int[] borders = {0, 140, 200, 260, POINTS};
      WindowModel model = Artifacts.load(artifact).model();
      try (ForecastPipeline pipeline =
          ForecastPipeline.start(
              silentConfig, inProcess, null, props, Map.of(),
              registry -> InferencePool.of(new SilentPoolStandIn(), MODEL, PooledForecaster.twinOf(model, inProcess), silentConfig, registry))) {
        pipeline.awaitRunning(Duration.ofSeconds(60));
        io.send("pp.telemetry", slice(bySource, borders[0], borders[1]), List.of());
        int phase1 = dueBefore(expected, borders[1]);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (pipeline.registry().summary("sibyl.pipeline.pool.batch.forecasts").totalAmount() < phase1
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThat(pipeline.registry().summary("sibyl.pipeline.pool.batch.forecasts").totalAmount()).isEqualTo(phase1);
      }
      assertThat(io.readCommitted("pp.forecasts", Forecast.class, l -> false, Duration.ofSeconds(2))).isEmpty();

      // Phase 2: two real workers; the pending forecasts are sent again, then worker A dies under load
      WorkerServer a = WorkerServer.start(new InetSocketAddress("127.0.0.1", 0), ModelHost.load(artifacts, BatchingConfig.DEFAULTS), null, "test");
      WorkerServer b = WorkerServer.start(new InetSocketAddress("127.0.0.1", 0), ModelHost.load(artifacts, BatchingConfig.DEFAULTS), null, "test");
      settings.put(PipelineConfig.INFERENCE_ENDPOINTS_CONFIG, "127.0.0.1:" + a.port() + ",127.0.0.1:" + b.port());
      settings.put(PipelineConfig.INFERENCE_TIMEOUT_CONFIG, "30000");
      settings.put(PipelineConfig.METRICS_PORT_CONFIG, "" + freePort());
      PipelineConfig config = new PipelineConfig(settings);
      List<Forecast> forecasts;
      String metrics;
      try (ForecastPipeline pipeline = ForecastPipeline.start(config, inProcess, null, props, Map.of())) {
        pipeline.awaitRunning(Duration.ofSeconds(60));
        io.send("pp.telemetry", slice(bySource, borders[1], borders[2]), List.of());
        int phase2a = dueBefore(expected, borders[2]);
        assertThat(io.readCommitted("pp.forecasts", Forecast.class, l -> l.size() >= phase2a, Duration.ofSeconds(60))).hasSize(phase2a);
        io.send("pp.telemetry", slice(bySource, borders[2], borders[3]), List.of());
        a.kill();
        int phase2 = dueBefore(expected, borders[3]);
        assertThat(io.readCommitted("pp.forecasts", Forecast.class, l -> l.size() >= phase2, Duration.ofSeconds(60))).hasSize(phase2);

        // Phase 3: no worker left; the fallback answers
        b.kill();
        io.send("pp.telemetry", slice(bySource, borders[3], borders[4]), List.of());
        forecasts = io.readCommitted("pp.forecasts", Forecast.class, l -> l.size() >= expected.size(), Duration.ofSeconds(60));
        metrics = scrape(pipeline.metricsPort());
      } finally {
        a.close();
        b.close();
      }
      // nothing more comes: exactly once
      forecasts = io.readCommitted("pp.forecasts", Forecast.class, l -> false, Duration.ofSeconds(3));
      assertThat(forecasts).hasSize(expected.size());

      Set<String> seen = new HashSet<>();
      long phase3Start = START.plusMillis(borders[3] * HOUR).toEpochMilli();
      for (Forecast f : forecasts) {
        String key = f.getSource() + "/" + f.getChannel() + "/" + f.getIssuedAt().toEpochMilli();
        assertThat(seen.add(key)).as("once: " + key).isTrue();
        Due due = expected.get(key);
        assertThat(due).as("due on the direct path: " + key).isNotNull();
        boolean afterWorkers = f.getIssuedAt().toEpochMilli() >= phase3Start;
        assertThat(f.getDegraded()).as(key).isEqualTo(afterWorkers);
        ForecastResult reference = afterWorkers ? fallback.forecast(due.request().window(), H) : due.result();
        assertThat(f.getModel()).isEqualTo(afterWorkers ? "seasonal-naive" : "dlinear");
        assertThat(f.getLookback()).isEqualTo(due.request().window().size());
        for (int k = 0; k < H; k++) {
          assertThat(f.getPoints().get(k).getMean()).as(key + " step " + k).isCloseTo(reference.mean()[k], within(1e-4));
          assertThat(f.getPoints().get(k).getLower()).as(key + " step " + k).isCloseTo(reference.lower()[k], within(1e-4));
          assertThat(f.getPoints().get(k).getUpper()).as(key + " step " + k).isCloseTo(reference.upper()[k], within(1e-4));
        }
      }
      int phase3 = expected.size() - dueBefore(expected, borders[3]);
      assertThat(metrics).contains("sibyl_pipeline_pool_fallbacks_total " + (double) phase3);
      assertThat(metrics).contains("sibyl_pipeline_pool_batch_forecasts_count", "sibyl_pipeline_pool_latency_seconds_bucket");
      assertThat(metrics).contains("sibyl_client_requests_total{outcome=\"ok\"}");
    }
  }

  /** Points with index in [from, to) of every source, interleaved by time. */
  private static List<TelemetryPoint> slice(Map<String, List<TelemetryPoint>> bySource, int from, int to) {
    List<TelemetryPoint> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      for (String source : SOURCES) {
        out.add(bySource.get(source).get(i));
      }
    }
    return out;
  }

  /** Due forecasts made by points of index below {@code border}. */
  private static int dueBefore(Map<String, Due> expected, int border) {
    long limit = START.plusMillis(border * HOUR).toEpochMilli();
    return (int) expected.values().stream().filter(d -> d.request().issuedAt() < limit).count();
  }
}
