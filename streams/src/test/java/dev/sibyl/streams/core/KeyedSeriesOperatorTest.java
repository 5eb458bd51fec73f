package dev.sibyl.streams.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.KeyedServing;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The keyed step's online intervals on a synthetic series whose forecast is the true signal and
 * whose noise is known: the empirical coverage of the 90 % intervals after a warm-up, their growth
 * when the noise triples, and how often each forecaster is called.
 */
class KeyedSeriesOperatorTest {

  private static final long STEP = 60_000L;
  private static final int H = 8;
  private static final SeriesId SERIES = new SeriesId("s", "x");

  /** The true signal at point t. */
  private static double signal(long t) {
    return 5 * Math.sin(2 * Math.PI * t / 24.0);
  }

  /** Forecasts the true signal, counting its calls. */
  private static final class Truth implements KeyedForecaster {
    int calls;
    int forgets;

    @Override
    public String family() {
      return "truth";
    }

    @Override
    public String version() {
      return "1";
    }

    @Override
    public int minHistory() {
      return 2;
    }

    @Override
    public double[] forecast(String seriesKey, SeriesWindow window, int horizon) {
      calls++;
      long last = window.lastTimestamp() / STEP;
      double[] out = new double[horizon];
      for (int k = 0; k < horizon; k++) {
        out[k] = signal(last + 1 + k);
      }
      return out;
    }

    @Override
    public void forget(String seriesKey) {
      forgets++;
    }

    @Override
    public int cachedSeries() {
      return 1;
    }

    @Override
    public int maxSeries() {
      return 1;
    }

    @Override
    public void close() {}
  }

  /** A stateless forecaster whose intervals are far too narrow (half-width 0.2), counting its calls. */
  private static final class Narrow implements Forecaster {
    int calls;

    @Override
    public String family() {
      return "truth";
    }

    @Override
    public String version() {
      return "1";
    }

    @Override
    public int minHistory() {
      return 10;
    }

    @Override
    public ForecastResult forecast(SeriesWindow window, int horizon) {
      calls++;
      double[] mean = new double[horizon];
      double[] lower = new double[horizon];
      double[] upper = new double[horizon];
      for (int k = 0; k < horizon; k++) {
        lower[k] = -0.2;
        upper[k] = 0.2;
      }
      return new ForecastResult(mean, lower, upper, 0.9);
    }
  }

  /** Coverage of the checks in [from, to), the half-width at step 0 at the end. */
  private record Run(double before, double after, double halfWidthBefore, double halfWidthAfter, int forecasts) {}

  private static Run run(double gamma, Truth keyed, Narrow narrow) {
    KeyedServing serving = KeyedServing.of(narrow, n -> keyed);
    KeyedSeriesOperator operator = new KeyedSeriesOperator(new SeriesOperator(serving, H, 4, 10, 0).withOnlineIntervals(gamma), serving);
    SeriesState state = new SeriesState(64);
    Random random = new Random(7);
    int[] inside = new int[2];
    int[] checks = new int[2];
    double halfWidthBefore = 0;
    int forecasts = 0;
    for (long t = 0; t < 6000; t++) {
      double sigma = t < 3000 ? 1 : 3;
      StepResult r = operator.onObservation(keyed, SERIES, state, t * STEP, signal(t) + sigma * random.nextGaussian());
      forecasts += r.forecast() == null ? 0 : 1;
      // the warm-up: 1000 points before the change, 1000 after it
      int part = t >= 1000 && t < 3000 ? 0 : t >= 4000 ? 1 : -1;
      if (part >= 0 && r.check() != null) {
        checks[part]++;
        inside[part] += r.check().observed() >= r.check().lower() && r.check().observed() <= r.check().upper() ? 1 : 0;
      }
      if (t == 2999) {
        halfWidthBefore = state.onlineIntervals().halfWidths()[0];
      }
    }
    return new Run(
        (double) inside[0] / checks[0], (double) inside[1] / checks[1], halfWidthBefore, state.onlineIntervals().halfWidths()[0], forecasts);
  }

  @Test
  void onlineIntervalsReachTheirCoverageAndWidenWhenTheErrorsGrow() {
    Truth keyed = new Truth();
    Narrow narrow = new Narrow();
    Run r = run(0.05, keyed, narrow);
    // seeded once, from intervals ten times too narrow; 90 % after the warm-up, before and after the noise triples
    assertThat(narrow.calls).isEqualTo(1);
    assertThat(keyed.calls).isEqualTo(r.forecasts());
    assertThat(r.before()).isCloseTo(0.9, within(0.03));
    assertThat(r.after()).isCloseTo(0.9, within(0.03));
    // the 0.9-quantile of |N(0, sigma^2)| is 1.645 sigma
    assertThat(r.halfWidthBefore()).isCloseTo(1.645, within(0.6));
    assertThat(r.halfWidthAfter() / r.halfWidthBefore()).isGreaterThan(2);
    // frozen at the seed (gamma 0) the intervals cover what N(0, 1) puts within 0.2: about 16 %
    Run frozen = run(0, new Truth(), new Narrow());
    assertThat(frozen.before()).isLessThan(0.3);
  }

  @Test
  void aGapResetForgetsTheCacheAndSeedsAgain() {
    Truth keyed = new Truth();
    Narrow narrow = new Narrow();
    KeyedServing serving = KeyedServing.of(narrow, n -> keyed);
    KeyedSeriesOperator operator = new KeyedSeriesOperator(new SeriesOperator(serving, H, 4, 10, 0).withOnlineIntervals(0.05), serving);
    SeriesState state = new SeriesState(64);
    for (long t = 0; t < 40; t++) {
      operator.onObservation(keyed, SERIES, state, t * STEP, signal(t));
    }
    assertThat(narrow.calls).isEqualTo(1);
    assertThat(state.onlineIntervals().furthest()).isEqualTo(3);
    // 100 steps of silence: the window, the latest forecast and the half-widths go
    StepResult r = operator.onObservation(keyed, SERIES, state, 140 * STEP, signal(140));
    assertThat(r.windowReset()).isTrue();
    assertThat(keyed.forgets).isEqualTo(1);
    assertThat(state.onlineIntervals()).isNull();
    for (long t = 141; t < 160; t++) {
      operator.onObservation(keyed, SERIES, state, t * STEP, signal(t));
    }
    assertThat(narrow.calls).isEqualTo(2);
    assertThat(state.onlineIntervals().furthest()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void theFurthestStepRealisedCarriesTheLaterOnes() {
    OnlineIntervals q =
        OnlineIntervals.seed(new ForecastResult(new double[] {0, 0, 0, 0}, new double[] {-1, -2, -3, -4}, new double[] {1, 2, 3, 4}, 0.9), 10);
    q.observe(0, true, 0.1); // a miss at step 0: every step grows by exp(0.1 * 0.9)
    double grow = Math.exp(0.1 * 0.9);
    assertThat(q.halfWidths()).containsExactly(new double[] {grow, 2 * grow, 3 * grow, 4 * grow}, within(1e-12));
    q.observe(1, false, 0.1); // a hit at step 1, now the furthest: steps 1.. shrink by exp(-0.1 * 0.1)
    double shrink = Math.exp(-0.1 * 0.1);
    assertThat(q.halfWidths()).containsExactly(new double[] {grow, 2 * grow * shrink, 3 * grow * shrink, 4 * grow * shrink}, within(1e-12));
    q.observe(0, true, 0.1); // step 0 is no longer the furthest: it moves alone
    assertThat(q.halfWidths()[0]).isCloseTo(grow * grow, within(1e-12));
    assertThat(q.halfWidths()[1]).isCloseTo(2 * grow * shrink, within(1e-12));
    // the factor is bounded, so that a long run of hits cannot shrink an interval to nothing
    for (int i = 0; i < 100_000; i++) {
      q.observe(0, false, 1);
    }
    assertThat(q.halfWidths()[0]).isCloseTo(1 / OnlineIntervals.MAX_FACTOR, within(1e-15));
    assertThatThrownBy(() -> q.observe(4, true, 0.1)).hasMessageContaining("step must be in [0, 4), got 4");
    assertThatThrownBy(() -> new SeriesOperator(KeyedServing.of(new Narrow(), n -> new Truth()), H, 4, 10, 0).withOnlineIntervals(1.5))
        .hasMessageContaining("gamma in [0, 1], got 1.5");
  }
}
