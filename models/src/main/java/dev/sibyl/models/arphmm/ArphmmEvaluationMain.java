package dev.sibyl.models.arphmm;

import java.nio.file.Path;

/**
 * Command-line entry point printing the full ARPHMM evaluation on C-MAPSS FD001.
 *
 * <p>Usage: {@code java -cp <models classpath> dev.sibyl.models.arphmm.ArphmmEvaluationMain
 * [datasetsDir [states [order]]]}; the datasets folder defaults to the {@code sibyl.datasets}
 * property, then {@code ../shared/datasets}; states and order default to {@link
 * Arphmm.Config#defaults()} (6 and 7).
 */
public final class ArphmmEvaluationMain {

  private ArphmmEvaluationMain() {}

  /**
   * Runs the evaluation with the default configuration and prints the figures.
   *
   * @param args optional datasets folder, number of states, AR order
   * @throws NumberFormatException when states or order is not an integer
   */
  public static void main(String[] args) {
    String datasets =
        args.length > 0 ? args[0] : System.getProperty("sibyl.datasets", "../shared/datasets");
    Arphmm.Config d = Arphmm.Config.defaults();
    int states = args.length > 1 ? Integer.parseInt(args[1]) : d.states();
    int order = args.length > 2 ? Integer.parseInt(args[2]) : d.order();
    Arphmm.Config config = new Arphmm.Config(states, order, d.iterations(), d.tolerance(), d.seed());
    ArphmmEvaluation.Result r = ArphmmEvaluation.evaluate(Path.of(datasets, "cmapss"), "FD001",
        config, ArphmmRul.Options.defaults(), Integer.MAX_VALUE);
    System.out.printf(
        "ARPHMM %s K=%d p=%d: units=%d chosen=%s (validation RMSE chain=%.2f rollout=%.2f)%n"
            + "test RMSE=%.2f score=%.1f (RMSE vs truth capped at 125: %.2f)%n"
            + "chain RMSE=%.2f score=%.1f | rollout RMSE=%.2f score=%.1f | interval coverage=%.2f"
            + " | %.1f s%n",
        r.dataset(), states, order, r.testUnits(), r.chosen(), r.validationRmseChain(), r.validationRmseRollout(),
        r.rmse(), r.score(), r.rmseCappedTruth(), r.rmseChain(), r.scoreChain(), r.rmseRollout(),
        r.scoreRollout(), r.coverage(), r.seconds());
  }
}
