package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.streams.PipelineConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the configuration becomes an inference pool, and each setting's error. */
class InferencePoolTest {

  @TempDir Path dir;

  private static PipelineConfig config(Map<String, String> extra) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(PipelineConfig.MODEL_FAMILY_CONFIG, "dlinear");
    settings.put(PipelineConfig.INFERENCE_MODE_CONFIG, PipelineConfig.INFERENCE_MODE_POOL);
    settings.putAll(extra);
    return new PipelineConfig(settings);
  }

  @Test
  void withoutEndpointsTheArtifactIsServedInProcessUnderItsDirectoryName() throws Exception {
    Path artifact = dir.resolve("etth1-dlinear");
    Dlinear model = new DlinearFamily().create(Map.of(), 16, 4, 3);
    Artifacts.save(
        artifact,
        new Manifest(Artifacts.FORMAT_VERSION, "dlinear", model.version(), model.hyperparameters(), 16, 4, "00", Map.of(), 0, "test", Artifacts.now()),
        model);
    PipelineConfig config = config(Map.of(PipelineConfig.MODEL_OPTIONS_PREFIX + "artifact", artifact.toString()));
    Forecaster inProcess = ForecasterRegistry.create("dlinear", Map.of("artifact", artifact.toString()));
    InferencePool.check(config);
    try (InferencePool pool = InferencePool.open(config, inProcess, new SimpleMeterRegistry())) {
      assertThat(pool.model()).isEqualTo("etth1-dlinear");
      assertThat(pool.forecaster().lookback()).isEqualTo(16);
      assertThat(pool.fallback().family()).isEqualTo("seasonal-naive");
      double[][][] windows = new double[3][1][16];
      for (int i = 0; i < 3; i++) {
        for (int t = 0; t < 16; t++) {
          windows[i][0][t] = Math.sin(t + i);
        }
      }
      assertThat(pool.client().predict("etth1-dlinear", windows, 4).get(30, TimeUnit.SECONDS))
          .isDeepEqualTo(model.predict(windows, 4));
    }
  }

  @Test
  void eachBadSettingIsNamed() {
    assertThatThrownBy(() -> InferencePool.check(config(Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("inference.mode=pool needs a trained model: set model.option.artifact");
    Map<String, String> artifact = Map.of(PipelineConfig.MODEL_OPTIONS_PREFIX + "artifact", dir.toString());
    Map<String, String> badEndpoint = new HashMap<>(artifact);
    badEndpoint.put(PipelineConfig.INFERENCE_ENDPOINTS_CONFIG, "worker-1:8001,worker-2");
    assertThatThrownBy(() -> InferencePool.check(config(badEndpoint)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("inference.endpoints")
        .hasMessageContaining("worker-2")
        .hasMessageContaining("host:port");
    Map<String, String> badFallback = new HashMap<>(artifact);
    badFallback.put(PipelineConfig.INFERENCE_FALLBACK_CONFIG, "oracle");
    assertThatThrownBy(() -> InferencePool.check(config(badFallback)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("inference.fallback")
        .hasMessageContaining("unknown forecaster family 'oracle'");
    // the artifact directory holds no model
    assertThatThrownBy(() -> InferencePool.open(config(artifact), ForecasterRegistry.create("seasonal-naive", Map.of()), new SimpleMeterRegistry()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model.option.artifact");
  }
}
