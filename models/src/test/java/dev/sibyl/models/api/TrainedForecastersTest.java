package dev.sibyl.models.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.models.testing.Synthetic;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainedForecastersTest {

  @TempDir Path dir;

  @Test
  void dlinearNeedsAnArtifact() {
    assertThatThrownBy(() -> ForecasterRegistry.create("dlinear", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("family dlinear needs a trained artifact: set option 'artifact'");
    assertThatThrownBy(() -> ForecasterRegistry.create("dlinear", Map.of("season.length", "24")))
        .hasMessageContaining("unknown option 'season.length' for family dlinear");
    assertThatThrownBy(() -> ForecasterRegistry.create("ar", Map.of("ar.order", "0")))
        .hasMessageContaining("option 'ar.order' must be an integer in [1, 1000], got '0'");
  }

  @Test
  void arFitsOnTheWindowWithoutAnArtifact() {
    double[] y = Synthetic.trendSeason(300, 10, 0, 2, 24, 0.2, 4);

    Forecaster f = ForecasterRegistry.create("ar", Map.of("ar.order", "24", "coverage", "0.9"));
    ForecastResult r = f.forecast(Synthetic.window(y), 24);

    assertThat(f.family()).isEqualTo("ar");
    assertThat(f.minHistory()).isEqualTo(3 * 24 + 2);
    assertThat(r.coverage()).isEqualTo(0.9);
    for (int k = 0; k < 24; k++) {
      assertThat(r.lower()[k]).isLessThanOrEqualTo(r.mean()[k]);
      assertThat(Math.abs(r.mean()[k] - (10 + 2 * Math.sin(2 * Math.PI * (300 + k) / 24))))
          .isLessThan(1.0);
    }
  }

  @Test
  void dlinearArtifactServesThePipeline() throws Exception {
    Dlinear model = new DlinearFamily().create(Map.of(), 48, 12, 1);
    Artifacts.save(
        dir,
        new Manifest(1, "dlinear", "1", model.hyperparameters(), 48, 12, "ab", Map.of(), 0, "x",
            Artifacts.now()),
        model);
    double[] y = Synthetic.trendSeason(200, 100, 0, 5, 24, 1, 2);

    Forecaster f = ForecasterRegistry.create("dlinear", Map.of("artifact", dir.toString()));
    ForecastResult r = f.forecast(Synthetic.window(y), 12);

    assertThat(r.horizon()).isEqualTo(12);
    assertThat(f.minHistory()).isEqualTo(49);
    assertThatThrownBy(() -> f.forecast(Synthetic.window(y), 13))
        .hasMessageContaining("trained for horizon 12 and does not roll forward");
    assertThatThrownBy(() -> ForecasterRegistry.create("ar", Map.of("artifact", dir.toString())))
        .hasMessageContaining("is of family dlinear, not ar");
    assertThatThrownBy(
            () -> ForecasterRegistry.create("dlinear", Map.of("artifact", dir.resolve("nope").toString())))
        .hasMessageContaining("no manifest");
  }
}
