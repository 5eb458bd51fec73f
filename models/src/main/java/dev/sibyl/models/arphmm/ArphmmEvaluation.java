package dev.sibyl.models.arphmm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * C-MAPSS RUL evaluation of the ARPHMM (train on {@code train_FD00x}, predict at each test unit's
 * last cycle, compare with {@code RUL_FD00x}).
 *
 * <p>Protocol and choices:
 *
 * <ul>
 *   <li>Truth: the raw {@code RUL_FD001.txt} values (not capped), as the standard protocol; the
 *       RMSE against the truth capped at 125 is reported too.
 *   <li>Predictions are capped at 125 cycles: the health indicator and the soft labels treat every
 *       cycle with RUL >= 125 as equally healthy, so the model cannot tell RULs above the cap apart
 *       (the same convention as the learned regressors' training target).
 *   <li>Default estimator chosen by validation: the training units with {@code id % 5 == 0} are
 *       held out, the rest fit the indicator and the model, each held-out unit is cut at {@value
 *       #CUTS_PER_UNIT} random points (true RUL uniform in [5, min(150, T - 31)], mimicking the test
 *       set), and the estimator ({@link ArphmmRul.Method}) with the lower RMSE is used on the test
 *       set after refitting on all training units.
 *   <li>Scores: RMSE and the PHM08 score {@code sum(exp(-d/13) - 1 if d < 0 else exp(d/10) - 1)},
 *       d = predicted - true.
 * </ul>
 */
public final class ArphmmEvaluation {

  /** RUL cap of the protocol, cycles. */
  public static final double RUL_CAP = 125.0;

  /** Random cuts per held-out validation unit. */
  public static final int CUTS_PER_UNIT = 5;

  private static final int MIN_TEST_LENGTH = 31;

  private ArphmmEvaluation() {}

  /**
   * A fitted indicator, model and RUL estimator.
   *
   * @param indicator the health-indicator map
   * @param model the fitted ARPHMM
   * @param rul the RUL estimator with its learned threshold
   * @param logLikelihoods the EM trace, shape (iterations + 1)
   */
  public record Trained(
      HealthIndicators.Fitted indicator, Arphmm model, ArphmmRul rul, double[] logLikelihoods) {}

  /**
   * Evaluation figures.
   *
   * @param dataset the dataset name, e.g. "FD001"
   * @param testUnits number of test units scored
   * @param chosen the estimator chosen by validation
   * @param validationRmseChain held-out RMSE of the chain estimator
   * @param validationRmseRollout held-out RMSE of the rollout estimator
   * @param rmse test RMSE of the chosen estimator (raw truth)
   * @param score test PHM08 score of the chosen estimator (raw truth)
   * @param rmseCappedTruth test RMSE of the chosen estimator against min(truth, 125)
   * @param rmseChain test RMSE of the chain estimator (raw truth)
   * @param rmseRollout test RMSE of the rollout estimator (raw truth)
   * @param scoreChain test PHM08 score of the chain estimator
   * @param scoreRollout test PHM08 score of the rollout estimator
   * @param coverage fraction of test units whose true RUL lies in the chosen estimator's interval
   * @param predicted chosen predictions, shape (testUnits)
   * @param truth true RULs, shape (testUnits)
   * @param seconds wall-clock time of the evaluation
   */
  public record Result(
      String dataset, int testUnits, ArphmmRul.Method chosen, double validationRmseChain,
      double validationRmseRollout, double rmse, double score, double rmseCappedTruth,
      double rmseChain, double rmseRollout, double scoreChain, double scoreRollout,
      double coverage, double[] predicted, double[] truth, double seconds) {}

  /**
   * Fits the indicator, the ARPHMM (soft labels from {@link SoftLabels}) and the threshold.
   *
   * @param units run-to-failure units, never empty
   * @param config model hyperparameters
   * @param options RUL settings
   * @return the trained pieces
   */
  public static Trained train(
      List<Cmapss.Unit> units, Arphmm.Config config, ArphmmRul.Options options) {
    HealthIndicators.Fitted indicator = HealthIndicators.fit(units);
    List<double[]> his = new ArrayList<>();
    List<double[][]> priors = new ArrayList<>();
    for (Cmapss.Unit u : units) {
      his.add(indicator.indicator(u.sensors()));
      priors.add(SoftLabels.runToFailure(u.cycles(), config.states(), RUL_CAP));
    }
    Arphmm.Fit fit = Arphmm.train(his, priors, config);
    ArphmmRul rul = new ArphmmRul(fit.model(), ArphmmRul.learnThreshold(his), options);
    return new Trained(indicator, fit.model(), rul, fit.logLikelihoods());
  }

  /**
   * RUL estimate after the last of the given cycles, streaming the unit one cycle at a time.
   *
   * @param trained the trained pieces
   * @param sensors the unit's observed cycles, shape (cycles, 21), more than p cycles
   * @param method the estimator
   * @return the estimate, mean capped at {@link #RUL_CAP}
   */
  public static ArphmmRul.Estimate predict(
      Trained trained, double[][] sensors, ArphmmRul.Method method) {
    Arphmm.State state = trained.model().newState();
    double smoothed = Double.NaN;
    for (double[] row : sensors) {
      smoothed = trained.indicator().smooth(smoothed, trained.indicator().raw(row));
      state = trained.model().update(state, smoothed);
    }
    ArphmmRul.Estimate e = trained.rul().estimate(method, state);
    return new ArphmmRul.Estimate(Math.min(e.mean(), RUL_CAP), e.lower(), e.upper());
  }

  /**
   * Runs the evaluation on one C-MAPSS subset.
   *
   * @param cmapssDir the folder holding {@code train_<name>.txt}, {@code test_<name>.txt} and
   *     {@code RUL_<name>.txt}
   * @param name the subset, e.g. "FD001"
   * @param config model hyperparameters
   * @param options RUL settings
   * @param maxTestUnits score only the first this many test units (Integer.MAX_VALUE for all)
   * @return the figures
   * @throws IllegalArgumentException when the RUL file's length differs from the test units'
   */
  public static Result evaluate(
      Path cmapssDir, String name, Arphmm.Config config, ArphmmRul.Options options,
      int maxTestUnits) {
    long start = System.nanoTime();
    List<Cmapss.Unit> train = Cmapss.readUnits(cmapssDir.resolve("train_" + name + ".txt"));
    List<Cmapss.Unit> test = Cmapss.readUnits(cmapssDir.resolve("test_" + name + ".txt"));
    double[] truthAll = Cmapss.readRul(cmapssDir.resolve("RUL_" + name + ".txt"));
    if (truthAll.length != test.size()) {
      throw new IllegalArgumentException("RUL_" + name + " has " + truthAll.length
          + " lines but test_" + name + " has " + test.size() + " units");
    }

    // Validation: choose the estimator on held-out training units cut at random points.
    List<Cmapss.Unit> fitUnits = new ArrayList<>();
    List<Cmapss.Unit> heldOut = new ArrayList<>();
    for (Cmapss.Unit u : train) {
      (u.id() % 5 == 0 ? heldOut : fitUnits).add(u);
    }
    Trained val = train(fitUnits, config, options);
    Random rng = new Random(config.seed());
    List<Double> valTruth = new ArrayList<>();
    List<Double> valChain = new ArrayList<>();
    List<Double> valRollout = new ArrayList<>();
    for (Cmapss.Unit u : heldOut) {
      int maxRul = Math.min(150, u.cycles() - MIN_TEST_LENGTH);
      for (int c = 0; c < CUTS_PER_UNIT && maxRul >= 5; c++) {
        int r = 5 + rng.nextInt(maxRul - 5 + 1);
        double[][] cut = Arrays.copyOf(u.sensors(), u.cycles() - r);
        valTruth.add((double) r);
        valChain.add(predict(val, cut, ArphmmRul.Method.CHAIN).mean());
        valRollout.add(predict(val, cut, ArphmmRul.Method.ROLLOUT).mean());
      }
    }
    double[] vt = toArray(valTruth);
    double vChain = rmse(toArray(valChain), vt);
    double vRollout = rmse(toArray(valRollout), vt);
    ArphmmRul.Method chosen = vChain <= vRollout ? ArphmmRul.Method.CHAIN : ArphmmRul.Method.ROLLOUT;

    // Test: refit on all training units, predict at each test unit's last cycle.
    Trained all = train(train, config, options);
    int n = Math.min(maxTestUnits, test.size());
    double[] truth = new double[n]; // (units)
    double[] chain = new double[n]; // (units)
    double[] rollout = new double[n]; // (units)
    int covered = 0;
    for (int i = 0; i < n; i++) {
      truth[i] = truthAll[i];
      ArphmmRul.Estimate ec = predict(all, test.get(i).sensors(), ArphmmRul.Method.CHAIN);
      ArphmmRul.Estimate er = predict(all, test.get(i).sensors(), ArphmmRul.Method.ROLLOUT);
      chain[i] = ec.mean();
      rollout[i] = er.mean();
      ArphmmRul.Estimate e = chosen == ArphmmRul.Method.CHAIN ? ec : er;
      if (truth[i] >= e.lower() && truth[i] <= e.upper()) {
        covered++;
      }
    }
    double[] predicted = chosen == ArphmmRul.Method.CHAIN ? chain : rollout; // (units)
    double[] capped = new double[n]; // (units)
    for (int i = 0; i < n; i++) {
      capped[i] = Math.min(truth[i], RUL_CAP);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(name, n, chosen, vChain, vRollout, rmse(predicted, truth),
        phm08Score(predicted, truth), rmse(predicted, capped), rmse(chain, truth),
        rmse(rollout, truth), phm08Score(chain, truth), phm08Score(rollout, truth),
        (double) covered / n, predicted, truth, seconds);
  }

  /**
   * Root mean squared error.
   *
   * @param predicted shape (n)
   * @param truth shape (n)
   * @return the RMSE
   * @throws IllegalArgumentException when the lengths differ or are 0
   */
  public static double rmse(double[] predicted, double[] truth) {
    check(predicted, truth);
    double s = 0;
    for (int i = 0; i < truth.length; i++) {
      double d = predicted[i] - truth[i];
      s += d * d;
    }
    return Math.sqrt(s / truth.length);
  }

  /**
   * PHM08 score: {@code sum(exp(-d/13) - 1 if d < 0 else exp(d/10) - 1)}, d = predicted - true.
   *
   * @param predicted shape (n)
   * @param truth shape (n)
   * @return the score (lower is better)
   * @throws IllegalArgumentException when the lengths differ or are 0
   */
  public static double phm08Score(double[] predicted, double[] truth) {
    check(predicted, truth);
    double s = 0;
    for (int i = 0; i < truth.length; i++) {
      double d = predicted[i] - truth[i];
      s += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
    }
    return s;
  }

  private static void check(double[] predicted, double[] truth) {
    if (predicted.length != truth.length || truth.length == 0) {
      throw new IllegalArgumentException("predicted and truth must have the same non-zero length, "
          + "got " + predicted.length + " and " + truth.length);
    }
  }

  private static double[] toArray(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
