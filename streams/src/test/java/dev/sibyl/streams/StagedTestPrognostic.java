package dev.sibyl.streams;

import dev.sibyl.models.api.Prognostic;
import java.util.List;

/**
 * A test double of a prognostic model, not a real one: three states picked by the last row's
 * {@code s2} (below 1 healthy, below 2 degrading, else failing) and an RUL of {@code 50 - cycles},
 * so that the health operator's bookkeeping (history, ordering, alert episodes, store) can be
 * asserted exactly. The real ARPHMM runs through the same path in the app's integration test.
 * It fails on purpose when {@code s2} is {@link #FAIL_ON}.
 */
public final class StagedTestPrognostic implements Prognostic {

  /** A row with this {@code s2} makes the model throw. */
  public static final double FAIL_ON = -999;

  @Override
  public String family() {
    return "staged-test";
  }

  @Override
  public int states() {
    return 3;
  }

  @Override
  public int indicators() {
    return 2;
  }

  @Override
  public List<String> inputColumns() {
    return List.of("s2", "s3");
  }

  @Override
  public Prognosis assess(double[][] history) {
    double s2 = history[history.length - 1][0];
    if (s2 == FAIL_ON) {
      throw new IllegalStateException("staged-test fails on purpose");
    }
    double[] p = s2 < 1 ? new double[] {0.9, 0.05, 0.05} : s2 < 2 ? new double[] {0.1, 0.8, 0.1} : new double[] {0.05, 0.15, 0.8};
    double rul = Math.max(0, 50 - history.length);
    return new Prognosis(p, rul, Math.max(0, rul - 5), rul + 5, 0.9);
  }
}
