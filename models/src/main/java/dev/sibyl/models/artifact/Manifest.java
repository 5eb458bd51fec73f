package dev.sibyl.models.artifact;

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
 * @param trainingDataFingerprint SHA-256 (hex) of the scaled training rows; not null
 * @param validationMetrics metrics of the kept checkpoint on the validation split; not null
 * @param trainSeconds wall time of training (an addition to the required fields, for reports)
 * @param dataset the training data's name (the file name); not null
 * @param createdAt ISO-8601 instant; not null
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
    String createdAt) {

  /** Checks for nulls and copies the maps. */
  public Manifest {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(trainingDataFingerprint, "trainingDataFingerprint");
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(createdAt, "createdAt");
    hyperparameters = Map.copyOf(hyperparameters);
    validationMetrics = Map.copyOf(validationMetrics);
  }
}
