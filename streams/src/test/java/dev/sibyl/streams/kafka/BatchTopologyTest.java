package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.ForwardingWindowModel;
import dev.sibyl.models.api.BatchedForecaster;
import dev.sibyl.models.api.TrainedForecasters;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.timellm.TimeLlmConfig;
import dev.sibyl.models.timellm.TimeLlmFamily;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * The batched path with Time-LLM on the real tiny backbone (stories260K): the due channels of a
 * source cost one model call, and each channel's forecast is the one it gets alone.
 */
class BatchTopologyTest {

  private static final int L = 32;
  private static final int H = 8;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant FIRST = T0.minus(Duration.ofDays(30));
  private static final String[] CHANNELS = {"HUFL", "MUFL", "OT"};

  @Test
  void theDueChannelsOfASourceCostOneModelCallAndGetTheirOwnForecasts() throws Exception {
    Path datasets = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"));
    Table ett = Table.read(datasets.resolve("ett").resolve("ETTh1.csv"));
    Map<String, String> hp = new HashMap<>();
    hp.put(TimeLlmConfig.BACKBONE, datasets.resolve("tinylm").resolve("stories260K.bin").toString());
    hp.put(TimeLlmConfig.PATCH_LENGTH, "8");
    hp.put(TimeLlmConfig.PATCH_STRIDE, "4");
    hp.put(TimeLlmConfig.PROTOTYPES, "100");
    hp.put(TimeLlmConfig.LLM_LAYERS, "2");
    hp.put(TimeLlmConfig.DOMAIN, "electricity transformer load and oil temperature");
    WindowModel timeLlm = new TimeLlmFamily().create(hp, L, H, 3);
    int[] calls = {0};
    PipelineConfig config =
        new PipelineConfig(
            Map.of(
                PipelineConfig.LOOKBACK_CONFIG, "48",
                PipelineConfig.HORIZON_CONFIG, "" + H,
                PipelineConfig.CADENCE_CONFIG, "4",
                PipelineConfig.WARMUP_POINTS_CONFIG, "40"));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "batch-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    Serializer<TelemetryPoint> serializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
    int[] columns = {0, 2, 6};

    List<Forecast> out;
    List<DeadLetter> dead;
    try (TopologyTestDriver driver =
        new TopologyTestDriver(ForecastTopology.build(config, BatchedForecaster.of(counting(timeLlm, calls), 0.9, 4), Map.of()), props, T0)) {
      TestInputTopic<byte[], byte[]> input =
          driver.createInputTopic(PipelineConfig.TELEMETRY_TOPIC_DEFAULT, new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<String, Forecast> forecasts =
          driver.createOutputTopic(PipelineConfig.FORECASTS_TOPIC_DEFAULT, new StringDeserializer(), AvroSerdes.forType(Forecast.class, Map.of(), false).deserializer());
      TestOutputTopic<String, DeadLetter> deadLetters =
          driver.createOutputTopic(PipelineConfig.DEAD_LETTER_TOPIC_DEFAULT, new StringDeserializer(), AvroSerdes.forType(DeadLetter.class, Map.of(), false).deserializer());
      for (int i = 0; i < 45; i++) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (int ch = 0; ch < CHANNELS.length; ch++) {
          values.put(CHANNELS[ch], ett.rows()[3000 + i][columns[ch]]);
        }
        TelemetryPoint point = new TelemetryPoint("transformer-2", FIRST.plus(Duration.ofHours(i)), values, Map.of());
        input.pipeInput("transformer-2".getBytes(StandardCharsets.UTF_8), serializer.serialize("t", point), T0);
      }
      out = forecasts.readValuesToList();
      dead = deadLetters.readValuesToList();
    }

    // due at L + 1 = 33 points (step 32), then every 4: steps 32, 36, 40, 44; one call each
    assertThat(out).hasSize(4 * 3);
    assertThat(calls[0]).isEqualTo(4);
    assertThat(out.subList(0, 3)).extracting(Forecast::getChannel).containsExactly("HUFL", "MUFL", "OT");
    assertThat(dead).isEmpty();
    for (Forecast f : out) {
      int step = (int) Duration.between(FIRST, f.getIssuedAt()).toHours();
      int column = columns[Arrays.asList(CHANNELS).indexOf(f.getChannel())];
      double[] values = new double[Math.min(step + 1, 48)];
      for (int i = 0; i < values.length; i++) {
        values[i] = ett.rows()[3000 + step + 1 - values.length + i][column];
      }
      // the per-series adapter's point forecast for this channel's window, one call of its own
      double[] alone = TrainedForecasters.pointModel(timeLlm).forecast(values, H);
      assertThat(f.getModel()).isEqualTo("time-llm");
      assertThat(f.getLookback()).isEqualTo(values.length);
      for (int k = 0; k < H; k++) {
        ForecastPoint p = f.getPoints().get(k);
        assertThat(p.getMean()).as("%s step %d k %d", f.getChannel(), step, k).isCloseTo(alone[k], within(1e-4 * (1 + Math.abs(alone[k]))));
        assertThat(p.getLower()).isLessThan(p.getMean());
        assertThat(p.getUpper()).isGreaterThan(p.getMean());
      }
    }
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
