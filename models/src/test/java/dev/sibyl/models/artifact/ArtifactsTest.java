package dev.sibyl.models.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.controls.ArForecaster;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.models.testing.Tiny;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactsTest {

  @TempDir Path dir;

  private static Manifest manifest(WindowModel m, String fingerprint) {
    return new Manifest(
        Artifacts.FORMAT_VERSION, m.family(), m.version(), m.hyperparameters(), m.lookback(),
        m.horizon(), fingerprint, Map.of("mse", 0.5, "mae", 0.4), 1.5, "tiny.csv", Artifacts.now());
  }

  @Test
  void dlinearRoundTrips() throws Exception {
    Dlinear model = new DlinearFamily().create(Map.of(), 24, 6, 9);
    TrainingData data = Tiny.seasonal(200, 24, 6, 1);
    Artifacts.save(dir, manifest(model, data.fingerprint()), model);

    Artifacts.Loaded loaded = Artifacts.load(dir);

    assertThat(loaded.manifest().family()).isEqualTo("dlinear");
    assertThat(loaded.manifest().lookback()).isEqualTo(24);
    assertThat(loaded.manifest().horizon()).isEqualTo(6);
    assertThat(loaded.manifest().trainingDataFingerprint()).hasSize(64).isEqualTo(data.fingerprint());
    assertThat(loaded.manifest().validationMetrics()).containsEntry("mse", 0.5);
    assertThat(loaded.manifest().hyperparameters()).containsEntry("kernel.size", "25");
    double[][][] x = {{Tiny.seasonal(200, 24, 6, 1).train()[0].clone()}};
    x[0][0] = java.util.Arrays.copyOf(x[0][0], 24);
    assertThat(loaded.model().predict(x, 6)).isDeepEqualTo(model.predict(x, 6));
    assertThat(Files.readString(dir.resolve("manifest.json")))
        .contains("\"formatVersion\" : 1", "\"createdAt\"", "\"trainingDataFingerprint\"");
  }

  @Test
  void arRoundTrips() throws Exception {
    ArForecaster model =
        new ArForecaster(8, 4, 0.25, new double[] {0.5, -0.25}, "1",
            Map.of("order", "2", "ridge", "0.001", "orders", "1,2"));
    Artifacts.save(dir, manifest(model, "ab"), model);

    ArForecaster loaded = (ArForecaster) Artifacts.load(dir).model();

    assertThat(loaded.coefficients()).containsExactly(0.5, -0.25);
    assertThat(loaded.intercept()).isEqualTo(0.25);
  }

  @Test
  void fingerprintDependsOnTheTrainingRowsOnly() {
    TrainingData a = Tiny.seasonal(200, 24, 6, 1);
    TrainingData b = new TrainingData("x", a.train(), a.train(), 24, 6);

    assertThat(b.fingerprint()).isEqualTo(a.fingerprint());
    assertThat(Tiny.seasonal(200, 24, 6, 2).fingerprint()).isNotEqualTo(a.fingerprint());
  }

  @Test
  void corruptManifestNamesThePath() throws Exception {
    Files.writeString(dir.resolve("manifest.json"), "{\"formatVersion\": 1, \"family\": ");

    assertThatThrownBy(() -> Artifacts.load(dir))
        .isInstanceOf(ArtifactException.class)
        .hasMessageStartingWith(dir.resolve("manifest.json") + ": corrupt manifest: not valid JSON");
  }

  @Test
  void unknownFormatVersionIsRefused() throws Exception {
    Files.writeString(dir.resolve("manifest.json"), "{\"formatVersion\": 7, \"family\": \"dlinear\"}");

    assertThatThrownBy(() -> Artifacts.load(dir))
        .isInstanceOf(ArtifactException.class)
        .hasMessage(dir.resolve("manifest.json") + ": unknown formatVersion 7 (this build reads 1)");
  }

  @Test
  void unregisteredFamilyIsRefused() throws Exception {
    Files.writeString(
        dir.resolve("manifest.json"), "{\"formatVersion\": 1, \"family\": \"time-llm-9000\"}");

    assertThatThrownBy(() -> Artifacts.load(dir))
        .isInstanceOf(ArtifactException.class)
        .hasMessage(
            dir.resolve("manifest.json")
                + ": family 'time-llm-9000' is not registered (registered: [ar, autotimes, dlinear, s-mamba, smetimes, time-llm])");
  }

  @Test
  void missingFieldsAndFilesAreNamed() throws Exception {
    assertThatThrownBy(() -> Artifacts.load(dir))
        .hasMessage(dir.resolve("manifest.json") + ": no manifest (is this an artifact directory?)");
    Files.writeString(dir.resolve("manifest.json"), "{\"formatVersion\": 1, \"family\": \"dlinear\"}");
    assertThatThrownBy(() -> Artifacts.load(dir))
        .hasMessageContaining("corrupt manifest: field 'hyperparameters' missing or not an object");
    Dlinear model = new DlinearFamily().create(Map.of(), 24, 6, 9);
    Artifacts.save(dir, manifest(model, "ab"), model);
    Files.delete(dir.resolve(DlinearFamily.WEIGHTS_FILE));
    assertThatThrownBy(() -> Artifacts.load(dir))
        .hasMessageContaining(dir.resolve(DlinearFamily.WEIGHTS_FILE) + ": weight file missing");
  }
}
