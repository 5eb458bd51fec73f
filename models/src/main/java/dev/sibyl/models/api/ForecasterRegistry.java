package dev.sibyl.models.api;

import static dev.sibyl.models.api.ForecasterOptions.ALPHA_CONFIG;
import static dev.sibyl.models.api.ForecasterOptions.BETA_CONFIG;
import static dev.sibyl.models.api.ForecasterOptions.CALIBRATION_SIZE_CONFIG;
import static dev.sibyl.models.api.ForecasterOptions.COVERAGE_CONFIG;
import static dev.sibyl.models.api.ForecasterOptions.DAMPING_CONFIG;
import static dev.sibyl.models.api.ForecasterOptions.GAMMA_CONFIG;
import static dev.sibyl.models.api.ForecasterOptions.SEASON_LENGTH_CONFIG;

import dev.sibyl.models.controls.HoltWinters;
import dev.sibyl.models.controls.SeasonalNaive;
import dev.sibyl.models.interval.SplitConformal;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Creates forecasters by family name from string options (see {@link ForecasterOptions} for every
 * key, default and range). A family is one {@link #register} line in the static block below: its
 * name, the option keys it accepts, and a factory from parsed options.
 */
public final class ForecasterRegistry {

  /** Options of every family that wraps a point model in split-conformal intervals. */
  private static final Set<String> INTERVAL_OPTIONS =
      Set.of(COVERAGE_CONFIG, CALIBRATION_SIZE_CONFIG);

  /**
   * One family.
   *
   * @param options the keys it accepts
   * @param factory builds the forecaster from validated options
   */
  private record Registration(
      Set<String> options, Function<ForecasterOptions, Forecaster> factory) {}

  /** Family name to registration; filled once in the static block, read-only afterwards. */
  private static final SortedMap<String, Registration> FAMILIES;

  static {
    SortedMap<String, Registration> families = new TreeMap<>();
    register(
        families,
        SeasonalNaive.FAMILY,
        Set.of(SEASON_LENGTH_CONFIG),
        o -> intervals(new SeasonalNaive(o.seasonLength()), o));
    register(
        families,
        HoltWinters.FAMILY,
        Set.of(SEASON_LENGTH_CONFIG, ALPHA_CONFIG, BETA_CONFIG, GAMMA_CONFIG, DAMPING_CONFIG),
        o -> intervals(holtWinters(o), o));
    FAMILIES = Collections.unmodifiableSortedMap(families);
  }

  private ForecasterRegistry() {}

  /**
   * Adds a family whose point model gets split-conformal intervals ({@value
   * ForecasterOptions#COVERAGE_CONFIG}, {@value ForecasterOptions#CALIBRATION_SIZE_CONFIG}).
   *
   * @param modelOptions the keys the point model accepts, besides the interval keys
   */
  private static void register(
      Map<String, Registration> families,
      String family,
      Set<String> modelOptions,
      Function<ForecasterOptions, Forecaster> factory) {
    Set<String> options = new HashSet<>(modelOptions);
    options.addAll(INTERVAL_OPTIONS);
    if (families.put(family, new Registration(Set.copyOf(options), factory)) != null) {
      throw new IllegalStateException("family registered twice: " + family);
    }
  }

  private static Forecaster intervals(PointModel model, ForecasterOptions o) {
    return new SplitConformal(model, o.coverage(), o.calibrationSize());
  }

  private static HoltWinters holtWinters(ForecasterOptions o) {
    HoltWinters.Builder b =
        HoltWinters.builder().optSeasonLength(o.seasonLength()).optDamping(o.damping());
    o.alpha().ifPresent(b::optAlpha);
    o.beta().ifPresent(b::optBeta);
    o.gamma().ifPresent(b::optGamma);
    return b.build();
  }

  /**
   * The family names, sorted; unmodifiable: the window-fitted families registered here and the
   * trainable families of {@link ModelRegistry} (served by {@link TrainedForecasters}).
   */
  public static Set<String> families() {
    SortedSet<String> all = new TreeSet<>(FAMILIES.keySet());
    all.addAll(ModelRegistry.names());
    return Collections.unmodifiableSortedSet(all);
  }

  /**
   * Creates a forecaster.
   *
   * @param family a name from {@link #families()}; not null
   * @param options option key to value, see {@link ForecasterOptions}; not null (empty for every
   *     default)
   * @return a new, immutable, thread-safe forecaster
   * @throws NullPointerException when an argument, an option key or an option value is null
   * @throws IllegalArgumentException for an unknown family (listing the known ones), an unknown or
   *     inapplicable option key (naming it), or a bad value (naming the key, value and range)
   */
  public static Forecaster create(String family, Map<String, String> options) {
    Objects.requireNonNull(family, "family must not be null");
    Registration registration = FAMILIES.get(family);
    if (registration == null && ModelRegistry.contains(family)) {
      // trained families take an artifact path, which ForecasterOptions does not declare
      return TrainedForecasters.create(family, options);
    }
    if (registration == null) {
      throw new IllegalArgumentException(
          "unknown forecaster family '" + family + "'; known families: " + families());
    }
    ForecasterOptions parsed =
        ForecasterOptions.parse(options, "family " + family, registration.options());
    return registration.factory().apply(parsed);
  }
}
