package dev.sibyl.models.timellm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.ModelRegistry;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.norm.RevIn;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Time-LLM on the real stories260K backbone: shapes, prompt, training, artifacts, frozen weights. */
class TimeLlmTest {

  @TempDir Path dir;

  /** One PyTorch thread, when this class starts the engine: on a busy 2-core machine two spin. */
  @BeforeAll
  static void oneThread() {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
  }

  /** A small configuration: L = 32, H = 8, patches of 8 at stride 4 (8 patches), 2 blocks. */
  private static Map<String, String> small(Path checkpoint) {
    Map<String, String> hp = new HashMap<>();
    hp.put(TimeLlmConfig.BACKBONE, checkpoint.toString());
    hp.put(TimeLlmConfig.PATCH_LENGTH, "8");
    hp.put(TimeLlmConfig.PATCH_STRIDE, "4");
    hp.put(TimeLlmConfig.PROTOTYPES, "100");
    hp.put(TimeLlmConfig.LLM_LAYERS, "2");
    hp.put(TimeLlmConfig.DOMAIN, "a sine wave");
    return hp;
  }

  /** A sine of period 16 with a slow drift. */
  private static double[] series(int n) {
    double[] s = new double[n];
    for (int t = 0; t < n; t++) {
      s[t] = Math.sin(2 * Math.PI * t / 16) + 0.002 * t;
    }
    return s;
  }

  @Test
  void patchingGives64PatchesAtLookback512WithTheEndReplicated() {
    double[][] rows = new double[2][512];
    for (int t = 0; t < 512; t++) {
      rows[0][t] = t;
      rows[1][t] = -t;
    }
    float[] p = PatchEmbedding.patches(rows, 16, 8);
    assertEquals(2 * 64 * 16, p.length);
    TimeLlmConfig c = TimeLlmConfig.parse(Map.of(), 512, 96);
    assertEquals(64, c.patches());
    // patch 62 starts at 496 and ends at 511; patch 63 = [504..511, then 511 repeated 8 times]
    assertEquals(496f, p[62 * 16]);
    assertEquals(504f, p[63 * 16]);
    assertEquals(511f, p[63 * 16 + 7]);
    assertEquals(511f, p[63 * 16 + 15]);
    assertEquals(-511f, p[64 * 16 + 63 * 16 + 15]);
  }

  @Test
  void tensorShapesThroughEveryStage() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    TimeLlm model = new TimeLlmFamily().create(small(checkpoint), 32, 8, 1);
    TimeLlmNetwork net = model.network();
    Decoder decoder = model.backbone().decoder();
    int d = decoder.config().dim(); // 64
    int n = 3;
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      x[i] = Arrays.copyOfRange(series(64), i, i + 32);
    }
    RevIn.normalise(x);
    try (NDScope scope = new NDScope();
        DecoderState state = net.newState(n)) {
      NDManager m = net.manager();
      List<NDArray> p = net.parameters();
      NDArray patches = m.create(PatchEmbedding.patches(x, 8, 4), new Shape(n, 8, 8));
      NDArray embedded = new PatchEmbedding(p.get(0), p.get(1)).forward(patches);
      assertEquals(new Shape(n, 8, 32), embedded.getShape());
      ReprogrammingLayer layer = new ReprogrammingLayer(8, 16, p.subList(2, 12).toArray(new NDArray[0]));
      NDArray prototypes = layer.prototypes(decoder.embeddingTable());
      assertEquals(new Shape(100, d), prototypes.getShape());
      assertEquals(new Shape(n, 8, d), layer.forward(embedded, prototypes).getShape());
      int[][] ids = model.promptIds(x);
      assertEquals(model.prompts().statisticsLength(), ids[0].length);
      assertEquals(new Shape(n, 8), net.forward(x, ids, state).getShape());
    }
    // the head reads 8 patches x min(d_ff 128, D 64) features
    assertEquals(8L * 64, net.parameters().get(12).getShape().get(0));
    double[][][] y = model.predict(new double[][][] {{series(32), series(32)}}, 5);
    assertEquals(1, y.length);
    assertEquals(2, y[0].length);
    assertEquals(5, y[0][0].length);
  }

  @Test
  void promptCarriesStatisticsAndLagsComputedIndependently() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    TimeLlm model = new TimeLlmFamily().create(small(checkpoint), 32, 8, 1);
    // a window with period 8 and a downward drift
    double[] x = new double[32];
    for (int t = 0; t < 32; t++) {
      x[t] = Math.cos(2 * Math.PI * t / 8) - 0.05 * t + (t == 5 ? 0.7 : 0);
    }
    String prompt = model.prompts().prompt(x);
    double[] s = x.clone();
    Arrays.sort(s);
    assertTrue(prompt.startsWith("Dataset description: a sine wave. Task description: forecast the next 8 steps given the previous 32 steps information;"), prompt);
    assertTrue(prompt.contains(String.format(Locale.ROOT, "min value %.3f, max value %.3f, median value %.3f,", s[0], s[31], s[15])), prompt);
    assertTrue(prompt.contains("the trend of input is downward"), prompt);
    // the autocorrelation by a discrete Fourier transform: r = IDFT(|DFT(x)|^2)
    int n = x.length;
    double[] power = new double[n];
    for (int k = 0; k < n; k++) {
      double re = 0;
      double im = 0;
      for (int t = 0; t < n; t++) {
        re += x[t] * Math.cos(2 * Math.PI * k * t / n);
        im -= x[t] * Math.sin(2 * Math.PI * k * t / n);
      }
      power[k] = re * re + im * im;
    }
    double[] r = new double[n];
    for (int lag = 0; lag < n; lag++) {
      for (int k = 0; k < n; k++) {
        r[lag] += power[k] * Math.cos(2 * Math.PI * k * lag / n) / n;
      }
    }
    double[] sortedR = r.clone();
    Arrays.sort(sortedR);
    String lagText = prompt.substring(prompt.indexOf("top 5 lags are : ") + 17);
    String[] lags = lagText.split(", ");
    assertEquals(5, lags.length, prompt);
    for (int i = 0; i < 5; i++) {
      // the i-th lag's autocorrelation is the i-th largest (k and n - k tie by symmetry)
      assertEquals(sortedR[n - 1 - i], r[Integer.parseInt(lags[i])], 1e-9, prompt);
    }
    assertEquals("0", lags[0]);
    assertTrue(Arrays.asList(lags).contains("8"), prompt);
    // the ids: fixed length; the shared part is the prompt's beginning, then padding, then the
    // window's statistics, and the two parts without padding are the tokenizer's encoding of the text
    int[] ids = model.prompts().ids(x);
    assertEquals(model.prompts().length(), ids.length);
    int[] own = model.backbone().tokenizer().encode(prompt, true, false);
    int[] shared = model.prompts().sharedIds();
    assertTrue(shared.length > 10 && own.length < ids.length, own.length + " " + ids.length);
    assertArrayEquals(Arrays.copyOf(own, shared.length), shared);
    int tail = own.length - shared.length;
    assertArrayEquals(
        Arrays.copyOfRange(own, shared.length, own.length), Arrays.copyOfRange(ids, ids.length - tail, ids.length));
    int[] statistics = model.prompts().statisticsIds(x);
    assertEquals(model.prompts().statisticsLength(), statistics.length);
    assertArrayEquals(Arrays.copyOfRange(ids, shared.length, ids.length), statistics);
    double[] up = x.clone();
    up[31] = 10;
    assertTrue(model.prompts().prompt(up).contains("the trend of input is upward"));
  }

  @Test
  void theCachedSharedPromptGivesTheForecastOfOnePassOverTheWholePrompt() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    TimeLlm model = new TimeLlmFamily().create(small(checkpoint), 32, 8, 5);
    TimeLlmNetwork net = model.network();
    int n = 3;
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      x[i] = Arrays.copyOfRange(series(64), 3 * i, 3 * i + 32);
    }
    RevIn.normalise(x);
    int[][] whole = new int[n][];
    for (int i = 0; i < n; i++) {
      whole[i] = model.prompts().ids(x[i]);
    }
    float[] cached;
    float[] uncached;
    try (NDScope scope = new NDScope();
        DecoderState withPrefix = net.newState(n);
        DecoderState empty = model.backbone().decoder().newState(n)) {
      assertEquals(model.prompts().sharedIds().length, withPrefix.position());
      cached = net.forward(x, model.promptIds(x), withPrefix).toFloatArray();
      // the whole prompt as the rows' own part, from an empty cache
      uncached = net.forward(x, whole, empty).toFloatArray();
    }
    assertEquals(n * 8, cached.length);
    assertArrayEquals(uncached, cached, 1e-5f);
    // and a different shared text changes the forecast, so the prefix is really read
    Map<String, String> other = small(checkpoint);
    other.put(TimeLlmConfig.DOMAIN, "the hourly count of bicycles crossing a bridge");
    TimeLlm otherModel = new TimeLlmFamily().create(other, 32, 8, 5);
    double[][][] w = {{series(32)}};
    assertNotEquals(model.predict(w, 8)[0][0][0], otherModel.predict(w, 8)[0][0][0]);
  }

  @Test
  void oneCycleWarmsUpToThePeakAndDecaysLikePyTorch() {
    TimeLlmConfig type1 = TimeLlmConfig.parse(Map.of(), 32, 8);
    assertEquals(0.01, type1.learningRate(0.01, 2, 50, 100), 1e-12);
    assertEquals(0.0025, type1.learningRate(0.01, 4, 90, 100), 1e-12);
    TimeLlmConfig c = TimeLlmConfig.parse(Map.of(TimeLlmConfig.LR_SCHEDULE, "onecycle"), 32, 8);
    // 100 steps: warm-up ends at step 0.2 * 100 - 1 = 19 (PyTorch's phase boundary)
    assertEquals(0.01 / 25, c.learningRate(0.01, 1, 0, 100), 1e-12);
    assertEquals(0.01, c.learningRate(0.01, 1, 19, 100), 1e-12);
    assertEquals(0.01 / 25 / 1e4, c.learningRate(0.01, 5, 99, 100), 1e-12);
    double mid = c.learningRate(0.01, 3, 59, 100);
    assertEquals((0.01 + 0.01 / 25 / 1e4) / 2, mid, 1e-12);
    assertTrue(c.learningRate(0.01, 1, 10, 100) < 0.01 && c.learningRate(0.01, 1, 10, 100) > 0.0004);
    assertThrows(IllegalArgumentException.class,
        () -> TimeLlmConfig.parse(Map.of(TimeLlmConfig.LR_SCHEDULE, "step"), 32, 8));
  }

  @Test
  void overfitsAShortSeriesAndLeavesTheBackboneUnchanged() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    double[] s = series(120);
    double[][] rows = new double[s.length][];
    for (int t = 0; t < s.length; t++) {
      rows[t] = new double[] {s[t]};
    }
    TrainingData data = new TrainingData("sine", rows, rows, 32, 8);
    List<Double> losses = new ArrayList<>();
    TrainingListener record =
        new TrainingListener() {
          @Override
          public void onBatch(int epoch, int batch, int batches, double loss) {
            losses.add(loss);
          }
        };
    Map<String, String> hp = small(checkpoint);
    hp.remove(TimeLlmConfig.BACKBONE);
    // one block and the prompt's last 48 tokens (the statistics) keep the test to seconds
    hp.put(TimeLlmConfig.LLM_LAYERS, "1");
    hp.put(TimeLlmConfig.PROMPT_TOKENS, "48");
    // batches of 2 windows: many small steps, as the learning rate halves every epoch from the third
    TrainingOptions options = new TrainingOptions(6, 2, 0.003, 6, 7, checkpoint, hp);
    // the backbone before: the token table and the hidden states of fixed inputs
    float[] tableBefore;
    float[] hiddenBefore;
    TimeLlm probe = new TimeLlmFamily().create(small(checkpoint), 32, 8, 1);
    try (NDManager m = NDManager.newBaseManager()) {
      Decoder decoder = probe.backbone().decoder();
      tableBefore = decoder.embeddingTable().toFloatArray();
      NDArray in = m.randomNormal(new Shape(1, 10, decoder.config().dim()));
      try (DecoderState st = decoder.newState(1)) {
        hiddenBefore = decoder.forward(in, st).toFloatArray();
      }
      TrainingResult result = new TimeLlmFamily().train(data, options, record);
      TimeLlm trained = (TimeLlm) result.model();
      double first = losses.get(0);
      // the mean over the last epoch's 40 batches
      double last = losses.subList(losses.size() - 40, losses.size()).stream().mapToDouble(v -> v).average().orElseThrow();
      assertTrue(first / last > 100, "loss fell from " + first + " to " + last + ": " + losses);
      // the trained model's own backbone, loaded from the same file, and the probe's are unchanged
      for (Decoder dec : List.of(trained.backbone().decoder(), decoder)) {
        assertArrayEquals(tableBefore, dec.embeddingTable().toFloatArray());
        try (DecoderState st = dec.newState(1)) {
          assertArrayEquals(hiddenBefore, dec.forward(in, st).toFloatArray());
        }
      }
      // the manifest pins the checkpoint by digest
      assertEquals(TimeLlmBackbone.sha256(checkpoint), trained.hyperparameters().get(TimeLlmConfig.BACKBONE_SHA256));
    }
  }

  @Test
  void saveAndLoadGiveIdenticalPredictionsAndAWrongDigestIsRefused() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    Map<String, String> hp = small(checkpoint);
    hp.put(TimeLlmConfig.BACKBONE_SHA256, TimeLlmBackbone.sha256(checkpoint));
    TimeLlm model = new TimeLlmFamily().create(hp, 32, 8, 3);
    Manifest manifest =
        new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(), 32, 8,
            "ab", Map.of("mse", 0.5, "mae", 0.4), 1.0, "sine.csv", Artifacts.now());
    Path out = dir.resolve("a");
    Artifacts.save(out, manifest, model);
    TimeLlm loaded = (TimeLlm) Artifacts.load(out).model();
    double[][][] windows = {{series(32), Arrays.copyOfRange(series(40), 8, 40)}, {series(32), series(32)}};
    double[][][] a = model.predict(windows, 8);
    double[][][] b = loaded.predict(windows, 8);
    for (int i = 0; i < a.length; i++) {
      for (int c = 0; c < a[i].length; c++) {
        assertArrayEquals(a[i][c], b[i][c], 0.0);
      }
    }
    assertEquals(model.parametersTrainable(), loaded.parametersTrainable());
    // the streaming pipeline's selection (model.family, model.option.artifact) serves it
    Forecaster f =
        ForecasterRegistry.create(
            "time-llm", Map.of("artifact", out.toString(), "calibration.size", "2"));
    // LLM-backed: one model call for many series and their calibration origins
    assertTrue(f instanceof dev.sibyl.models.api.BatchedForecaster, f.toString());
    double[] values = series(48);
    ForecastResult r = f.forecast(new SeriesWindow(new long[48], values, 1000), 8);
    assertEquals(8, r.mean().length);
    for (int k = 0; k < 8; k++) {
      assertTrue(Double.isFinite(r.mean()[k]) && r.lower()[k] <= r.mean()[k] && r.mean()[k] <= r.upper()[k]);
    }
    // another digest: the artifact refuses the checkpoint with both digests in the message
    Map<String, String> wrong = new HashMap<>(model.hyperparameters());
    wrong.put(TimeLlmConfig.BACKBONE_SHA256, "0".repeat(64));
    var e = assertThrows(java.io.IOException.class,
        () -> new TimeLlmFamily().loadWeights(wrong, 32, 8, "1", out));
    assertTrue(e.getMessage().contains("0".repeat(64)), e.getMessage());
  }

  @Test
  void ablationSkipsTheLanguageModelAndRegistryServesTheFamily() throws Exception {
    sameInitialWeightsOtherForecast(TimeLlmConfig.LLM, "false");
    assertTrue(ModelRegistry.names().contains("time-llm"));
    assertThrows(IllegalArgumentException.class,
        () -> new TimeLlmFamily().create(Map.of(TimeLlmConfig.LLM, "maybe"), 32, 8, 1));
  }

  @Test
  void theHeadCanReadTheResidualStreamBeforeTheFinalNorm() throws Exception {
    TimeLlm residual = sameInitialWeightsOtherForecast(TimeLlmConfig.HEAD_INPUT, "residual");
    assertEquals("residual", residual.hyperparameters().get(TimeLlmConfig.HEAD_INPUT));
    assertEquals("normed", TimeLlmConfig.DEFAULTS.get(TimeLlmConfig.HEAD_INPUT));
    var e = assertThrows(IllegalArgumentException.class,
        () -> new TimeLlmFamily().create(Map.of(TimeLlmConfig.HEAD_INPUT, "raw"), 32, 8, 1));
    assertTrue(e.getMessage().contains("head.input"), e.getMessage());
  }

  /**
   * The small model with its defaults and with {@code key=value}, from the same seed: the same
   * trainable parameters, another forecast of the same window. Returns the variant.
   */
  private static TimeLlm sameInitialWeightsOtherForecast(String key, String value) throws Exception {
    Map<String, String> hp = small(TinyLm.file(TinyLm.CHECKPOINT));
    TimeLlm base = new TimeLlmFamily().create(hp, 32, 8, 3);
    hp.put(key, value);
    TimeLlm variant = new TimeLlmFamily().create(hp, 32, 8, 3);
    assertEquals(base.parametersTrainable(), variant.parametersTrainable());
    double[][][] w = {{series(32)}};
    assertNotEquals(base.predict(w, 8)[0][0][0], variant.predict(w, 8)[0][0][0]);
    return variant;
  }
}
