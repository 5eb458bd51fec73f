package dev.sibyl.models.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.autotimes.AutoTimesFamily;
import dev.sibyl.models.autotimes.AutoTimesStreaming;
import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.smetimes.SmeTimes;
import dev.sibyl.models.smetimes.SmeTimesFamily;
import dev.sibyl.models.smetimes.SmeTimesStreaming;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.option.streaming}: an autotimes artifact (untrained, on the real stories260K
 * backbone, segments of 8 and context 32) is served with its keyed forecasters when the option
 * says kv-cache, statelessly by default; a family without per-series state refuses kv-cache.
 */
class KeyedServingTest {

  private static final int L = 32;
  private static final int S = 8;

  @TempDir Path dir;

  @BeforeAll
  static void oneThread() {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
  }

  private Path autoTimesArtifact() throws Exception {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, TinyLm.file(TinyLm.CHECKPOINT).toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    AutoTimes model = new AutoTimesFamily().create(hp, L, S, 5);
    Path out = dir.resolve("autotimes");
    Artifacts.save(
        out,
        new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(), L, S, "ab", Map.of(), 0, "x", Artifacts.now()),
        model);
    return out;
  }

  @Test
  void autoTimesIsServedKeyedOnRequestAndStatelessByDefault() throws Exception {
    Path artifact = autoTimesArtifact();
    Forecaster f =
        ForecasterRegistry.create("autotimes", Map.of("artifact", artifact.toString(), "calibration.size", "4", "streaming", "kv-cache"));
    assertThat(f).isInstanceOf(KeyedServing.class);
    KeyedServing serving = (KeyedServing) f;
    assertThat(serving.stateless()).isInstanceOf(BatchedForecaster.class);
    assertThat(serving.minHistory()).isEqualTo(L + 1);
    double[] y = new double[L + 12];
    long[] t = new long[y.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = 10 + Math.sin(2 * Math.PI * i / 16) + 0.01 * i;
      t[i] = 60_000L * i;
    }
    SeriesWindow window = new SeriesWindow(t, y, 60_000L);
    // as a Forecaster it is the stateless one; its keyed forecaster agrees at a (re)build
    ForecastResult stateless = serving.forecast(window, S);
    assertThat(stateless.mean()).containsExactly(serving.stateless().forecast(window, S).mean());
    try (KeyedForecaster keyed = serving.openKeyed(3)) {
      assertThat(keyed).isInstanceOf(AutoTimesStreaming.class);
      assertThat(keyed.maxSeries()).isEqualTo(3);
      double[] mean = keyed.forecast("a", window, S);
      for (int k = 0; k < S; k++) {
        assertThat(mean[k]).isCloseTo(stateless.mean()[k], within(1e-4 * (1 + Math.abs(mean[k]))));
      }
    }
    assertThatThrownBy(() -> serving.openKeyed(0)).hasMessageContaining("maxSeries must be >= 1, got 0");
    assertThat(serving.calibratedHistory(S)).isEqualTo(L + 1 + 4 + S - 1);
    assertThat(ForecasterRegistry.create("autotimes", Map.of("artifact", artifact.toString(), "streaming", "stateless")))
        .isInstanceOf(BatchedForecaster.class);
    assertThat(ForecasterRegistry.create("autotimes", Map.of("artifact", artifact.toString()))).isInstanceOf(BatchedForecaster.class);
    assertThatThrownBy(() -> ForecasterRegistry.create("autotimes", Map.of("artifact", artifact.toString(), "streaming", "cache")))
        .hasMessageContaining("option 'streaming' must be kv-cache or stateless, got 'cache'");
  }

  @Test
  void smeTimesIsServedKeyedOnRequest() throws Exception {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, TinyLm.file(TinyLm.CHECKPOINT).toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    SmeTimes model = new SmeTimesFamily().create(hp, L, S, 5);
    Path out = dir.resolve("smetimes");
    Artifacts.save(
        out,
        new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(), L, S, "ab", Map.of(), 0, "x", Artifacts.now()),
        model);
    Forecaster f = ForecasterRegistry.create("smetimes", Map.of("artifact", out.toString(), "streaming", "kv-cache"));
    assertThat(f).isInstanceOf(KeyedServing.class);
    try (KeyedForecaster keyed = ((KeyedServing) f).openKeyed(2)) {
      assertThat(keyed).isInstanceOf(SmeTimesStreaming.class);
      assertThat(keyed.family()).isEqualTo("smetimes");
    }
    assertThat(ForecasterRegistry.create("smetimes", Map.of("artifact", out.toString()))).isInstanceOf(BatchedForecaster.class);
  }

  @Test
  void aFamilyWithoutPerSeriesStateRefusesKvCache() throws Exception {
    assertThatThrownBy(() -> ForecasterRegistry.create("ar", Map.of("streaming", "kv-cache")))
        .hasMessageContaining("option 'streaming=kv-cache': family ar keeps no per-series state");
    Dlinear model = new DlinearFamily().create(Map.of(), 48, 12, 1);
    Artifacts.save(dir, new Manifest(1, "dlinear", "1", model.hyperparameters(), 48, 12, "ab", Map.of(), 0, "x", Artifacts.now()), model);
    assertThatThrownBy(() -> ForecasterRegistry.create("dlinear", Map.of("artifact", dir.toString(), "streaming", "kv-cache")))
        .hasMessageContaining("option 'streaming=kv-cache': family dlinear keeps no per-series state");
    assertThat(ForecasterRegistry.create("dlinear", Map.of("artifact", dir.toString()))).isNotInstanceOf(KeyedServing.class);
    assertThat(ForecasterRegistry.create("dlinear", Map.of("artifact", dir.toString(), "streaming", "stateless"))).isNotInstanceOf(KeyedServing.class);
  }
}
