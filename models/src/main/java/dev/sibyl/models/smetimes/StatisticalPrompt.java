package dev.sibyl.models.smetimes;

import java.util.Locale;

/**
 * The statistically enhanced prompt of a segment, SMETimes' "statistical prompting" (Fan et al.,
 * 2025; MODELS.md: "time range of this sequence is from {start} to {end}; mean of this time series
 * is {mean}; standard deviation of this time series is {std}; changed by {last - first}").
 *
 * <p>Statistics are of the segment's values as the model receives them (on the data's scale, before
 * the model's own per-context standardisation): the standardisation removes each context's level
 * and scale, and the prompt is what gives them back; and a segment's text then depends on the
 * segment alone, so the same segment seen from every window that contains it (about 7 windows per
 * segment in training, and again in validation every epoch) is embedded once. Values are written
 * with one decimal (a tenth of the data's standard deviation on standardised data): on ETTh1 that
 * makes 9,752 distinct texts over the training split's 60k segments (56,031 with two decimals),
 * and the rollout's predicted segments mostly fall on texts already embedded, so the LLM runs about
 * 6 times less for a description that stays informative about level, scale and trend.
 *
 * <p>Departure: the time-range clause is not part of this text. The windows the families receive
 * carry no calendar, so the range can only be relative to the context (as AutoTimes' {@link
 * dev.sibyl.models.autotimes.TimestampPrompt} writes it); inside this text it would make a
 * segment's text differ with its place in every window (no reuse: 49 LLM passes per 7-channel
 * window). The range is instead embedded separately as AutoTimes' timestamp text (7 texts in all)
 * and added to the token as AutoTimes does, so the token still carries both.
 */
public final class StatisticalPrompt {

  private StatisticalPrompt() {}

  /**
   * The text of a segment.
   *
   * @param segment the values, oldest first; at least one
   * @return e.g. {@code mean of this time series is 0.3; standard deviation of this time series
   *     is 1.1; changed by -0.5}
   * @throws IllegalArgumentException when the segment is empty
   */
  public static String text(double[] segment) {
    if (segment.length == 0) {
      throw new IllegalArgumentException("a segment has at least one value");
    }
    double[] m = moments(segment);
    double change = segment[segment.length - 1] - segment[0];
    return "mean of this time series is " + number(m[0]) + "; standard deviation of this time series is "
        + number(m[1]) + "; changed by " + number(change);
  }

  /**
   * The mean and the (population) standard deviation.
   *
   * @param segment the values; at least one
   * @return {mean, std}
   */
  static double[] moments(double[] segment) {
    double sum = 0;
    for (double v : segment) {
      sum += v;
    }
    double mean = sum / segment.length;
    double sq = 0;
    for (double v : segment) {
      sq += (v - mean) * (v - mean);
    }
    return new double[] {mean, Math.sqrt(sq / segment.length)};
  }

  private static String number(double v) {
    String s = String.format(Locale.ROOT, "%.1f", v);
    // "-0.0" and "0.0" are one value: one text
    return s.equals("-0.0") ? "0.0" : s;
  }
}
