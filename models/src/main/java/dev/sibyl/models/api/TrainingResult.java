package dev.sibyl.models.api;

import java.util.Map;
import java.util.Objects;

/**
 * The outcome of {@link ModelFamily#train}.
 *
 * @param model the trained model, with the best validation checkpoint's weights; not null
 * @param validationMetrics metrics of that checkpoint on the validation split (at least {@code
 *     mse} and {@code mae}); not null
 * @param bestEpoch the epoch the weights come from (0 for closed-form fits)
 * @param epochsRun epochs run (0 for closed-form fits)
 * @param trainSeconds wall time of training
 */
public record TrainingResult(
    WindowModel model,
    Map<String, Double> validationMetrics,
    int bestEpoch,
    int epochsRun,
    double trainSeconds) {

  /** Copies the metrics. */
  public TrainingResult {
    Objects.requireNonNull(model, "model");
    validationMetrics = Map.copyOf(validationMetrics);
  }
}
