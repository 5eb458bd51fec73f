package dev.sibyl.models.autotimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * In-context forecasting on the real stories260K backbone at a small scale (segments of 8,
 * context 32 = 4 tokens): per-window prompts, both placements, and the refusals.
 */
class AutoTimesInContextTest {

  private static final int S = 8;
  private static final int L = 32;

  @BeforeAll
  static void oneThread() {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
  }

  private static AutoTimes model(String... changes) {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, TinyLm.file(TinyLm.CHECKPOINT).toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.STREAM_MAX_SEGMENTS, "7");
    for (int i = 0; i < changes.length; i += 2) {
      hp.put(changes[i], changes[i + 1]);
    }
    return new AutoTimesFamily().create(hp, L, S, 5);
  }

  private static double[] series(int n, double phase) {
    double[] s = new double[n];
    for (int t = 0; t < n; t++) {
      s[t] = Math.sin(2 * Math.PI * t / 16 + phase) + 0.002 * t + 0.1 * Math.sin(t * 0.37);
    }
    return s;
  }

  private static InContextPrompt prompt(InContextPrompt.Placement placement, double[]... perWindow) {
    double[][][] v = new double[perWindow.length][][];
    for (int b = 0; b < perWindow.length; b++) {
      v[b] = new double[][] {perWindow[b]};
    }
    return new InContextPrompt(v, null, placement);
  }

  @Test
  void thePromptActsOnlyThroughTheDecodersAttentionToItsTokens() {
    double[][][] w = {{series(L, 0)}, {series(L, 0.9)}};
    InContextPrompt p = prompt(InContextPrompt.Placement.EXTEND, series(2 * S, 2), series(2 * S, 3));
    // without the LLM (and without position texts) no token sees another: the prompt cannot act
    AutoTimes ablated = model(AutoTimesConfig.LLM, "false", AutoTimesConfig.TIMESTAMPS, "none");
    double[][][] plain = ablated.predict(w, 2 * S + 3);
    double[][][] prompted = ablated.predictInContext(w, null, 2 * S + 3, p);
    for (int b = 0; b < w.length; b++) {
      assertArrayEquals(plain[b][0], prompted[b][0], 0.0);
    }
    // with the decoder (no position texts either) the context attends to the prompt, and a
    // different prompt gives a different forecast
    AutoTimes decoder = model(AutoTimesConfig.TIMESTAMPS, "none");
    double[] alone = decoder.predict(w, S)[0][0];
    double[] withA = decoder.predictInContext(w, null, S, p)[0][0];
    double[] withB =
        decoder.predictInContext(w, null, S, prompt(InContextPrompt.Placement.EXTEND, series(2 * S, 5), series(2 * S, 3)))[0][0];
    assertThat(Arrays.equals(alone, withA)).isFalse();
    assertThat(Arrays.equals(withA, withB)).isFalse();
  }

  @Test
  void eachWindowGetsItsOwnPromptAndOneSharedPromptIsTheSameAsPerWindowCopies() {
    AutoTimes model = model();
    double[][][] w = {{series(L, 0)}, {series(L, 0.9)}};
    double[] a = series(S, 2);
    double[] b = series(S, 4);
    double[][][] both = model.predictInContext(w, null, 2 * S, prompt(InContextPrompt.Placement.EXTEND, a, b));
    double[][][] first = model.predictInContext(new double[][][] {w[0]}, null, 2 * S, prompt(InContextPrompt.Placement.EXTEND, a));
    double[][][] second = model.predictInContext(new double[][][] {w[1]}, null, 2 * S, prompt(InContextPrompt.Placement.EXTEND, b));
    // a batch of one and of two differ by float rounding only (more with more PyTorch threads)
    assertArrayEquals(first[0][0], both[0][0], 1e-4);
    assertArrayEquals(second[0][0], both[1][0], 1e-4);
    double[][][] shared = model.predictWithPrompt(w, 2 * S, a);
    double[][][] copies = model.predictInContext(w, null, 2 * S, prompt(InContextPrompt.Placement.EXTEND, a, a));
    assertArrayEquals(copies[1][0], shared[1][0], 0.0);
  }

  @Test
  void aFixedPlacementCutsTheContextToKeepTheTrainedLength() {
    AutoTimes model = model();
    double[] x = series(L, 0.3);
    double[] p = series(S, 1.7);
    double[] fixed = model.predictInContext(new double[][][] {{x}}, null, S, prompt(InContextPrompt.Placement.FIXED, p))[0][0];
    // the same tokens by hand: the prompt (own statistics), then the newest L - S points (theirs)
    double[] newest = Arrays.copyOfRange(x, S, L);
    double[] byHand = model.nextSegment(new double[][] {newest}, new double[][] {p}, null)[0];
    assertArrayEquals(byHand, fixed, 1e-9);
    // the oldest segment no longer matters
    double[] changed = x.clone();
    for (int k = 0; k < S; k++) {
      changed[k] += 5;
    }
    assertArrayEquals(fixed, model.predictInContext(new double[][][] {{changed}}, null, S, prompt(InContextPrompt.Placement.FIXED, p))[0][0], 0.0);
  }

  @Test
  void promptsOfTheWrongShapeAreRefusedWithTheirReason() {
    AutoTimes model = model();
    double[][][] w = {{series(L, 0)}};
    assertThatThrownBy(() -> model.predictInContext(w, null, S, prompt(InContextPrompt.Placement.EXTEND, new double[S + 1])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the prompt must be a positive multiple of the segment length 8, got 9");
    assertThatThrownBy(() -> model.predictInContext(w, null, S, prompt(InContextPrompt.Placement.EXTEND, new double[0])))
        .hasMessageContaining("positive multiple of the segment length 8, got 0");
    assertThatThrownBy(() -> model.predictInContext(w, null, S, prompt(InContextPrompt.Placement.FIXED, new double[L])))
        .hasMessageContaining("a fixed placement keeps 4 tokens: the prompt must be shorter than 4 segments, got 4");
    assertThatThrownBy(() -> model.predictInContext(new double[][][] {{series(L, 0)}, {series(L, 1)}}, null, S,
            prompt(InContextPrompt.Placement.EXTEND, new double[S], new double[2 * S])))
        .hasMessageContaining("every prompt must have the same length 8, got 16 in window 1");
    assertThatThrownBy(() -> model.predictInContext(w, null, S,
            new InContextPrompt(new double[][][] {{new double[S], new double[S]}}, null, InContextPrompt.Placement.EXTEND)))
        .hasMessageContaining("the prompt of window 0 needs 1 channels, got 2");
    assertThatThrownBy(() -> model.predictInContext(w, null, S, prompt(InContextPrompt.Placement.EXTEND, new double[S], new double[S])))
        .hasMessageContaining("the prompt needs one entry per window: 1, got 2");
    // a prompt longer than the backbone's 512 positions
    assertThatThrownBy(() -> model.predictInContext(w, null, S, prompt(InContextPrompt.Placement.EXTEND, new double[S * 512])))
        .hasMessageContaining("more than the backbone's maxSeqLen");
  }
}
