package dev.sibyl.models.artifact;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The contents of an artifact's {@code manifest.json}.
 *
 * @param formatVersion the artifact format version ({@link Artifacts#FORMAT_VERSION})
 * @param family the model family, as registered in {@code ModelRegistry}; not null
 * @param version the model version; not null
 * @param hyperparameters the family's settings, verbatim; not null
 * @param lookback L
 * @param horizon H
 * @param trainingDataFingerprint SHA-256 (hex) of the scaled training rows (a prognostic's: of the
 *     training file's bytes); not null
 * @param validationMetrics metrics of the kept checkpoint on the validation split; not null
 * @param trainSeconds wall time of training (an addition to the required fields, for reports)
 * @param dataset the training data's name (the file name); not null
 * @param createdAt ISO-8601 instant; not null
 * @param kind what the artifact holds: {@link #KIND_FORECASTER} (a window model of {@code
 *     ModelRegistry}) or {@link #KIND_PROGNOSTIC} (a {@code Prognostic}, loaded by {@code
 *     dev.sibyl.models.rul.Prognostics}); not null
 * @param inputColumns for a prognostic, the raw columns each history row holds, in order; empty
 *     for a forecaster; not null
 */
public record Manifest(
    int formatVersion,
    String family,
    String version,
    Map<String, String> hyperparameters,
    int lookback,
    int horizon,
    String trainingDataFingerprint,
    Map<String, Double> validationMetrics,
    double trainSeconds,
    String dataset,
    String createdAt,
    String kind,
    List<String> inputColumns) {

  /** The kind of a window forecaster's artifact (the default when a manifest names none). */
  public static final String KIND_FORECASTER = "forecaster";

  /** The kind of a prognostic (health / RUL) model's artifact. */
  public static final String KIND_PROGNOSTIC = "prognostic";

  /**
   * A forecaster's manifest (kind {@link #KIND_FORECASTER}, no input columns).
   *
   * @param formatVersion the artifact format version
   * @param family the model family
   * @param version the model version
   * @param hyperparameters the family's settings
   * @param lookback L
   * @param horizon H
   * @param trainingDataFingerprint SHA-256 (hex) of the scaled training rows
   * @param validationMetrics metrics of the kept checkpoint
   * @param trainSeconds wall time of training
   * @param dataset the training data's name
   * @param createdAt ISO-8601 instant
   */
  public Manifest(
      int formatVersion,
      String family,
      String version,
      Map<String, String> hyperparameters,
      int lookback,
      int horizon,
      String trainingDataFingerprint,
      Map<String, Double> validationMetrics,
      double trainSeconds,
      String dataset,
      String createdAt) {
    this(formatVersion, family, version, hyperparameters, lookback, horizon,
        trainingDataFingerprint, validationMetrics, trainSeconds, dataset, createdAt,
        KIND_FORECASTER, List.of());
  }

  /**
   * Checks for nulls and the kind, and copies the maps.
   *
   * @throws IllegalArgumentException when the kind is unknown
   */
  public Manifest {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(trainingDataFingerprint, "trainingDataFingerprint");
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(createdAt, "createdAt");
    if (!KIND_FORECASTER.equals(kind) && !KIND_PROGNOSTIC.equals(kind)) {
      throw new IllegalArgumentException(
          "kind must be " + KIND_FORECASTER + " or " + KIND_PROGNOSTIC + ", got " + kind);
    }
    inputColumns = List.copyOf(inputColumns);
    hyperparameters = Map.copyOf(hyperparameters);
    validationMetrics = Map.copyOf(validationMetrics);
  }

  /**
   * Whether the artifact holds a prognostic model.
   *
   * @return true for kind {@link #KIND_PROGNOSTIC}
   */
  public boolean prognostic() {
    return KIND_PROGNOSTIC.equals(kind);
  }
}
