package dev.sibyl.models.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options of the forecaster families, declared once: key, type, default, range and
 * documentation (see {@link #describe()}). {@link ForecasterRegistry#create} parses a string map
 * with {@link #parse}; each family accepts the subset it registers.
 *
 * <p>There are no cross-key constraints: a fixed {@code gamma} above {@code 1 - alpha} is used as
 * given (only the Holt-Winters grid keeps {@code gamma <= 1 - alpha}), and a calibration size too
 * small for the coverage widens the interval to the largest residual (see {@code SplitConformal}).
 *
 * <p>Instances are immutable.
 */
public final class ForecasterOptions {

  /** Season length key. */
  public static final String SEASON_LENGTH_CONFIG = "season.length";

  /** Season length documentation. */
  public static final String SEASON_LENGTH_DOC =
      "Steps per season m (e.g. 24 for hourly data with a daily cycle). Seasonal naive repeats the"
          + " value m steps back; Holt-Winters is seasonal once the window holds more than 2m"
          + " values and uses Holt's linear trend before that (and always when m = 1).";

  /** Season length default. */
  public static final int SEASON_LENGTH_DEFAULT = 24;

  /** Coverage key. */
  public static final String COVERAGE_CONFIG = "coverage";

  /** Coverage documentation. */
  public static final String COVERAGE_DOC =
      "Nominal coverage 1 - alpha of the split-conformal prediction intervals, per horizon step.";

  /** Coverage default. */
  public static final double COVERAGE_DEFAULT = 0.95;

  /** Calibration size key. */
  public static final String CALIBRATION_SIZE_CONFIG = "calibration.size";

  /** Calibration size documentation. */
  public static final String CALIBRATION_SIZE_DOC =
      "Calibration origins C per horizon step: the k-step errors at the last C origins of the"
          + " window whose target is in the window. The window should hold about C + horizon"
          + " values more than the model needs. When ceil((C + 1) * coverage) > C the interval is"
          + " the largest residual (under-covers).";

  /** Calibration size default. */
  public static final int CALIBRATION_SIZE_DEFAULT = 48;

  /** Holt-Winters level smoothing key. */
  public static final String ALPHA_CONFIG = "alpha";

  /** Holt-Winters level smoothing documentation. */
  public static final String ALPHA_DOC =
      "Holt-Winters level smoothing parameter. Unset: chosen per call from the grid"
          + " {0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9} by one-step squared error.";

  /** Holt-Winters trend smoothing key. */
  public static final String BETA_CONFIG = "beta";

  /** Holt-Winters trend smoothing documentation. */
  public static final String BETA_DOC =
      "Holt-Winters trend smoothing parameter (FPP3's beta*). Unset: chosen per call from the grid"
          + " {0, 0.02, 0.1, 0.3}.";

  /** Holt-Winters seasonal smoothing key. */
  public static final String GAMMA_CONFIG = "gamma";

  /** Holt-Winters seasonal smoothing documentation. */
  public static final String GAMMA_DOC =
      "Holt-Winters seasonal smoothing parameter. Unset: chosen per call from the grid"
          + " {0, 0.05, 0.1, 0.2, 0.4}, keeping gamma <= 1 - alpha.";

  /** Holt-Winters damping key. */
  public static final String DAMPING_CONFIG = "damping";

  /** Holt-Winters damping documentation. */
  public static final String DAMPING_DOC =
      "Holt-Winters trend damping phi; 1 is an undamped trend, 0.8 to 0.98 the usual damped range."
          + " Fixed, never searched.";

  /** Holt-Winters damping default. */
  public static final double DAMPING_DEFAULT = 1.0;

  /** Value type of an option. */
  private enum Type {
    INTEGER,
    NUMBER
  }

  /**
   * One option's definition.
   *
   * @param defaultValue null when the value is chosen per call
   */
  private record Definition(
      String key,
      Type type,
      Double defaultValue,
      double min,
      boolean minInclusive,
      double max,
      boolean maxInclusive,
      String doc) {

    boolean accepts(double v) {
      return (minInclusive ? v >= min : v > min) && (maxInclusive ? v <= max : v < max);
    }

    String range() {
      return (minInclusive ? "[" : "(")
          + format(min)
          + ", "
          + format(max)
          + (maxInclusive ? "]" : ")");
    }

    String format(double v) {
      return type == Type.INTEGER || v == Math.rint(v)
          ? Long.toString((long) v)
          : Double.toString(v);
    }
  }

  /** Every option, in documentation order; immutable. */
  private static final Map<String, Definition> DEFINITIONS =
      define(
          new Definition(
              SEASON_LENGTH_CONFIG,
              Type.INTEGER,
              (double) SEASON_LENGTH_DEFAULT,
              1,
              true,
              100_000,
              true,
              SEASON_LENGTH_DOC),
          new Definition(
              COVERAGE_CONFIG, Type.NUMBER, COVERAGE_DEFAULT, 0, false, 1, false, COVERAGE_DOC),
          new Definition(
              CALIBRATION_SIZE_CONFIG,
              Type.INTEGER,
              (double) CALIBRATION_SIZE_DEFAULT,
              1,
              true,
              100_000,
              true,
              CALIBRATION_SIZE_DOC),
          new Definition(ALPHA_CONFIG, Type.NUMBER, null, 0, false, 1, true, ALPHA_DOC),
          new Definition(BETA_CONFIG, Type.NUMBER, null, 0, true, 1, true, BETA_DOC),
          new Definition(GAMMA_CONFIG, Type.NUMBER, null, 0, true, 1, true, GAMMA_DOC),
          new Definition(
              DAMPING_CONFIG, Type.NUMBER, DAMPING_DEFAULT, 0, false, 1, true, DAMPING_DOC));

  private static Map<String, Definition> define(Definition... definitions) {
    Map<String, Definition> map = new LinkedHashMap<>();
    for (Definition d : definitions) {
      map.put(d.key(), d);
    }
    return Collections.unmodifiableMap(map);
  }

  private final Map<String, Double> values; // key -> parsed value or default; absent: per call

  private ForecasterOptions(Map<String, Double> values) {
    this.values = values;
  }

  /** Every option key, in documentation order. */
  public static Set<String> keys() {
    return DEFINITIONS.keySet();
  }

  /**
   * One line per option: key, type, default ("per call" when chosen per call), range and
   * documentation; for help texts.
   */
  public static String describe() {
    StringBuilder out = new StringBuilder();
    for (Definition d : DEFINITIONS.values()) {
      out.append(d.key())
          .append(" (")
          .append(d.type() == Type.INTEGER ? "integer" : "number")
          .append(", default ")
          .append(d.defaultValue() == null ? "per call" : d.format(d.defaultValue()))
          .append(", range ")
          .append(d.range())
          .append("): ")
          .append(d.doc())
          .append('\n');
    }
    return out.toString();
  }

  /** The options with every default. */
  public static ForecasterOptions defaults() {
    return parse(Map.of());
  }

  /**
   * Parses options against every known key.
   *
   * @param options key to value; not null, no null keys or values
   * @return the parsed options, defaults filled in
   * @throws NullPointerException when the map, a key or a value is null
   * @throws IllegalArgumentException for an unknown key, naming it and listing the known keys, or a
   *     value that does not parse or is out of range, naming the key, the value and the range
   */
  public static ForecasterOptions parse(Map<String, String> options) {
    return parse(options, "any family", keys());
  }

  /**
   * Parses options against the keys one family accepts.
   *
   * @param options key to value; not null, no null keys or values
   * @param family the family, named in error messages; not null
   * @param accepted the keys the family accepts, a subset of {@link #keys()}; not null
   * @return the parsed options, defaults filled in (for every key)
   * @throws NullPointerException when an argument, a key or a value is null
   * @throws IllegalArgumentException for an unknown key or one the family does not accept, naming
   *     it and listing the accepted keys, or a value that does not parse or is out of range, naming
   *     the key, the value and the range
   */
  public static ForecasterOptions parse(
      Map<String, String> options, String family, Set<String> accepted) {
    Objects.requireNonNull(options, "options must not be null (use an empty map)");
    Objects.requireNonNull(family, "family must not be null");
    Objects.requireNonNull(accepted, "accepted must not be null");
    // 1. Reject unknown keys and keys the family does not use
    for (String key : options.keySet()) {
      Objects.requireNonNull(key, "option keys must not be null");
      if (!DEFINITIONS.containsKey(key)) {
        throw new IllegalArgumentException(
            "unknown option '"
                + key
                + "' for "
                + family
                + "; known options: "
                + new TreeSet<>(accepted));
      }
      if (!accepted.contains(key)) {
        throw new IllegalArgumentException(
            "option '"
                + key
                + "' does not apply to "
                + family
                + "; its options: "
                + new TreeSet<>(accepted));
      }
    }
    // 2. Parse and range-check each value; fill in defaults
    Map<String, Double> values = new LinkedHashMap<>();
    for (Definition d : DEFINITIONS.values()) {
      String raw = options.get(d.key());
      if (raw == null) {
        if (options.containsKey(d.key())) {
          throw new NullPointerException("option '" + d.key() + "' must not have a null value");
        }
        if (d.defaultValue() != null) {
          values.put(d.key(), d.defaultValue());
        }
        continue;
      }
      values.put(d.key(), parseValue(d, raw));
    }
    return new ForecasterOptions(Collections.unmodifiableMap(values));
  }

  private static double parseValue(Definition d, String raw) {
    String kind = d.type() == Type.INTEGER ? "an integer" : "a number";
    double v;
    try {
      v = d.type() == Type.INTEGER ? Integer.parseInt(raw.trim()) : Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      v = Double.NaN; // reported below with the range
    }
    if (!d.accepts(v)) {
      throw new IllegalArgumentException(
          "option '" + d.key() + "' must be " + kind + " in " + d.range() + ", got '" + raw + "'");
    }
    return v;
  }

  /** {@value #SEASON_LENGTH_CONFIG}: steps per season m, default 24. */
  public int seasonLength() {
    return values.get(SEASON_LENGTH_CONFIG).intValue();
  }

  /** {@value #COVERAGE_CONFIG}: nominal interval coverage, default 0.95. */
  public double coverage() {
    return values.get(COVERAGE_CONFIG);
  }

  /** {@value #CALIBRATION_SIZE_CONFIG}: calibration origins per step, default 48. */
  public int calibrationSize() {
    return values.get(CALIBRATION_SIZE_CONFIG).intValue();
  }

  /** {@value #ALPHA_CONFIG}: fixed level smoothing; empty (the default) means grid search. */
  public OptionalDouble alpha() {
    return optional(ALPHA_CONFIG);
  }

  /** {@value #BETA_CONFIG}: fixed trend smoothing; empty (the default) means grid search. */
  public OptionalDouble beta() {
    return optional(BETA_CONFIG);
  }

  /** {@value #GAMMA_CONFIG}: fixed seasonal smoothing; empty (the default) means grid search. */
  public OptionalDouble gamma() {
    return optional(GAMMA_CONFIG);
  }

  /** {@value #DAMPING_CONFIG}: trend damping phi, default 1 (undamped). */
  public double damping() {
    return values.get(DAMPING_CONFIG);
  }

  private OptionalDouble optional(String key) {
    Double v = values.get(key);
    return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
  }

  @Override
  public String toString() {
    return "ForecasterOptions" + values;
  }
}
