package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.JointForecaster;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.smamba.SMambaFamily;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesStateCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The joint path on TopologyTestDriver with a real S-Mamba, trained in the test on the first 500
 * hours of ETTh1 and served from its artifact: the seven channels of a transformer forecast together.
 */
class JointTopologyTest {

  private static final int L = 24;
  private static final int H = 6;
  private static final int CALIBRATION = 8;
  private static final int WINDOW = L + CALIBRATION + H + 2;
  private static final int CADENCE = 3;
  private static final long HOUR = 3_600_000;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  /** Points are timed in the past of the driver's clock, so that none is "in the future". */
  private static final Instant FIRST = T0.minus(Duration.ofDays(30));
  private static final String SOURCE = "transformer-1";

  @TempDir static Path artifact;

  private static Table ett;
  private static WindowModel model;
  private static Forecaster forecaster;

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, Forecast> forecasts;
  private TestOutputTopic<String, AnomalyFlag> anomalies;
  private TestOutputTopic<String, DeadLetter> deadLetters;
  private final Serializer<TelemetryPoint> pointSerializer =
      AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
  /** The points the pipeline accepted: step number to ETTh1 row; in order. */
  private final List<long[]> accepted = new ArrayList<>();

  @BeforeAll
  static void trainAndSave() throws Exception {
    ett = Table.read(Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "ett", "ETTh1.csv"));
    // 1. Standardise with the statistics of the training rows, as `sibyl train` does
    int c = ett.channels();
    double[] mean = new double[c];
    double[] std = new double[c];
    int train = 400;
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < train; i++) {
        mean[ch] += ett.rows()[i][ch] / train;
      }
      for (int i = 0; i < train; i++) {
        std[ch] += Math.pow(ett.rows()[i][ch] - mean[ch], 2) / train;
      }
      std[ch] = Math.sqrt(std[ch]);
    }
    double[][] scaled = new double[500][c];
    for (int i = 0; i < 500; i++) {
      for (int ch = 0; ch < c; ch++) {
        scaled[i][ch] = (ett.rows()[i][ch] - mean[ch]) / std[ch];
      }
    }
    TrainingData data =
        new TrainingData("ETTh1.csv", Arrays.copyOfRange(scaled, 0, train), Arrays.copyOfRange(scaled, train - L, 500), L, H);
    // 2. A small S-Mamba, one epoch: seconds on a CPU
    Map<String, String> hp = new LinkedHashMap<>();
    hp.put("d.model", "16");
    hp.put("d.state", "4");
    hp.put("d.ff", "16");
    hp.put("layers", "1");
    hp.put("dropout", "0");
    hp.put(WindowModel.CHANNEL_NAMES, String.join(",", ett.columns()));
    SMambaFamily family = new SMambaFamily();
    TrainingResult result = family.train(data, new TrainingOptions(1, 32, 0.005, 3, 7, null, hp), TrainingListener.NONE);
    Artifacts.save(
        artifact,
        new Manifest(Artifacts.FORMAT_VERSION, "s-mamba", result.model().version(), result.model().hyperparameters(), L, H,
            data.fingerprint(), result.validationMetrics(), result.trainSeconds(), "ETTh1.csv", Artifacts.now()),
        result.model());
    // 3. Served as the pipeline serves it: model.family=s-mamba, model.option.artifact=<dir>
    forecaster =
        ForecasterRegistry.create(
            "s-mamba", Map.of("artifact", artifact.toString(), "coverage", "0.9", "calibration.size", "" + CALIBRATION));
    model = Artifacts.load(artifact).model();
  }

  @BeforeEach
  void start() {
    driver = new TopologyTestDriver(ForecastTopology.build(config(WINDOW), forecaster, Map.of()), streamsProperties(), T0);
    input = driver.createInputTopic(PipelineConfig.TELEMETRY_TOPIC_DEFAULT, new ByteArraySerializer(), new ByteArraySerializer());
    forecasts = driver.createOutputTopic(PipelineConfig.FORECASTS_TOPIC_DEFAULT, new StringDeserializer(), deserializer(Forecast.class));
    anomalies = driver.createOutputTopic(PipelineConfig.ANOMALIES_TOPIC_DEFAULT, new StringDeserializer(), deserializer(AnomalyFlag.class));
    deadLetters = driver.createOutputTopic(PipelineConfig.DEAD_LETTER_TOPIC_DEFAULT, new StringDeserializer(), deserializer(DeadLetter.class));
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private static PipelineConfig config(int window) {
    return config(window, H);
  }

  private static PipelineConfig config(int window, int horizon) {
    return new PipelineConfig(
        Map.of(
            PipelineConfig.LOOKBACK_CONFIG, "" + window,
            PipelineConfig.HORIZON_CONFIG, "" + horizon,
            PipelineConfig.CADENCE_CONFIG, "" + CADENCE,
            PipelineConfig.MAX_GAP_STEPS_CONFIG, "3",
            PipelineConfig.WARMUP_POINTS_CONFIG, "30"));
  }

  private static Properties streamsProperties() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "joint-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    return props;
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> Deserializer<T> deserializer(Class<T> type) {
    return AvroSerdes.forType(type, Map.of(), false).deserializer();
  }

  /** ETTh1 row {@code row} at step {@code step}, every channel; {@code extra} adds or removes some. */
  private TelemetryPoint point(int step, int row, Map<String, Double> extra, String... without) {
    Map<String, Double> values = new LinkedHashMap<>();
    for (int ch = 0; ch < ett.channels(); ch++) {
      values.put(ett.columns()[ch], ett.rows()[row][ch]);
    }
    values.putAll(extra);
    for (String name : without) {
      values.remove(name);
    }
    return new TelemetryPoint(SOURCE, FIRST.plus(Duration.ofHours(step)), values, Map.of());
  }

  private void send(TelemetryPoint point) {
    input.pipeInput(SOURCE.getBytes(java.nio.charset.StandardCharsets.UTF_8), pointSerializer.serialize("t", point), T0);
  }

  /** Sends rows [row, row + count) at steps [step, step + count), all channels, and records them as accepted. */
  private void sendRows(int step, int row, int count) {
    for (int i = 0; i < count; i++) {
      send(point(step + i, row + i, Map.of()));
      accepted.add(new long[] {step + i, row + i});
    }
  }

  /** The model's own prediction on the (1, C, L) window of the last L accepted points up to {@code step}. */
  private double[][] expectedAt(long step) {
    int end = 0;
    while (end < accepted.size() && accepted.get(end)[0] <= step) {
      end++;
    }
    double[][][] x = new double[1][ett.channels()][L];
    for (int t = 0; t < L; t++) {
      int row = (int) accepted.get(end - L + t)[1];
      for (int ch = 0; ch < ett.channels(); ch++) {
        x[0][ch][t] = ett.rows()[row][ch];
      }
    }
    return model.predict(x, H)[0]; // (C, H)
  }

  private void assertEqualsTheModel(List<Forecast> out) {
    Map<Long, double[][]> predictions = new java.util.HashMap<>();
    for (Forecast f : out) {
      long step = Duration.between(FIRST, f.getIssuedAt()).toHours();
      int ch = Arrays.asList(ett.columns()).indexOf(f.getChannel());
      double[] expected = predictions.computeIfAbsent(step, this::expectedAt)[ch];
      assertThat(f.getPoints()).hasSize(H);
      for (int k = 0; k < H; k++) {
        ForecastPoint p = f.getPoints().get(k);
        assertThat(p.getMean()).as("%s at step %d, k=%d", f.getChannel(), step, k).isCloseTo(expected[k], within(1e-3));
        assertThat(p.getLower()).isLessThan(p.getMean());
        assertThat(p.getUpper()).isGreaterThan(p.getMean());
        assertThat(p.getTimestamp()).isEqualTo(f.getIssuedAt().plus(Duration.ofHours(k + 1)));
      }
    }
  }

  @Test
  void everyChannelIsForecastJointlyAsTheModelPredictsTheSourcesWindow() {
    sendRows(0, 2000, 40);

    List<Forecast> out = forecasts.readValuesToList();

    // first due at L + 1 = 25 points (step 24), then every 3: steps 24, 27, ..., 39
    assertThat(out).hasSize(6 * 7);
    assertThat(out.subList(0, 7)).extracting(Forecast::getChannel).containsExactly(ett.columns());
    assertThat(out).extracting(Forecast::getIssuedAt).containsOnly(
        FIRST.plus(Duration.ofHours(24)), FIRST.plus(Duration.ofHours(27)), FIRST.plus(Duration.ofHours(30)),
        FIRST.plus(Duration.ofHours(33)), FIRST.plus(Duration.ofHours(36)), FIRST.plus(Duration.ofHours(39)));
    assertThat(out).allSatisfy(f -> {
      assertThat(f.getSource()).isEqualTo(SOURCE);
      assertThat(f.getModel()).isEqualTo("s-mamba");
      assertThat(f.getCoverage()).isEqualTo(0.9);
      assertThat(f.getStepMillis()).isEqualTo(HOUR);
    });
    assertThat(out.get(0).getLookback()).isEqualTo(25);
    assertThat(out.get(out.size() - 1).getLookback()).isEqualTo(WINDOW);
    assertEqualsTheModel(out);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void aJumpInOneChannelIsFlaggedOnThatChannel() {
    sendRows(0, 2000, 39);
    anomalies.readValuesToList();
    // step 39 is checked against the forecast issued at 36; OT reads 1000 degrees (a sensor fault),
    // far beyond the excursions the short warm-up has seen
    send(point(39, 2039, Map.of("OT", 1000.0)));

    List<AnomalyFlag> flags = anomalies.readValuesToList().stream().filter(f -> f.getChannel().equals("OT")).toList();

    assertThat(flags).hasSize(1);
    assertThat(flags.get(0).getTimestamp()).isEqualTo(FIRST.plus(Duration.ofHours(39)));
    assertThat(flags.get(0).getModel()).startsWith("s-mamba:");
    assertThat(flags.get(0).getObserved()).isGreaterThan(flags.get(0).getUpper());
  }

  @Test
  void aPointMissingSomeOfTheModelsChannelsIsDeadLetteredAndAdmittedOnNone() {
    sendRows(0, 2000, 30);
    send(point(30, 2030, Map.of(), "OT", "LULL"));
    sendRows(31, 2031, 10);

    List<DeadLetter> dead = deadLetters.readValuesToList();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getStage()).isEqualTo("forecast");
    assertThat(dead.get(0).getError())
        .isEqualTo("missing channels [LULL, OT] of s-mamba, which forecasts [HUFL, HULL, MUFL, MULL, LUFL, LULL, OT]"
            + " jointly: no channel of the point was admitted");
    // no channel took the point: every window skips step 30, and the forecasts stay joint and exact
    KeyValueStore<Bytes, byte[]> metas = driver.getKeyValueStore(ForecastTopology.SERIES_META_STORE);
    for (String channel : ett.columns()) {
      assertThat(SeriesStateCodec.decodeMeta(metas.get(SeriesStateStore.key(new SeriesId(SOURCE, channel)))).size())
          .isEqualTo(WINDOW);
    }
    List<Forecast> out = forecasts.readValuesToList();
    assertThat(out).hasSize(6 * 7);
    assertEqualsTheModel(out);
  }

  @Test
  void channelsTheModelDoesNotReadAreNamedInADeadLetterWhileTheOthersGoOn() {
    for (int i = 0; i < 25; i++) {
      send(point(i, 2000 + i, Map.of("ambient", 20.0)));
      accepted.add(new long[] {i, 2000 + i});
    }

    assertThat(forecasts.readValuesToList()).hasSize(7);
    List<DeadLetter> dead = deadLetters.readValuesToList();
    assertThat(dead).hasSize(25);
    assertThat(dead.get(0).getError())
        .isEqualTo("channels [ambient] are not among s-mamba's [HUFL, HULL, MUFL, MULL, LUFL, LULL, OT]: not forecast");
  }

  @Test
  void aLatePointIsRejectedOnEveryChannel() {
    sendRows(0, 2000, 26);
    send(point(10, 2010, Map.of()));

    DeadLetter dead = deadLetters.readValue();
    assertThat(dead.getStage()).isEqualTo("order");
    assertThat(dead.getError()).startsWith("channel 'HUFL': late: timestamp").contains("channel 'OT': late");
  }

  @Test
  void aWindowOrHorizonTheModelCannotServeIsRefusedAtBuild() {
    assertThat(forecaster).isInstanceOf(JointForecaster.class);
    assertThatThrownBy(() -> ForecastTopology.build(config(L), forecaster, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("forecast.lookback is 24 but s-mamba needs windows of at least 25 points");
    assertThatThrownBy(() -> ForecastTopology.build(config(WINDOW, H + 1), forecaster, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("forecast.horizon is 7 but the s-mamba artifact was trained for horizon 6 and does not roll forward");
  }
}
