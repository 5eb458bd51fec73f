package dev.sibyl.models.anomaly;

import java.util.Objects;

/**
 * A streaming detector built for NAB's reward: one score that rises once, at an anomaly's onset.
 *
 * <p>Method: the larger of two absolute z-scores, the value against the rolling mean and deviation
 * of the preceding {@code window} values (NAB's {@code windowedGaussian} detector, Lavin &amp; Ahmad,
 * "Evaluating real-time anomaly detection algorithms: the Numenta Anomaly Benchmark", ICMLA 2015)
 * and the daily seasonal difference against the preceding differences ({@link SeasonalDifference}),
 * mapped to {@code z / (1 + z)} in [0, 1); then a {@link DetectionHold} silences the rows after a
 * detection, since NAB counts only the first detection in a window and charges each later one.
 *
 * <p>Departures: windowedGaussian scores the Gaussian tail of the value alone; the seasonal
 * component and the hold are additions. No anomaly-likelihood post-processing (Ahmad et al. 2017):
 * on the NAB development subset it lowered the score of this raw score (26-27 against 43-58 without
 * it). The hold level and length are fixed for every series (no per-file tuning).
 *
 * <p>The detector is immutable and shared; the per-series history lives in {@link State}.
 */
public final class OnsetDetector implements StreamingDetector<OnsetDetector.State> {

  /** Name in reports and NAB's results layout. */
  public static final String NAME = "onset";

  private final OnsetConfig config;

  /**
   * A detector.
   *
   * @param config its settings; not null
   */
  public OnsetDetector(OnsetConfig config) {
    this.config = Objects.requireNonNull(config, "config must not be null");
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The settings. */
  public OnsetConfig config() {
    return config;
  }

  /**
   * The daily season in rows the detector settles on for a series with these timestamps, as its
   * state does from the first {@code seasonGaps} gaps.
   *
   * @param millis the series' timestamps in epoch milliseconds; not null
   * @param config the settings; not null
   * @return the season, 0 when the series is too short to tell, -1 when it has none
   */
  public static int seasonOf(long[] millis, OnsetConfig config) {
    if (millis.length <= config.seasonGaps()) {
      return 0;
    }
    long[] gaps = new long[config.seasonGaps()];
    for (int i = 0; i < gaps.length; i++) {
      gaps[i] = millis[i + 1] - millis[i];
    }
    return SeasonalDifference.seasonOf(gaps, config.maxSeason());
  }

  @Override
  public State newState() {
    return new State(config);
  }

  @Override
  public DetectorOutput update(State s, long timestamp, double value) {
    if (!Double.isFinite(value)) {
      return DetectorOutput.WARM_UP;
    }
    // 1. The value against its rolling window
    boolean warm = s.values.size() < config.warmUp();
    double zValue = 0;
    if (!warm) {
      double mean = s.values.mean();
      // floor the deviation so a flat series does not divide by zero
      double sd = Math.max(Math.sqrt(s.values.variance()), 1e-9 * (1 + Math.abs(mean)));
      zValue = Math.abs(value - mean) / sd;
    }
    s.values.add(value);
    // 2. The seasonal difference against its rolling window
    double zSeason = s.seasonal.update(timestamp, value);
    if (warm) {
      return DetectorOutput.WARM_UP;
    }
    // 3. One score, silenced after a detection
    double z = Math.max(zValue, zSeason);
    double raw = z / (1 + z);
    double score = s.hold.apply(raw);
    return new DetectorOutput(score, raw, score, s.hold.detected(), false, false, 0);
  }

  /**
   * One series' mutable history; created by {@link #newState()}, owned by the caller, not
   * thread-safe.
   */
  public static final class State {
    private final RollingWindow values;
    private final SeasonalDifference seasonal;
    private final DetectionHold hold;

    State(OnsetConfig c) {
      values = new RollingWindow(c.window());
      seasonal = new SeasonalDifference(c);
      hold = new DetectionHold(c.holdLevel(), c.holdRows());
    }

    /** The daily season in rows: 0 while unknown, -1 when the series has none. */
    public int season() {
      return seasonal.season();
    }
  }
}
