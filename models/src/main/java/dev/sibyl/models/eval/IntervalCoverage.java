package dev.sibyl.models.eval;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.SeriesWindow;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * Empirical coverage of a forecaster's prediction intervals, measured as the pipeline uses them: at
 * every origin of a split, each channel's most recent {@code window} observations go to the
 * forecaster, and each of the next {@code horizon} observations either falls inside its step's
 * interval or not.
 *
 * <p>Counting: one trial per (origin, channel, step). The coverage of step k is over every origin
 * and channel; the overall figure is over every trial. Trials overlap in time (stride 1 reuses each
 * observation in up to {@code horizon} trials), so they are not independent: the figure is an
 * estimate of the marginal coverage, not a test statistic. Widths are reported on the data's own
 * scale, averaged over trials.
 */
public final class IntervalCoverage {

  private IntervalCoverage() {}

  /**
   * The measurement.
   *
   * @param nominal the coverage the intervals were built for
   * @param coverage covered trials over all trials
   * @param perStep coverage of each step, shape (horizon)
   * @param trials number of (origin, channel, step) trials
   * @param origins number of forecast origins
   * @param meanWidth mean interval width (upper - lower)
   */
  public record Result(double nominal, double coverage, double[] perStep, long trials, int origins, double meanWidth) {}

  /**
   * Measures coverage over the origins {@code start + window, start + window + stride, ...} whose
   * targets end by {@code end}.
   *
   * @param forecaster the model with its intervals; not null
   * @param nominal the coverage it was configured for, in (0, 1)
   * @param rows the data, shape (rows, channels), oldest first; not null
   * @param start first row a window may use
   * @param end end (exclusive) of the rows a target may use
   * @param stepMillis time between rows, for the windows' timestamps
   * @param window observations per window, at least the forecaster's minimum history
   * @param horizon steps per forecast, positive
   * @param stride origins between two forecasts, positive
   * @param progress receives the number of origins done after each origin; not null
   * @return the coverage
   * @throws IllegalArgumentException when the split holds no origin or an argument is out of range
   */
  public static Result measure(
      Forecaster forecaster, double nominal, double[][] rows, int start, int end, long stepMillis,
      int window, int horizon, int stride, IntConsumer progress) {
    Objects.requireNonNull(forecaster, "forecaster");
    if (window < forecaster.minHistory()) {
      throw new IllegalArgumentException(
          "window " + window + " is shorter than " + forecaster.family() + "'s minimum history " + forecaster.minHistory());
    }
    if (horizon < 1 || stride < 1) {
      throw new IllegalArgumentException("horizon and stride must be positive, got " + horizon + " and " + stride);
    }
    int firstOrigin = start + window;
    if (firstOrigin + horizon > end) {
      throw new IllegalArgumentException(
          "rows [" + start + ", " + end + ") hold no window of " + window + " with a horizon of " + horizon);
    }
    int channels = rows[0].length;
    long[] coveredPerStep = new long[horizon];
    long perStepTrials = 0;
    double widthSum = 0;
    int origins = 0;
    for (int origin = firstOrigin; origin + horizon <= end; origin += stride) {
      List<SeriesWindow> windows = new ArrayList<>(channels);
      for (int c = 0; c < channels; c++) {
        long[] timestamps = new long[window];
        double[] values = new double[window];
        for (int i = 0; i < window; i++) {
          int row = origin - window + i;
          timestamps[i] = row * stepMillis;
          values[i] = rows[row][c];
        }
        windows.add(new SeriesWindow(timestamps, values, stepMillis));
      }
      List<ForecastResult> results = forecaster.forecastBatch(windows, horizon);
      for (int c = 0; c < channels; c++) {
        ForecastResult r = results.get(c);
        for (int k = 0; k < horizon; k++) {
          double y = rows[origin + k][c];
          if (y >= r.lower()[k] && y <= r.upper()[k]) {
            coveredPerStep[k]++;
          }
          widthSum += r.upper()[k] - r.lower()[k];
        }
      }
      perStepTrials += channels;
      origins++;
      progress.accept(origins);
    }
    double[] perStep = new double[horizon];
    long covered = 0;
    for (int k = 0; k < horizon; k++) {
      perStep[k] = (double) coveredPerStep[k] / perStepTrials;
      covered += coveredPerStep[k];
    }
    long trials = perStepTrials * horizon;
    return new Result(nominal, (double) covered / trials, perStep, trials, origins, widthSum / trials);
  }
}
