package dev.sibyl.models.smetimes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SMETimes' KV-cache path: a session against full recomputation (prompts included), the keyed
 * forecaster's alignment, and the cost of a new segment's prompt at the real scale.
 */
class SmeTimesStreamingTest {

  private static final int S = 8;
  private static final int L = 32;

  @BeforeAll
  static void oneThread() {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
  }

  private static SmeTimes model(int s, int l, int maxSegments) {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, TinyLm.file(TinyLm.CHECKPOINT).toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + s);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.STREAM_MAX_SEGMENTS, "" + maxSegments);
    return new SmeTimesFamily().create(hp, l, s, 5);
  }

  /** A noisy sine whose amplitude grows: segments with distinct statistics. */
  private static double[] series(int n, long seed) {
    Random r = new Random(seed);
    double[] s = new double[n];
    for (int t = 0; t < n; t++) {
      s[t] = (1 + t / 40.0) * Math.sin(2 * Math.PI * t / 16) + 0.3 * r.nextGaussian();
    }
    return s;
  }

  @Test
  void sessionEqualsFullRecomputationPromptsIncludedAndRebuildsAtItsBound() {
    SmeTimes model = model(S, L, 7);
    double[] s = series(L + 6 * S, 1);
    try (SmeTimesSession session = model.openSession(Arrays.copyOf(s, L))) {
      assertArrayEquals(model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, S)[0][0], session.forecast(S), 1e-4);
      for (int k = 0; k < 3; k++) {
        long before = model.promptsComputed();
        double[] segment = Arrays.copyOfRange(s, L + k * S, L + (k + 1) * S);
        session.append(segment);
        assertTrue(model.promptsComputed() - before <= 1, "one prompt at most per new segment");
        assertEquals(L / S + k + 1, session.segments());
        assertArrayEquals(session.recomputed(), session.forecast(S), 1e-4, "after append " + (k + 1));
      }
      assertEquals(0, session.rebuilds());
      session.append(Arrays.copyOfRange(s, L + 3 * S, L + 4 * S));
      assertEquals(1, session.rebuilds());
      assertEquals(L / S, session.segments());
      try (SmeTimesSession fresh = model.openSession(Arrays.copyOfRange(s, 4 * S, L + 4 * S))) {
        assertArrayEquals(fresh.forecast(3 * S), session.forecast(3 * S), 1e-4);
      }
    }
  }

  @Test
  void keyedForecasterAlignsSegmentsAndBoundsItsSeries() {
    SmeTimes model = model(S, L, 7);
    double[] s = series(L + 3 * S + 3, 2);
    long[] t = new long[s.length];
    for (int i = 0; i < t.length; i++) {
      t[i] = 1_000_000L + 60_000L * i;
    }
    try (SmeTimesStreaming streaming = new SmeTimesStreaming(model, 2)) {
      assertEquals("smetimes", streaming.family());
      double[] f0 = streaming.forecast("a", window(t, s, 0, L), 5);
      assertArrayEquals(Arrays.copyOf(model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, 5)[0][0], 5), f0, 1e-4);
      double[] f3 = streaming.forecast("a", window(t, s, 3, L + 3), 5);
      assertArrayEquals(Arrays.copyOfRange(model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, 8)[0][0], 3, 8), f3, 1e-4);
      streaming.forecast("a", window(t, s, 2 * S, L + 2 * S), 4);
      SmeTimesSession session = streaming.session("a");
      assertEquals(L / S + 2, session.segments());
      assertArrayEquals(session.recomputed(), session.forecast(S), 1e-4);
      streaming.forecast("b", window(t, s, 0, L), 2);
      streaming.forecast("c", window(t, s, 0, L), 2);
      assertEquals(2, streaming.cachedSeries());
      assertNull(streaming.session("a"));
    }
  }

  /**
   * At the real scale (L = 672, S = 96): appending a segment whose prompt text is new costs one
   * LLM pass over the text on top of the token; a segment with a cached text costs the token only.
   */
  @Test
  void aNewSegmentsPromptIsEmbeddedOnceAndItsCostIsMeasured() {
    SmeTimes model = model(96, 672, 14);
    double[] s = series(672 + 4 * 96, 3);
    try (SmeTimesSession session = model.openSession(Arrays.copyOf(s, 672))) {
      session.append(Arrays.copyOfRange(s, 672, 768)); // warm-up
      double newMs = 0;
      double promptMs = 0;
      double cachedMs = 0;
      for (int k = 1; k <= 3; k++) {
        double[] fresh = Arrays.copyOfRange(s, 672 + k * 96, 768 + k * 96);
        long computed = model.promptsComputed();
        long t0 = System.nanoTime();
        session.append(fresh);
        newMs += (System.nanoTime() - t0) / 1e6 / 3;
        assertEquals(computed + 1, model.promptsComputed());
        assertTrue(session.lastPromptSeconds() > 0);
        promptMs += session.lastPromptSeconds() * 1e3 / 3;
        // the same values again: the text is cached, only the token is decoded
        t0 = System.nanoTime();
        session.append(fresh);
        cachedMs += (System.nanoTime() - t0) / 1e6 / 3;
        assertEquals(computed + 1, model.promptsComputed());
        assertEquals(0, session.lastPromptSeconds());
      }
      assertEquals(0, session.rebuilds());
      System.out.printf("smetimes append at L=672 S=96 (mean of 3): new prompt %.1f ms (LLM over the text %.1f ms),"
          + " cached prompt %.1f ms%n", newMs, promptMs, cachedMs);
    }
  }

  private static SeriesWindow window(long[] t, double[] s, int from, int to) {
    return new SeriesWindow(Arrays.copyOfRange(t, from, to), Arrays.copyOfRange(s, from, to), 60_000L);
  }
}
