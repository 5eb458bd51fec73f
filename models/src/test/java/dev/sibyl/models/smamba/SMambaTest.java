package dev.sibyl.models.smamba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.JointForecaster;
import dev.sibyl.models.api.MultivariateForecaster;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.testing.Tiny;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SMambaTest {

  /** A small model: d_model 16, d_state 4, d_ff 16, 2 layers, 3 variates. */
  private static final Map<String, String> SMALL =
      Map.of("d.model", "16", "d.state", "4", "d.ff", "16", "layers", "2", "channels", "3",
          "dropout", "0");

  private final SMambaFamily family = new SMambaFamily();

  @TempDir Path dir;

  @Test
  void convolutionIsCausal() {
    SMambaConfig cfg = SMambaConfig.parse(Map.of("d.model", "4", "d.conv", "3"));
    Map<String, float[]> w = new LinkedHashMap<>();
    MambaBlock.initialise("", cfg, new Random(3), w);
    float[] x = random(new Random(4), 7 * 4); // (1, 7, E=4)
    float[] base = conv(cfg, w, x);
    float[] moved = x.clone();
    for (int e = 0; e < 4; e++) {
      moved[4 * 4 + e] += 1f; // token 4
    }

    float[] out = conv(cfg, w, moved);

    // tokens before 4 are untouched; 4, 5 and 6 see it (kernel 3 reaches two tokens back)
    for (int t = 0; t < 7; t++) {
      for (int e = 0; e < 4; e++) {
        double change = Math.abs(out[t * 4 + e] - base[t * 4 + e]);
        if (t < 4) {
          assertThat(change).as("token %d channel %d", t, e).isZero();
        } else {
          // the change is the tap's weight: conv.weight[tap][e], tap = 2 - (t - 4)
          assertThat(change).isCloseTo(Math.abs(w.get("conv.weight")[(2 - (t - 4)) * 4 + e]), within(1e-5));
        }
      }
    }
  }

  @Test
  void mambaBlockIsCausalOverTheTokens() {
    SMambaConfig cfg = SMambaConfig.parse(Map.of("d.model", "8", "d.state", "3"));
    Map<String, float[]> w = new LinkedHashMap<>();
    MambaBlock.initialise("m.", cfg, new Random(5), w);
    float[] x = random(new Random(6), 2 * 6 * 8); // (2, 6, 8)
    float[] base = block(cfg, w, x);
    float[] moved = x.clone();
    moved[(6 + 3) * 8 + 2] += 1f; // second window, token 3, one channel

    float[] out = block(cfg, w, moved);

    for (int t = 0; t < 6; t++) {
      double change = 0;
      for (int e = 0; e < 8; e++) {
        change += Math.abs(out[(6 + t) * 8 + e] - base[(6 + t) * 8 + e]);
        assertThat(out[t * 8 + e]).as("first window untouched").isEqualTo(base[t * 8 + e]);
      }
      if (t < 3) {
        assertThat(change).as("token %d before the change", t).isZero();
      } else {
        assertThat(change).as("token %d from the change on", t).isPositive();
      }
    }
  }

  @Test
  void bidirectionalLayerIsSymmetricUnderReversingTheVariates() {
    // with the backward blocks sharing the forward blocks' weights, the whole model commutes with
    // reversing the variate order: Mamba(x) + flip(Mamba(flip(x))) is then flip-equivariant, and
    // every other step acts on each token alone
    SMamba model = family.create(SMALL, 24, 5, 1);
    Map<String, float[]> tied = new LinkedHashMap<>();
    for (String name : SMamba.shapes(model.config(), 24, 5).keySet()) {
      tied.put(name, model.weight(name.replace(".backward.", ".forward.")));
    }
    SMamba symmetric = new SMamba(model.config(), 24, 5, "1", tied);
    double[][][] x = windows(new Random(8), 2, 3, 24);
    double[][][] reversed = new double[2][][];
    for (int b = 0; b < 2; b++) {
      reversed[b] = new double[][] {x[b][2], x[b][1], x[b][0]};
    }

    double[][][] y = symmetric.predict(x, 5);
    double[][][] yr = symmetric.predict(reversed, 5);
    double[][][] untied = model.predict(x, 5);
    double[][][] untiedR = model.predict(reversed, 5);

    double asymmetry = 0;
    for (int b = 0; b < 2; b++) {
      for (int c = 0; c < 3; c++) {
        for (int k = 0; k < 5; k++) {
          assertThat(yr[b][2 - c][k]).isCloseTo(y[b][c][k], within(1e-5));
          asymmetry = Math.max(asymmetry, Math.abs(untiedR[b][2 - c][k] - untied[b][c][k]));
        }
      }
    }
    // two independent directions see different orders: the untied model is not symmetric
    assertThat(asymmetry).isGreaterThan(1e-3);
  }

  @Test
  void trainingFitsANoisyCycle() {
    TrainingData data = Tiny.seasonal(400, 48, 12, 11);
    List<Double> validation = new ArrayList<>();
    TrainingListener listener =
        new TrainingListener() {
          @Override
          public void onEpochEnd(int epoch, double trainLoss, double validationLoss, boolean b) {
            validation.add(validationLoss);
          }
        };
    Map<String, String> hp = new LinkedHashMap<>(SMALL);
    hp.remove("channels");
    hp.put("layers", "1");
    TrainingOptions options = new TrainingOptions(5, 16, 0.01, 3, 7, null, hp);

    TrainingResult result = family.train(data, options, listener);

    assertThat(result.model().channels()).isEqualTo(2);
    assertThat(result.model().hyperparameters()).containsEntry("channels", "2");
    assertThat(validation.get(validation.size() - 1)).isLessThan(validation.get(0));
    double min = validation.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    assertThat(result.validationMetrics().get("mse")).isEqualTo(min);
    // a noisy sine with sigma 0.1 around amplitudes 1 and 0.5 (variance 0.5 and 0.125)
    assertThat(min).isLessThan(0.05);
  }

  @Test
  void savedModelLoadsWithEqualForecasts() throws Exception {
    SMamba model = family.create(SMALL, 24, 6, 9);
    Manifest manifest =
        new Manifest(Artifacts.FORMAT_VERSION, SMamba.FAMILY, "1", model.hyperparameters(), 24, 6,
            "ab", Map.of("mse", 0.5, "mae", 0.4), 1.5, "tiny.csv", Artifacts.now());
    Artifacts.save(dir, manifest, model);

    SMamba loaded = (SMamba) Artifacts.load(dir).model();

    double[][][] x = windows(new Random(10), 3, 3, 24);
    assertThat(loaded.predict(x, 6)).isDeepEqualTo(model.predict(x, 6));
    assertThat(loaded.predict(x, 2)[0][0]).hasSize(2);
    assertThat(loaded.channels()).isEqualTo(3);
    assertThat(loaded.parametersTrainable()).isEqualTo(model.parametersTrainable());
    assertThat(loaded.hyperparameters()).isEqualTo(model.hyperparameters());
  }

  @Test
  void thePipelineRefusesAnArtifactThatDoesNotNameItsChannels() throws Exception {
    SMamba model = family.create(SMALL, 24, 6, 9);
    Artifacts.save(dir, new Manifest(Artifacts.FORMAT_VERSION, SMamba.FAMILY, "1",
        model.hyperparameters(), 24, 6, "ab", Map.of("mse", 0.5), 1.5, "tiny.csv", Artifacts.now()),
        model);

    assertThatThrownBy(
            () -> ForecasterRegistry.create(SMamba.FAMILY, Map.of("artifact", dir.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("artifact " + dir + ": s-mamba model mixes 3 channels but does not name"
            + " them (hyperparameter 'channel.names'), so the pipeline cannot map a point's channels"
            + " to its inputs");
  }

  @Test
  void thePipelineServesANamedArtifactJointly() throws Exception {
    Map<String, String> named = new LinkedHashMap<>(SMALL);
    named.put("channel.names", "a, b,c");
    SMamba model = family.create(named, 24, 6, 9);
    Artifacts.save(dir, new Manifest(Artifacts.FORMAT_VERSION, SMamba.FAMILY, "1",
        model.hyperparameters(), 24, 6, "ab", Map.of("mse", 0.5), 1.5, "tiny.csv", Artifacts.now()),
        model);

    Forecaster f =
        ForecasterRegistry.create(SMamba.FAMILY, Map.of("artifact", dir.toString(), "coverage", "0.8"));

    assertThat(f).isInstanceOf(JointForecaster.class);
    assertThat(((JointForecaster) f).channels()).containsExactly("a", "b", "c");
    assertThat(((MultivariateForecaster) f).coverage()).isEqualTo(0.8);
    assertThat(f.minHistory()).isEqualTo(25);
    assertThat(Artifacts.load(dir).model().hyperparameters()).containsEntry("channel.names", "a,b,c");
  }

  @Test
  void channelNamesAreCheckedAgainstTheChannelsAndTheData() {
    assertThat(SMambaConfig.parse(Map.of("channel.names", "x,y")).channels()).isEqualTo(2);
    assertThatThrownBy(() -> SMambaConfig.parse(Map.of("channels", "3", "channel.names", "x,y")))
        .hasMessageContaining("'channels' is 3 but 'channel.names' names 2 channels [x, y]");
    assertThatThrownBy(() -> SMambaConfig.parse(Map.of("channel.names", "x,,y")))
        .hasMessageContaining("'channel.names' must be distinct, non-empty names separated by commas,"
            + " got 'x,,y'");
    assertThatThrownBy(() -> SMambaConfig.parse(Map.of("channel.names", "x,x")))
        .hasMessageContaining("must be distinct");
    TrainingData data = Tiny.seasonal(200, 24, 6, 11);
    Map<String, String> hp = new LinkedHashMap<>(SMALL);
    hp.remove("channels");
    hp.put("channel.names", "a,b,c");
    assertThatThrownBy(
            () -> family.train(data, new TrainingOptions(1, 16, 0.01, 3, 7, null, hp),
                TrainingListener.NONE))
        .hasMessageContaining("'channels' is 3 but the data has 2 channels (channel.names names [a, b, c])");
  }

  @Test
  void refusesBadSettingsAndShapes() {
    SMamba model = family.create(SMALL, 24, 6, 9);
    assertThatThrownBy(() -> model.predict(windows(new Random(1), 1, 2, 24), 6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("s-mamba needs 3 channels, got 2");
    assertThatThrownBy(() -> model.predict(windows(new Random(1), 1, 3, 24), 7))
        .hasMessageContaining("trained for horizon 6 and does not roll forward");
    assertThatThrownBy(() -> family.create(Map.of(), 24, 6, 1))
        .hasMessageContaining("needs hyperparameter 'channels' >= 1");
    assertThatThrownBy(() -> family.create(Map.of("channels", "3", "heads", "8"), 24, 6, 1))
        .hasMessageContaining("unknown s-mamba hyperparameter 'heads'");
    assertThatThrownBy(() -> family.create(Map.of("channels", "3", "dropout", "1"), 24, 6, 1))
        .hasMessageContaining("'dropout' must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> family.create(Map.of("channels", "3", "d.state", "x"), 24, 6, 1))
        .hasMessageContaining("'d.state' must be an integer, got 'x'");
    TrainingData data = Tiny.seasonal(200, 24, 6, 1);
    assertThatThrownBy(() -> family.train(data, new TrainingOptions(1, 8, 1e-3, 1, 1, null, SMALL),
            TrainingListener.NONE))
        .hasMessageContaining("'channels' is 3 but the data has 2 channels");
  }

  private static float[] conv(SMambaConfig cfg, Map<String, float[]> w, float[] x) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray in = m.create(x, new Shape(1, 7, cfg.dInner()));
      return MambaBlock.causalConv(
              in,
              m.create(w.get("conv.weight"), new Shape(cfg.dConv(), cfg.dInner())),
              m.create(w.get("conv.bias"), new Shape(cfg.dInner())))
          .toFloatArray();
    }
  }

  private static float[] block(SMambaConfig cfg, Map<String, float[]> w, float[] x) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    MambaBlock.shapes("m.", cfg, shapes);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        arrays.put(e.getKey(), m.create(w.get(e.getKey()), new Shape(e.getValue())));
      }
      return MambaBlock.forward(arrays, "m.", cfg, m.create(x, new Shape(2, 6, cfg.dModel())))
          .toFloatArray();
    }
  }

  private static float[] random(Random random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
    }
    return a;
  }

  private static double[][][] windows(Random random, int b, int c, int l) {
    double[][][] x = new double[b][c][l];
    for (double[][] w : x) {
      for (double[] ch : w) {
        for (int t = 0; t < l; t++) {
          ch[t] = random.nextGaussian() + Math.sin(t / 3.0);
        }
      }
    }
    return x;
  }
}
