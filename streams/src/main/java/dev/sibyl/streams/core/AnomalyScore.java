package dev.sibyl.streams.core;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * How anomalous an observation is against its forecast interval.
 *
 * <p>The score is {@code 1 - exp(-d)} where d is the distance outside the interval in units of the
 * interval's half-width on that side: 0 inside the interval, about 0.63 one half-width outside,
 * 0.95 three half-widths outside. It is monotone in the excursion and bounded in [0, 1], which is
 * what alerting rules need. That raw excursion score is what {@link #of} gives; the pipeline
 * reports the likelihood-based score of {@link ExcursionLikelihood} instead, which also weighs the
 * persistence of the excursion (its run length) and how unusual both are for the series ({@link
 * #withLikelihood}).
 *
 * @param score in [0, 1]: the raw excursion score, or the likelihood-based one
 * @param severity a coarse bucket of the score
 * @param distance how far outside the interval, in half-widths
 * @param above whether the observation is above the interval (else below)
 * @param coverage the interval's nominal coverage
 * @param run consecutive observations outside the interval up to this one; 0 for a raw score
 * @param log10Tail base-10 log of the probability of such a run ending in such an excursion, given
 *     the series' recent excursions; NaN for a raw score
 */
public record AnomalyScore(
    double score, Severity severity, double distance, boolean above, double coverage, long run, double log10Tail) {

  /** Severity buckets, mirroring the Avro enum without depending on it. */
  public enum Severity {
    LOW,
    MEDIUM,
    HIGH,
    CRITICAL
  }

  /**
   * Scores an observation; null when it lies inside the interval.
   *
   * @param observed the observed value
   * @param mean the predicted value
   * @param lower the interval's lower bound
   * @param upper the interval's upper bound
   * @param coverage the nominal coverage, for the reason text
   */
  public static AnomalyScore of(double observed, double mean, double lower, double upper, double coverage) {
    if (observed >= lower && observed <= upper) {
      return null;
    }
    double distance = distance(observed, mean, lower, upper);
    double score = excursion(distance);
    return new AnomalyScore(score, severityOf(score), distance, observed > upper, coverage, 0, Double.NaN);
  }

  /**
   * The score of an observation outside the interval from the likelihood scorer, which has just
   * been updated with it.
   *
   * @param score the value {@link ExcursionLikelihood#update} returned
   * @param distance as {@link #distance}, positive
   * @param above whether the observation is above the interval
   * @param coverage the nominal coverage, for the reason text
   * @param scorer the series' scorer, for the run length and tail in the reason
   */
  public static AnomalyScore withLikelihood(double score, double distance, boolean above, double coverage, ExcursionLikelihood scorer) {
    return new AnomalyScore(score, severityOf(score), distance, above, coverage, scorer.run(), scorer.lastLog10Tail());
  }

  /**
   * The distance of an observation outside the interval, in half-widths of the interval on its
   * side; 0 inside.
   */
  public static double distance(double observed, double mean, double lower, double upper) {
    if (observed >= lower && observed <= upper) {
      return 0;
    }
    boolean above = observed > upper;
    double halfWidth = above ? upper - mean : mean - lower;
    // A degenerate interval (zero width) would make every excursion infinitely far; use the scale
    // of the value instead so that the score stays meaningful.
    double scale = Math.max(halfWidth, 1e-9 * (1 + Math.abs(mean)));
    return (above ? observed - upper : lower - observed) / scale;
  }

  /** The raw excursion score {@code 1 - exp(-d)} of a distance. */
  public static double excursion(double distance) {
    return -Math.expm1(-distance);
  }

  /**
   * Human-readable, e.g. "above the 95% interval by 2.30 half-widths; 3 consecutive observations
   * outside; probability 10^-7.3 given the series' recent excursions". Built on demand: most
   * scores are never published (below the minimum score), and formatting is costly on the hot path.
   */
  public String reason() {
    String excursion = (above ? "above" : "below") + " the " + fixed(coverage * 100, 0) + "% interval by " + fixed(distance, 2) + " half-widths";
    if (Double.isNaN(log10Tail)) {
      return excursion;
    }
    // fixed() of the positive value: a negative one would take the formatter
    String exponent = log10Tail < -0.05 ? "-" + fixed(-log10Tail, 1) : "0.0";
    return excursion + "; " + run + (run == 1 ? " observation" : " consecutive observations") + " outside; probability 10^"
        + exponent + " given the series' recent excursions";
  }

  /**
   * {@code String.format(Locale.ROOT, "%.<digits>f", value)}, without parsing a format string per
   * call: the formatter rounds the shortest decimal form of the double half-up, which is what
   * {@link BigDecimal#valueOf(double)} and {@link RoundingMode#HALF_UP} do. Values that are not
   * positive and finite (the formatter keeps the sign of a negative value rounded to zero) take
   * the formatter itself.
   */
  static String fixed(double value, int digits) {
    if (!(value > 0 && value <= Double.MAX_VALUE)) {
      return String.format(Locale.ROOT, "%." + digits + "f", value);
    }
    return BigDecimal.valueOf(value).setScale(digits, RoundingMode.HALF_UP).toPlainString();
  }

  private static Severity severityOf(double score) {
    if (score >= 0.95) {
      return Severity.CRITICAL;
    }
    if (score >= 0.8) {
      return Severity.HIGH;
    }
    if (score >= 0.5) {
      return Severity.MEDIUM;
    }
    return Severity.LOW;
  }
}
