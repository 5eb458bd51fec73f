package dev.sibyl.models.api;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * How to train: the optimiser loop's settings and the family's hyperparameters.
 *
 * @param epochs the most epochs, at least 1
 * @param batchSize windows per batch (each with every channel), at least 1
 * @param learningRate the initial learning rate, positive
 * @param patience epochs without a better validation loss before stopping, at least 1
 * @param seed seeds initialisation and shuffling
 * @param backbone the frozen LLM checkpoint for LLM-backed families; null for the others
 * @param hyperparameters family-specific settings, verbatim; not null
 */
public record TrainingOptions(
    int epochs,
    int batchSize,
    double learningRate,
    int patience,
    long seed,
    Path backbone,
    Map<String, String> hyperparameters) {

  /**
   * Checks the ranges.
   *
   * @throws IllegalArgumentException naming the setting, its value and the range
   */
  public TrainingOptions {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
    }
    if (patience < 1) {
      throw new IllegalArgumentException("patience must be >= 1, got " + patience);
    }
    hyperparameters = Map.copyOf(Objects.requireNonNull(hyperparameters, "hyperparameters"));
  }
}
