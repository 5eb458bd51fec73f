package dev.sibyl.models.smetimes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.api.ModelRegistry;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMETimes on the real stories260K backbone at a small scale (segments of 8, context 32 = 4
 * tokens): the statistical prompt and its cache, the gate, rollout, training, artifacts, ablations.
 */
class SmeTimesTest {

  private static final int S = 8;
  private static final int L = 32;

  @TempDir Path dir;

  @BeforeAll
  static void oneThread() {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
  }

  private static Map<String, String> small(Path checkpoint) {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, checkpoint.toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.STREAM_MAX_SEGMENTS, "7");
    return hp;
  }

  private static double[] series(int n, double phase) {
    double[] s = new double[n];
    for (int t = 0; t < n; t++) {
      s[t] = Math.sin(2 * Math.PI * t / 16 + phase) + 0.002 * t + 0.1 * Math.sin(t * 0.37);
    }
    return s;
  }

  private static SmeTimes model(Map<String, String> hp) {
    return new SmeTimesFamily().create(hp, L, S, 5);
  }

  @Test
  void promptStatisticsOfAKnownSegmentAndEmbeddingsComputedOncePerTextInBatches() {
    // mean 2.5, population std sqrt(1.25) = 1.118, change 4 - 1 = 3; one decimal
    assertEquals(
        "mean of this time series is 2.5; standard deviation of this time series is 1.1; changed by 3.0",
        StatisticalPrompt.text(new double[] {1, 2, 3, 4}));
    assertEquals(
        "mean of this time series is -1.0; standard deviation of this time series is 0.0; changed by 0.0",
        StatisticalPrompt.text(new double[] {-1, -1, -1}));
    // rounding that crosses zero from below writes one text
    assertEquals(StatisticalPrompt.text(new double[] {0.01}), StatisticalPrompt.text(new double[] {-0.01}));

    SmeTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    Random r = new Random(11);
    double[] noise = new double[L];
    for (int i = 0; i < L; i++) {
      noise[i] = r.nextGaussian() * (1 + i / 8.0);
    }
    double[][] contexts = {series(L, 0), noise, series(L, 0)}; // the third repeats the first
    model.predict(new double[][][] {contexts}, S);
    // one LLM pass per distinct text, whatever the number of rows and repeats
    Set<String> texts = new HashSet<>();
    for (double[] segment : model.segments(contexts)) {
      texts.add(StatisticalPrompt.text(segment));
    }
    assertTrue(texts.size() > L / S && texts.size() < 3 * L / S, "texts " + texts);
    assertEquals(texts.size(), model.promptsComputed());
    model.predict(new double[][][] {{contexts[1]}}, S);
    assertEquals(texts.size(), model.promptsComputed());
    // a rollout of 2 segments adds the predicted segment of each row: new texts only where new
    double[][] next = model.nextSegment(new double[][] {contexts[0], contexts[1]});
    texts.add(StatisticalPrompt.text(next[0]));
    texts.add(StatisticalPrompt.text(next[1]));
    model.predict(new double[][][] {{contexts[0], contexts[1]}}, 2 * S);
    assertEquals(texts.size(), model.promptsComputed());

    // the batched (right-padded) embedding equals the text run alone: last hidden state, L2-normalised
    Decoder decoder = model.backbone().decoder();
    double[] segment = Arrays.copyOfRange(noise, S, 2 * S);
    int d = decoder.config().dim();
    float[] cached = model.network().prompts().embeddings(List.of(segment));
    int[] ids = model.backbone().tokenizer().encode(StatisticalPrompt.text(segment), true, false);
    try (NDManager m = NDManager.newBaseManager();
        DecoderState st = decoder.newState(1)) {
      NDArray h = decoder.forward(decoder.tokenEmbeddings(m.create(ids, new Shape(1, ids.length)).toType(DataType.INT64, false)), st);
      float[] last = h.get("0, -1, :").toFloatArray();
      double norm = 0;
      for (float v : last) {
        norm += v * v;
      }
      float[] expected = new float[d];
      for (int i = 0; i < d; i++) {
        expected[i] = (float) (last[i] / Math.sqrt(norm));
      }
      assertArrayEquals(expected, cached, 1e-5f);
    }
    // bounded: a cache of 3 holds 3
    PromptEmbeddings tiny = new PromptEmbeddings(decoder, model.backbone().tokenizer(), 3);
    tiny.embeddings(model.segments(new double[][] {noise}));
    assertEquals(3, tiny.size());
    assertEquals(L / S, tiny.computed());
  }

  @Test
  void gateIsADistributionOverTheExpertsAndTheBaseAndTheExpertsDiffer() {
    SmeTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    MixtureOfExperts moe = model.network().moe();
    int k = model.config().experts();
    assertEquals(4, k);
    int d = model.backbone().decoder().config().dim();
    Random r = new Random(3);
    float[] h = new float[2 * 5 * d];
    for (int i = 0; i < h.length; i++) {
      h[i] = (float) (r.nextGaussian() * 3);
    }
    float[] x = new float[2 * 5 * S];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray hidden = m.create(h, new Shape(2, 5, d));
      MixtureOfExperts.Output out = moe.forward(hidden, m.create(x, new Shape(2, 5, S)), null);
      assertEquals(new Shape(2, 5, k + 1), out.gate().getShape());
      assertEquals(new Shape(2, 5, S), out.prediction().getShape());
      float[] g = out.gate().toFloatArray();
      float[] sums = out.gate().sum(new int[] {2}).toFloatArray();
      for (float s : sums) {
        assertEquals(1f, s, 1e-5f);
      }
      for (float v : g) {
        assertTrue(v > 0 && v < 1, "gate weight " + v);
      }
      // the balance loss is K * sum f_i P_i: in [P_max-ish, K], and exactly 1 for K = 1
      float balance = out.balance().getFloat();
      assertTrue(balance > 0 && balance <= k + 1e-4, "balance " + balance);
    }
    // the experts are distinct linear maps: their columns in the stacked weight differ
    float[] w = model.weights().get("moe.experts.w").data();
    assertNotEquals(w[0], w[S]);

    Map<String, String> one = small(TinyLm.file(TinyLm.CHECKPOINT));
    one.put(SmeTimesConfig.EXPERTS, "1");
    SmeTimes single = model(one);
    try (NDManager m = NDManager.newBaseManager()) {
      MixtureOfExperts.Output out =
          single.network().moe().forward(m.create(h, new Shape(2, 5, d)), m.create(x, new Shape(2, 5, S)), null);
      assertEquals(1f, out.balance().getFloat(), 1e-6f);
      assertEquals(new Shape(2, 5, 2), out.gate().getShape());
    }
  }

  @Test
  void basePredictorReadsTheLookbackUpToEachTokenAndNothingAfterIt() {
    SmeTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    MixtureOfExperts moe = model.network().moe();
    int b = L / S;
    assertEquals(b, moe.lags(), "base.segments=0 reads the whole context");
    assertEquals(String.valueOf(b), model.hyperparameters().get(SmeTimesConfig.BASE_SEGMENTS));
    assertArrayEquals(new long[] {b * S, S}, model.weights().get("moe.base.w").shape());
    int t = 6;
    Random r = new Random(11);
    float[] x = new float[t * S];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    try (NDManager m = NDManager.newBaseManager()) {
      float[] y = moe.base(m.create(x, new Shape(1, t, S)), null).toFloatArray();
      for (int changed = 0; changed < t; changed++) {
        float[] x2 = x.clone();
        for (int k = 0; k < S; k++) {
          x2[changed * S + k] += 5f;
        }
        float[] y2 = moe.base(m.create(x2, new Shape(1, t, S)), null).toFloatArray();
        for (int pos = 0; pos < t; pos++) {
          float diff = 0;
          for (int k = 0; k < S; k++) {
            diff = Math.max(diff, Math.abs(y2[pos * S + k] - y[pos * S + k]));
          }
          // token pos reads the segments pos - B + 1 .. pos: causal, and the older ones are forgotten
          boolean reads = changed <= pos && changed > pos - b;
          assertEquals(reads, diff > 1e-4, "segment " + changed + " at token " + pos + ": " + diff);
        }
      }
      // the tail of the sequence with its past passed explicitly is the same map (the session's path)
      int from = 3;
      float[] tail = Arrays.copyOfRange(x, from * S, t * S);
      float[] past = Arrays.copyOfRange(x, (from - (b - 1)) * S, from * S);
      float[] y3 = moe.base(m.create(tail, new Shape(1, t - from, S)), m.create(past, new Shape(1, b - 1, S)))
          .toFloatArray();
      assertArrayEquals(Arrays.copyOfRange(y, from * S, t * S), y3, 1e-5f);
    }
    Map<String, String> own = small(TinyLm.file(TinyLm.CHECKPOINT));
    own.put(SmeTimesConfig.BASE_SEGMENTS, "1");
    assertArrayEquals(new long[] {S, S}, model(own).weights().get("moe.base.w").shape());
  }

  @Test
  void rolloutForTwoSegmentsEqualsTwoExplicitSteps() {
    SmeTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    assertTrue(model.autoregressive());
    double[] x = series(L, 0.3);
    double[] rolled = model.predict(new double[][][] {{x, series(L, 1.1)}}, 2 * S)[0][0];
    double[] first = model.predict(new double[][][] {{x}}, S)[0][0];
    double[] slid = new double[L];
    System.arraycopy(x, S, slid, 0, L - S);
    System.arraycopy(first, 0, slid, L - S, S);
    double[] second = model.predict(new double[][][] {{slid}}, S)[0][0];
    assertArrayEquals(first, Arrays.copyOfRange(rolled, 0, S), 1e-9);
    assertArrayEquals(second, Arrays.copyOfRange(rolled, S, 2 * S), 1e-6);
    assertEquals(3 * S + 5, model.predict(new double[][][] {{x}}, 3 * S + 5)[0][0].length);
  }

  @Test
  void overfitsAShortSeriesLearningAlphaAndTheGateWithTheBackboneUnchanged() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    double[] s = series(160, 0);
    double[][] rows = new double[s.length][];
    for (int t = 0; t < s.length; t++) {
      rows[t] = new double[] {s[t]};
    }
    TrainingData data = new TrainingData("sine", rows, rows, L, S);
    List<Double> losses = new ArrayList<>();
    TrainingListener record =
        new TrainingListener() {
          @Override
          public void onBatch(int epoch, int batch, int batches, double loss) {
            losses.add(loss);
          }
        };
    Map<String, String> hp = small(checkpoint);
    hp.remove(AutoTimesConfig.BACKBONE);
    // true segments only, so that every text embedded is one of the series' segments (counted below)
    hp.put(SmeTimesConfig.ROLLOUT_WEIGHT, "0");
    TrainingOptions options = new TrainingOptions(6, 4, 0.01, 6, 7, checkpoint, hp);
    SmeTimes probe = model(small(checkpoint));
    float[] tableBefore = probe.backbone().decoder().embeddingTable().toFloatArray();
    Map<String, float[]> before = new HashMap<>();
    probe.weights().forEach((k, v) -> before.put(k, v.data()));
    TrainingResult result = new SmeTimesFamily().train(data, options, record);
    SmeTimes trained = (SmeTimes) result.model();
    double first = losses.get(0);
    double last = losses.subList(losses.size() - 10, losses.size()).stream().mapToDouble(v -> v).average().orElseThrow();
    assertTrue(first / last > 20, "loss fell from " + first + " to " + last + ": " + losses);
    assertTrue(result.validationMetrics().get("mse") < 0.05, "validation " + result.validationMetrics());
    assertArrayEquals(tableBefore, trained.backbone().decoder().embeddingTable().toFloatArray());
    assertEquals(PinnedBackbone.sha256(checkpoint), trained.hyperparameters().get(AutoTimesConfig.BACKBONE_SHA256));
    // the fusion weight, the gate and the base predictor all learned (same seed, same initial values)
    assertNotEquals(0.5, trained.alpha(), 1e-4);
    assertEquals(trained.alpha(), result.validationMetrics().get("alpha"), 1e-9);
    for (String name : List.of("moe.gate.w", "moe.experts.w", "moe.base.w")) {
      assertFalse(Arrays.equals(before.get(name), trained.weights().get(name).data()), name + " did not move");
    }
    // the prompts were embedded once each: the series has at most 160 - S + 1 distinct segments
    assertTrue(trained.promptsComputed() <= 160 - S + 1, "computed " + trained.promptsComputed());
  }

  @Test
  void rolloutLossTrainsOnThePredictionFedBackWithItsOwnPrompt() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    double[] s = series(96, 0);
    double[][] rows = new double[s.length][];
    for (int t = 0; t < s.length; t++) {
      rows[t] = new double[] {s[t]};
    }
    TrainingData data = new TrainingData("sine", rows, rows, L, S);
    Map<String, float[]> trained = new HashMap<>();
    long[] computed = new long[2];
    for (int i = 0; i < 2; i++) {
      Map<String, String> hp = small(checkpoint);
      hp.remove(AutoTimesConfig.BACKBONE);
      hp.put(SmeTimesConfig.ROLLOUT_WEIGHT, i == 0 ? "0" : "1");
      TrainingResult result =
          new SmeTimesFamily().train(data, new TrainingOptions(1, 8, 0.01, 1, 7, checkpoint, hp), TrainingListener.NONE);
      SmeTimes model = (SmeTimes) result.model();
      assertEquals(i == 0 ? "0.0" : "1.0", model.hyperparameters().get(SmeTimesConfig.ROLLOUT_WEIGHT));
      computed[i] = model.promptsComputed();
      if (i == 1) {
        for (var e : model.weights().entrySet()) {
          trained.put(e.getKey(), e.getValue().data());
        }
      } else {
        model.weights().forEach((k, v) -> trained.put("off." + k, v.data()));
      }
    }
    // the second pass changed the gradient of every part it runs through, the base predictor included
    for (String name : List.of("embed.w1", "moe.gate.w", "moe.base.w")) {
      assertFalse(Arrays.equals(trained.get(name), trained.get("off." + name)), name);
    }
    // and the predicted segments fed back got prompts of their own, on top of the series' texts
    assertTrue(computed[1] > computed[0], "prompts " + computed[0] + " without, " + computed[1] + " with the rollout");
    var e = assertThrows(IllegalArgumentException.class,
        () -> SmeTimesConfig.parse(Map.of(AutoTimesConfig.SEGMENT_LENGTH, "" + S, SmeTimesConfig.ROLLOUT_WEIGHT, "-1"), L, S));
    assertTrue(e.getMessage().contains("'rollout.weight' must be a number >= 0, got '-1'"), e.getMessage());
  }

  @Test
  void longerRolloutChainsFeedBackMorePredictionsAndAreBounded() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    double[] s = series(60, 0); // 21 windows: two batches of 8 per run
    double[][] rows = new double[s.length][];
    for (int t = 0; t < s.length; t++) {
      rows[t] = new double[] {s[t]};
    }
    TrainingData data = new TrainingData("sine", rows, rows, L, S);
    Map<Integer, float[]> gate = new HashMap<>();
    Map<Integer, Long> computed = new HashMap<>();
    for (int steps : new int[] {2, L / S}) {
      Map<String, String> hp = small(checkpoint);
      hp.remove(AutoTimesConfig.BACKBONE);
      hp.put(SmeTimesConfig.ROLLOUT_WEIGHT, "1");
      hp.put(SmeTimesConfig.ROLLOUT_STEPS, "" + steps);
      TrainingResult result =
          new SmeTimesFamily().train(data, new TrainingOptions(1, 8, 0.01, 1, 7, checkpoint, hp), TrainingListener.NONE);
      SmeTimes model = (SmeTimes) result.model();
      assertEquals("" + steps, model.hyperparameters().get(SmeTimesConfig.ROLLOUT_STEPS));
      assertTrue(Double.isFinite(result.validationMetrics().get("mse")), "steps " + steps);
      gate.put(steps, model.weights().get("moe.gate.w").data());
      computed.put(steps, model.promptsComputed());
    }
    // the chain of T = 4 feeds three predictions back per window (one at K = 2): other gradients,
    // and the texts of the extra predicted segments embedded on top
    assertFalse(Arrays.equals(gate.get(2), gate.get(L / S)));
    assertTrue(computed.get(L / S) > computed.get(2), "prompts " + computed);
    var tooLong = assertThrows(IllegalArgumentException.class,
        () -> SmeTimesConfig.parse(Map.of(AutoTimesConfig.SEGMENT_LENGTH, "" + S, SmeTimesConfig.ROLLOUT_STEPS, "5"), L, S));
    assertTrue(tooLong.getMessage().contains("'rollout.steps' must be at most the context's 4 segments, got '5'"),
        tooLong.getMessage());
    var tooShort = assertThrows(IllegalArgumentException.class,
        () -> SmeTimesConfig.parse(Map.of(AutoTimesConfig.SEGMENT_LENGTH, "" + S, SmeTimesConfig.ROLLOUT_STEPS, "1"), L, S));
    assertTrue(tooShort.getMessage().contains("'rollout.steps' must be an integer >= 2, got '1'"), tooShort.getMessage());
  }

  @Test
  void saveAndLoadGiveIdenticalPredictions() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    Map<String, String> hp = small(checkpoint);
    hp.put(AutoTimesConfig.BACKBONE_SHA256, PinnedBackbone.sha256(checkpoint));
    SmeTimes model = model(hp);
    Manifest manifest =
        new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(), L, S,
            "ab", Map.of("mse", 0.5, "mae", 0.4), 1.0, "sine.csv", Artifacts.now());
    Path out = dir.resolve("a");
    Artifacts.save(out, manifest, model);
    SmeTimes loaded = (SmeTimes) Artifacts.load(out).model();
    double[][][] windows = {{series(L, 0), series(L, 0.5)}, {series(L, 1), series(L, 2)}};
    double[][][] a = model.predict(windows, 3 * S);
    double[][][] b = loaded.predict(windows, 3 * S);
    for (int i = 0; i < a.length; i++) {
      for (int c = 0; c < a[i].length; c++) {
        assertArrayEquals(a[i][c], b[i][c], 0.0);
      }
    }
    assertEquals(model.parametersTrainable(), loaded.parametersTrainable());
    assertEquals(model.hyperparameters(), loaded.hyperparameters());
  }

  @Test
  void ablationsChangeTheModelAndBadValuesAreRefusedByName() {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    SmeTimes full = model(small(checkpoint));
    assertTrue(full.weights().containsKey("fusion.gate"));
    double[][][] w = {{series(L, 0), series(L, 0.4)}};
    double y = full.predict(w, S)[0][0][0];

    Map<String, String> noPrompt = small(checkpoint);
    noPrompt.put(SmeTimesConfig.PROMPT, "false");
    SmeTimes a = model(noPrompt);
    assertFalse(a.weights().containsKey("fusion.gate"));
    assertEquals(1, a.alpha());
    a.predict(w, S);
    assertEquals(0, a.promptsComputed());

    Map<String, String> fixed = small(checkpoint);
    fixed.put(SmeTimesConfig.FUSION, "fixed");
    SmeTimes b = model(fixed);
    assertFalse(b.weights().containsKey("fusion.gate"));
    assertEquals(0.5, b.alpha());
    // alpha starts at 1/2 when learned: the fixed ablation predicts the same before training
    assertEquals(y, b.predict(w, S)[0][0][0], 1e-6);

    Map<String, String> one = small(checkpoint);
    one.put(SmeTimesConfig.EXPERTS, "1");
    SmeTimes c = model(one);
    assertEquals(full.parametersTrainable() - 3L * (64 * S + S + 64 + 1), c.parametersTrainable());

    assertTrue(ModelRegistry.names().contains("smetimes"));
    var e = assertThrows(IllegalArgumentException.class,
        () -> new SmeTimesFamily().create(Map.of(SmeTimesConfig.EXPERTS, "0"), 192, 96, 1));
    assertTrue(e.getMessage().contains("experts"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new SmeTimesFamily().create(Map.of(SmeTimesConfig.FUSION, "maybe"), 192, 96, 1));
    assertTrue(e.getMessage().contains("fusion"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new SmeTimesFamily().create(Map.of(AutoTimesConfig.SEGMENT_LENGTH, "5"), L, S, 1));
    assertTrue(e.getMessage().contains("smetimes") && e.getMessage().contains("multiple"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new SmeTimesFamily().create(Map.of("expert", "2"), L, S, 1));
    assertTrue(e.getMessage().contains("unknown smetimes hyperparameter 'expert'"), e.getMessage());
  }

  @Test
  void expertsCanShareAHiddenLayerThatTheirOutputDependsOn() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    SmeTimes linear = model(small(checkpoint));
    Map<String, String> hp = small(checkpoint);
    hp.put(SmeTimesConfig.EXPERT_HIDDEN, "32");
    hp.put(AutoTimesConfig.BACKBONE_SHA256, PinnedBackbone.sha256(checkpoint));
    SmeTimes shared = model(hp);
    int k = shared.config().experts();

    // D x H + H more, and the experts read H = 32 values instead of D = 64
    assertFalse(linear.weights().containsKey("moe.hidden.w"));
    assertArrayEquals(new long[] {64, 32}, shared.weights().get("moe.hidden.w").shape());
    assertArrayEquals(new long[] {32, (long) k * S}, shared.weights().get("moe.experts.w").shape());
    assertEquals(linear.parametersTrainable() + 64L * 32 + 32 - 32L * k * S, shared.parametersTrainable());

    // the prediction goes through the hidden layer: zeroing it changes the forecast
    double[][][] w = {{series(L, 0), series(L, 0.4)}};
    double y = shared.predict(w, S)[0][0][0];
    Map<String, Weights.Tensor> zeroed = new HashMap<>(shared.weights());
    Weights.Tensor h = zeroed.get("moe.hidden.w");
    zeroed.put("moe.hidden.w", new Weights.Tensor(new float[h.data().length], h.shape()));
    Path out = dir.resolve("h");
    Manifest manifest =
        new Manifest(Artifacts.FORMAT_VERSION, shared.family(), shared.version(), shared.hyperparameters(), L, S,
            "ab", Map.of("mse", 0.5, "mae", 0.4), 1.0, "sine.csv", Artifacts.now());
    Artifacts.save(out, manifest, shared);
    SmeTimes loaded = (SmeTimes) Artifacts.load(out).model();
    assertEquals(y, loaded.predict(w, S)[0][0][0], 0.0);
    assertEquals("32", loaded.hyperparameters().get(SmeTimesConfig.EXPERT_HIDDEN));
    Weights.write(out.resolve(SmeTimesFamily.WEIGHTS_FILE), zeroed);
    SmeTimes withoutHidden = (SmeTimes) Artifacts.load(out).model();
    assertNotEquals(y, withoutHidden.predict(w, S)[0][0][0]);

    var e = assertThrows(IllegalArgumentException.class,
        () -> new SmeTimesFamily().create(Map.of(SmeTimesConfig.EXPERT_HIDDEN, "-1"), 192, 96, 1));
    assertTrue(e.getMessage().contains("expert.hidden"), e.getMessage());
  }
}
