package dev.sibyl.streams.core;

import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.api.Prognostic.Prognosis;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-unit prognostics, independent of the stream engine: appends each cycle's model inputs to the
 * unit's {@link UnitHistory}, asks the {@link Prognostic} for the state posterior and the RUL, and
 * decides whether the unit has just entered (or left) the alert stages.
 *
 * <p>Policy, written down because a stream sees what a batch evaluation does not:
 *
 * <ul>
 *   <li>A point that carries none of the model's input columns is not a unit this model covers
 *       (another source on the same topic) and is ignored; one that carries some but not all, or a
 *       non-finite value, is rejected with the missing names, so that it reaches the dead letters.
 *   <li>A point at or before the unit's latest cycle is rejected (late or duplicate): the model's
 *       history must stay in cycle order.
 *   <li>The history is bounded ({@code maxCycles}); beyond it the oldest cycles are dropped. The
 *       prognostic then sees the unit from a later start, which is the documented cost of a bound.
 *   <li>Alerts: the unit is alerting while its most probable state is one of the last {@code
 *       alertStates} states; a flag is raised on entering, not on every cycle, and the episode ends
 *       when the most probable state falls back below (so a noisy boundary raises again).
 *   <li>Cost: each cycle assesses the whole kept history (a forward pass over it), so a unit costs
 *       O(history) per cycle; with the default bound that is well under a millisecond for ARPHMM.
 * </ul>
 *
 * <p>Thread-safe when the prognostic is: the operator holds no per-unit state of its own.
 */
public final class HealthOperator {

  /** What happened to a point. */
  public enum Outcome {
    /** The cycle was appended and assessed. */
    ASSESSED,
    /** The point has none of the model's inputs; nothing was done. */
    NOT_A_UNIT,
    /** The point was refused; {@link Step#reason()} says why. */
    REJECTED
  }

  /**
   * The outcome of one point.
   *
   * @param outcome what happened
   * @param prognosis the assessment when {@link Outcome#ASSESSED}, else null
   * @param mostProbableState argmax of the posterior, or -1 when not assessed
   * @param alertRaised whether the unit entered the alert stages at this cycle
   * @param reason why the point was rejected, else null
   */
  public record Step(Outcome outcome, Prognosis prognosis, int mostProbableState, boolean alertRaised, String reason) {

    static Step rejected(String reason) {
      return new Step(Outcome.REJECTED, null, -1, false, reason);
    }
  }

  private final Prognostic prognostic;
  private final List<String> columns;
  private final int alertFromState;

  /**
   * @param prognostic the model; not null
   * @param alertStates how many of the last states raise an alert, in [1, states - 1]
   * @throws IllegalArgumentException when {@code alertStates} is out of range
   */
  public HealthOperator(Prognostic prognostic, int alertStates) {
    this.prognostic = Objects.requireNonNull(prognostic, "prognostic");
    this.columns = List.copyOf(prognostic.inputColumns());
    int states = prognostic.states();
    if (alertStates < 1 || alertStates > states - 1) {
      throw new IllegalArgumentException(
          "alert states must be in [1, " + (states - 1) + "] for a " + states + "-state model, got " + alertStates);
    }
    this.alertFromState = states - alertStates;
  }

  /** The model's family, for the records the operator's callers write. */
  public String modelFamily() {
    return prognostic.family();
  }

  /** The model's number of states. */
  public int states() {
    return prognostic.states();
  }

  /** The first state (0-based) that counts as an alert stage. */
  public int alertFromState() {
    return alertFromState;
  }

  /**
   * Handles one point of a unit.
   *
   * @param history the unit's history, updated in place when the cycle is accepted; not null
   * @param timestamp the point's event time
   * @param values the point's channels; not null
   * @return what happened
   */
  public Step onPoint(UnitHistory history, long timestamp, Map<String, Double> values) {
    double[] row = new double[columns.size()];
    List<String> missing = null;
    int present = 0;
    for (int c = 0; c < row.length; c++) {
      Double value = values.get(columns.get(c));
      if (value == null || !Double.isFinite(value)) {
        missing = missing == null ? new ArrayList<>() : missing;
        missing.add(columns.get(c));
      } else {
        row[c] = value;
        present++;
      }
    }
    if (present == 0) {
      return new Step(Outcome.NOT_A_UNIT, null, -1, false, null);
    }
    if (missing != null) {
      return Step.rejected(prognostic.family() + " health model needs channels " + missing + " (missing or not finite)");
    }
    if (!history.isEmpty() && timestamp <= history.lastTimestamp()) {
      return Step.rejected(
          (timestamp == history.lastTimestamp() ? "duplicate" : "late")
              + " cycle at " + timestamp + " (unit's latest cycle is at " + history.lastTimestamp() + ")");
    }
    history.append(timestamp, row);
    Prognosis prognosis = prognostic.assess(history.rows());
    int state = argmax(prognosis.stateProbabilities());
    boolean inAlertStages = state >= alertFromState;
    boolean raised = inAlertStages && !history.alerting();
    history.setAlerting(inAlertStages);
    return new Step(Outcome.ASSESSED, prognosis, state, raised, null);
  }

  /**
   * The posterior mass on the alert stages: the score of a health flag.
   *
   * @param prognosis an assessment of this operator's model
   * @return a probability in [0, 1]
   */
  public double alertProbability(Prognosis prognosis) {
    double p = 0;
    double[] probabilities = prognosis.stateProbabilities();
    for (int k = alertFromState; k < probabilities.length; k++) {
      p += probabilities[k];
    }
    return Math.min(1.0, Math.max(0.0, p));
  }

  private static int argmax(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
