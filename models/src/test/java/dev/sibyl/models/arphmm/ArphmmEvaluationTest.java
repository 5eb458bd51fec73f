package dev.sibyl.models.arphmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArphmmEvaluationTest {

  @Test
  void fd001EndToEnd() {
    ArphmmEvaluation.Result r = ArphmmEvaluation.evaluate(Fd001.dir(), "FD001",
        Arphmm.Config.defaults(), ArphmmRul.Options.defaults(), Integer.MAX_VALUE);

    assertThat(r.testUnits()).isEqualTo(100);
    for (double p : r.predicted()) {
      assertThat(p).isBetween(0.0, 125.0);
    }
    // Weaker than the published LSTM (16.1) and DCNN (12.6), far better than a constant guess.
    assertThat(r.rmse()).isLessThan(25.0);
    assertThat(r.rmse()).isEqualTo(
        r.chosen() == ArphmmRul.Method.CHAIN ? r.rmseChain() : r.rmseRollout());
    assertThat(r.coverage()).isGreaterThan(0.5);
    assertThat(r.seconds()).isLessThan(60.0);
  }

  @Test
  void emOnFd001IsMonotone() {
    List<Cmapss.Unit> train =
        Cmapss.readUnits(Fd001.dir().resolve("train_FD001.txt"));
    ArphmmEvaluation.Trained t = ArphmmEvaluation.train(train.subList(0, 30),
        Arphmm.Config.defaults(), ArphmmRul.Options.defaults());
    double[] trace = t.logLikelihoods();
    for (int i = 1; i < trace.length; i++) {
      assertThat(trace[i]).as("iteration %d", i)
          .isGreaterThanOrEqualTo(trace[i - 1] - 1e-9 * Math.abs(trace[i - 1]));
    }
  }

  @Test
  void metricsMatchHandValues() {
    double[] truth = {10, 20};
    double[] pred = {13, 7}; // d = 3, -13
    assertThat(ArphmmEvaluation.rmse(pred, truth)).isCloseTo(Math.sqrt((9 + 169) / 2.0),
        within(1e-12));
    assertThat(ArphmmEvaluation.phm08Score(pred, truth))
        .isCloseTo(Math.exp(0.3) - 1 + Math.exp(1) - 1, within(1e-12));
    assertThatThrownBy(() -> ArphmmEvaluation.rmse(new double[1], new double[2]))
        .hasMessageContaining("got 1 and 2");
  }
}
