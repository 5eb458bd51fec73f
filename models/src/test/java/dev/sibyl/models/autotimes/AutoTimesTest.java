package dev.sibyl.models.autotimes;

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
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AutoTimes on the real stories260K backbone, at a small scale (segments of 8, context 32 = 4
 * tokens): rollout, KV cache against full recomputation, training, artifacts, timestamp cache,
 * in-context prompts.
 */
class AutoTimesTest {

  private static final int S = 8;
  private static final int L = 32;

  @TempDir Path dir;

  /** One PyTorch thread, when this class starts the engine: on a busy 2-core machine two spin. */
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

  /** A sine of period 16 with a slow drift and a little deterministic wobble. */
  private static double[] series(int n, double phase) {
    double[] s = new double[n];
    for (int t = 0; t < n; t++) {
      s[t] = Math.sin(2 * Math.PI * t / 16 + phase) + 0.002 * t + 0.1 * Math.sin(t * 0.37);
    }
    return s;
  }

  private static AutoTimes model(Map<String, String> hp) {
    return new AutoTimesFamily().create(hp, L, S, 5);
  }

  @Test
  void rolloutForTwoSegmentsEqualsTwoExplicitStepsAndServesAnyHorizon() {
    AutoTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    assertTrue(model.autoregressive());
    double[] x = series(L, 0.3);
    double[][][] w = {{x, series(L, 1.1)}};
    double[] rolled = model.predict(w, 2 * S)[0][0]; // (2S)
    // step 1: the next segment of the context
    double[] first = model.predict(new double[][][] {{x}}, S)[0][0];
    // step 2: the context slid by one segment, the prediction appended
    double[] slid = new double[L];
    System.arraycopy(x, S, slid, 0, L - S);
    System.arraycopy(first, 0, slid, L - S, S);
    double[] second = model.predict(new double[][][] {{slid}}, S)[0][0];
    assertArrayEquals(first, Arrays.copyOfRange(rolled, 0, S), 1e-6); // float32 passes over batches of 2 and 1
    assertArrayEquals(second, Arrays.copyOfRange(rolled, S, 2 * S), 1e-6);
    // any horizon, trimmed; every channel its own series
    double[][][] odd = model.predict(w, 3 * S + 5);
    assertEquals(2, odd[0].length);
    assertEquals(3 * S + 5, odd[0][1].length);
    assertArrayEquals(Arrays.copyOf(rolled, 2 * S), Arrays.copyOf(odd[0][0], 2 * S), 1e-6);
  }

  @Test
  void sessionWithKvCacheEqualsFullRecomputationAndRebuildsAtItsBound() {
    AutoTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    double[] s = series(L + 6 * S, 0.7);
    try (AutoTimesSession session = model.openSession(Arrays.copyOf(s, L))) {
      // at open: the session's next segment is the model's one-step forecast (same statistics)
      assertArrayEquals(model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, S)[0][0], session.forecast(S), 1e-4);
      for (int k = 0; k < 3; k++) {
        session.append(Arrays.copyOfRange(s, L + k * S, L + (k + 1) * S));
        assertEquals(L / S + k + 1, session.segments());
        assertArrayEquals(session.recomputed(), session.forecast(S), 1e-4, "after append " + (k + 1));
      }
      assertEquals(0, session.rebuilds());
      // the bound is 7 segments: the 4th append evicts, positions restart from the newest context
      session.append(Arrays.copyOfRange(s, L + 3 * S, L + 4 * S));
      assertEquals(1, session.rebuilds());
      assertEquals(L / S, session.segments());
      double[] newest = Arrays.copyOfRange(s, 4 * S, L + 4 * S);
      try (AutoTimesSession fresh = model.openSession(newest)) {
        assertArrayEquals(fresh.forecast(3 * S), session.forecast(3 * S), 1e-4);
      }
      session.append(Arrays.copyOfRange(s, L + 4 * S, L + 5 * S));
      assertArrayEquals(session.recomputed(), session.forecast(S), 1e-4);
      // beyond one segment: the cached segment, then the reference rollout from the newest context
      double[] f = session.forecast(2 * S + 3);
      double[] ctx = new double[L];
      System.arraycopy(s, 5 * S + S, ctx, 0, L - S);
      System.arraycopy(f, 0, ctx, L - S, S);
      assertArrayEquals(model.predict(new double[][][] {{ctx}}, S + 3)[0][0], Arrays.copyOfRange(f, S, 2 * S + 3), 1e-9);
    }
  }

  @Test
  void keyedForecasterAlignsSegmentsRebuildsOnRestartAndBoundsItsSeries() {
    AutoTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    double[] s = series(L + 3 * S + 3, 0.2);
    long[] t = new long[s.length];
    for (int i = 0; i < t.length; i++) {
      t[i] = 1_000_000L + 60_000L * i;
    }
    try (AutoTimesStreaming streaming = new AutoTimesStreaming(model, 2)) {
      SeriesWindow w0 = window(t, s, 0, L);
      double[] f0 = streaming.forecast("a", w0, 5);
      assertArrayEquals(Arrays.copyOf(model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, 5)[0][0], 5), f0, 1e-4);
      // 3 points later: no new segment, the same forecast shifted by 3 steps
      double[] f3 = streaming.forecast("a", window(t, s, 3, L + 3), 5);
      assertArrayEquals(Arrays.copyOfRange(model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, 8)[0][0], 3, 8), f3, 1e-4);
      // two completed segments: appended with one token each, equal to a full recomputation
      streaming.forecast("a", window(t, s, 2 * S, L + 2 * S), 4);
      AutoTimesSession session = streaming.session("a");
      assertEquals(L / S + 2, session.segments());
      assertArrayEquals(session.recomputed(), session.forecast(S), 1e-4);
      // a restart (a new forecaster) rebuilds from the window, as does a replaced boundary value
      try (AutoTimesStreaming restarted = new AutoTimesStreaming(model, 2)) {
        double[] again = restarted.forecast("a", window(t, s, 2 * S, L + 2 * S), 4);
        try (AutoTimesSession fresh = model.openSession(Arrays.copyOfRange(s, 2 * S, L + 2 * S))) {
          assertArrayEquals(Arrays.copyOf(fresh.forecast(4), 4), again, 1e-9);
        }
      }
      double[] edited = s.clone();
      edited[L + 2 * S - 1] += 1;
      streaming.forecast("a", window(t, edited, 2 * S, L + 2 * S), 4);
      assertEquals(L / S, streaming.session("a").segments());
      // bounded in series: the least recently used is evicted
      streaming.forecast("b", w0, 2);
      streaming.forecast("c", w0, 2);
      assertEquals(2, streaming.cachedSeries());
      assertEquals(null, streaming.session("a"));
      streaming.forget("b");
      assertEquals(1, streaming.cachedSeries());
    }
  }

  private static SeriesWindow window(long[] t, double[] s, int from, int to) {
    return new SeriesWindow(Arrays.copyOfRange(t, from, to), Arrays.copyOfRange(s, from, to), 60_000L);
  }

  @Test
  void timestampEmbeddingsAreComputedOncePerTextAndReused() {
    AutoTimes model = model(small(TinyLm.file(TinyLm.CHECKPOINT)));
    double[][][] w = {{series(L, 0), series(L, 1)}, {series(L, 2), series(L, 3)}};
    model.predict(w, S);
    // one text per context position, whatever the number of rows
    assertEquals(L / S, model.timestampTextsComputed());
    model.predict(w, 3 * S);
    model.predict(new double[][][] {{series(L, 5)}}, S);
    assertEquals(L / S, model.timestampTextsComputed());
    // the cached vector is the LLM's last hidden state of the text, L2-normalised
    TimestampEmbeddings cache = model.network().timestamps();
    Decoder decoder = model.backbone().decoder();
    String text = TimestampPrompt.text(2, S);
    assertEquals("This is Time Series from 16 to 23", text);
    int[] ids = model.backbone().tokenizer().encode(text, true, false);
    try (NDManager m = NDManager.newBaseManager();
        DecoderState st = decoder.newState(1)) {
      NDArray h = decoder.forward(decoder.tokenEmbeddings(m.create(ids, new Shape(1, ids.length)).toType(ai.djl.ndarray.types.DataType.INT64, false)), st);
      float[] last = h.get("0, -1, :").toFloatArray();
      double norm = 0;
      for (float v : last) {
        norm += v * v;
      }
      float[] expected = new float[last.length];
      for (int i = 0; i < last.length; i++) {
        expected[i] = (float) (last[i] / Math.sqrt(norm));
      }
      int d = decoder.config().dim();
      assertArrayEquals(expected, Arrays.copyOfRange(cache.embeddings(0, 3), 2 * d, 3 * d), 1e-5f);
    }
    assertEquals(L / S, model.timestampTextsComputed());
  }

  @Test
  void overfitsAShortSeriesAndLeavesTheBackboneUnchanged() throws Exception {
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
    TrainingOptions options = new TrainingOptions(6, 4, 0.01, 6, 7, checkpoint, hp);
    AutoTimes probe = model(small(checkpoint));
    Decoder decoder = probe.backbone().decoder();
    float[] tableBefore = decoder.embeddingTable().toFloatArray();
    TrainingResult result = new AutoTimesFamily().train(data, options, record);
    AutoTimes trained = (AutoTimes) result.model();
    double first = losses.get(0);
    double last = losses.subList(losses.size() - 10, losses.size()).stream().mapToDouble(v -> v).average().orElseThrow();
    assertTrue(first / last > 20, "loss fell from " + first + " to " + last + ": " + losses);
    assertTrue(result.validationMetrics().get("mse") < 0.05, "validation " + result.validationMetrics());
    assertArrayEquals(tableBefore, trained.backbone().decoder().embeddingTable().toFloatArray());
    assertEquals(PinnedBackbone.sha256(checkpoint), trained.hyperparameters().get(AutoTimesConfig.BACKBONE_SHA256));
    // the learned scale of the timestamp embeddings moved from its initial 1
    assertNotEquals(1f, trained.weights().get("timestamp.scale").data()[0]);
  }

  @Test
  void saveAndLoadGiveIdenticalPredictionsAndAWrongDigestIsRefused() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    Map<String, String> hp = small(checkpoint);
    hp.put(AutoTimesConfig.BACKBONE_SHA256, PinnedBackbone.sha256(checkpoint));
    AutoTimes model = model(hp);
    Manifest manifest =
        new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(), L, S,
            "ab", Map.of("mse", 0.5, "mae", 0.4), 1.0, "sine.csv", Artifacts.now());
    Path out = dir.resolve("a");
    Artifacts.save(out, manifest, model);
    AutoTimes loaded = (AutoTimes) Artifacts.load(out).model();
    double[][][] windows = {{series(L, 0), series(L, 0.5)}, {series(L, 1), series(L, 2)}};
    double[][][] a = model.predict(windows, 3 * S);
    double[][][] b = loaded.predict(windows, 3 * S);
    for (int i = 0; i < a.length; i++) {
      for (int c = 0; c < a[i].length; c++) {
        assertArrayEquals(a[i][c], b[i][c], 0.0);
      }
    }
    assertEquals(model.parametersTrainable(), loaded.parametersTrainable());
    // the streaming pipeline's selection (model.family, model.option.artifact) serves any horizon
    Forecaster f = ForecasterRegistry.create("autotimes", Map.of("artifact", out.toString(), "calibration.size", "2"));
    double[] values = series(L + 2 + 2 * S, 0.1);
    ForecastResult r = f.forecast(new SeriesWindow(new long[values.length], values, 1000), 2 * S);
    assertEquals(2 * S, r.mean().length);
    for (int k = 0; k < 2 * S; k++) {
      assertTrue(Double.isFinite(r.mean()[k]) && r.lower()[k] <= r.mean()[k] && r.mean()[k] <= r.upper()[k]);
    }
    try (AutoTimesStreaming streaming = AutoTimesStreaming.open(out, 4)) {
      assertArrayEquals(Arrays.copyOf(b[0][0], S), streaming.forecast("x", new SeriesWindow(new long[L], series(L, 0), 1000), S), 1e-4);
    }
    Map<String, String> wrong = new HashMap<>(model.hyperparameters());
    wrong.put(AutoTimesConfig.BACKBONE_SHA256, "0".repeat(64));
    var e = assertThrows(java.io.IOException.class, () -> new AutoTimesFamily().loadWeights(wrong, L, S, "1", out));
    assertTrue(e.getMessage().contains("0".repeat(64)), e.getMessage());
  }

  @Test
  void promptSegmentsPrecedeTheContextCausallyAndTheAblationSkipsTheLlm() {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    AutoTimes model = model(small(checkpoint));
    double[][][] w = {{series(L, 0), series(L, 0.4)}};
    double[] prompt = series(2 * S, 2.0);
    double[][][] with = model.predictWithPrompt(w, 2 * S + 1, prompt);
    assertEquals(2, with[0].length);
    assertEquals(2 * S + 1, with[0][0].length);
    assertNotEquals(model.predict(w, S)[0][0][0], with[0][0][0]);
    // causality: the prompt's positions see nothing of the context that follows them
    AutoTimesNetwork net = model.network();
    float[] a = new float[(2 + L / S) * S];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) Math.sin(i * 0.3);
    }
    float[] b = a.clone();
    for (int i = 2 * S; i < b.length; i++) {
      b[i] += 1;
    }
    float[] ya;
    float[] yb;
    try (NDScope scope = new NDScope();
        DecoderState sa = net.newState(1);
        DecoderState sb = net.newState(1)) {
      ya = net.forward(net.manager(), a, 1, 0, sa, false).toFloatArray();
      yb = net.forward(net.manager(), b, 1, 0, sb, false).toFloatArray();
    }
    assertArrayEquals(Arrays.copyOf(ya, 2 * S), Arrays.copyOf(yb, 2 * S), 1e-6f);
    assertNotEquals(ya[ya.length - 1], yb[yb.length - 1]);
    assertThrows(IllegalArgumentException.class, () -> model.predictWithPrompt(w, S, new double[S + 1]));
    // the ablation: the same parameters, the LLM removed
    Map<String, String> hp = small(checkpoint);
    hp.put(AutoTimesConfig.LLM, "false");
    AutoTimes ablated = model(hp);
    assertEquals(model.parametersTrainable(), ablated.parametersTrainable());
    assertNotEquals(model.predict(w, S)[0][0][0], ablated.predict(w, S)[0][0][0]);
    assertTrue(ModelRegistry.names().contains("autotimes"));
    var bad = assertThrows(IllegalArgumentException.class,
        () -> new AutoTimesFamily().create(Map.of(AutoTimesConfig.SEGMENT_LENGTH, "5"), L, S, 1));
    assertTrue(bad.getMessage().contains("multiple"), bad.getMessage());
  }
}
