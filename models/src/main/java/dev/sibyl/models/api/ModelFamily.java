package dev.sibyl.models.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A trainable model family: the service provider interface behind {@link ModelRegistry}, the
 * {@code train} and {@code evaluate} commands and the trained families of {@link
 * ForecasterRegistry}. Implementations are stateless and thread-safe.
 */
public interface ModelFamily {

  /** The registered name, e.g. {@code dlinear}. */
  String name();

  /** Every hyperparameter key with its default, in documentation order; unmodifiable. */
  Map<String, String> defaultHyperparameters();

  /**
   * Creates an untrained model (initial weights from the seed).
   *
   * @param hyperparameters family settings; absent keys take their defaults; not null
   * @param lookback L, positive
   * @param horizon H, positive
   * @param seed seeds the initial weights
   * @return the model
   * @throws IllegalArgumentException for an unknown key or a bad value, naming the key
   */
  WindowModel create(Map<String, String> hyperparameters, int lookback, int horizon, long seed);

  /**
   * Trains a model: validation after every epoch, early stopping, and the best validation
   * checkpoint kept.
   *
   * @param data scaled train and validation rows with L and H; not null
   * @param options loop settings and hyperparameters; not null
   * @param listener progress; not null ({@link TrainingListener#NONE})
   * @return the trained model and its validation metrics
   * @throws IllegalArgumentException for a bad hyperparameter, naming it
   */
  TrainingResult train(TrainingData data, TrainingOptions options, TrainingListener listener);

  /**
   * Writes the model's weight files into an artifact directory (the manifest is written by the
   * caller).
   *
   * @param model a model of this family; not null
   * @param directory an existing directory; not null
   * @throws IOException when a file cannot be written
   * @throws IllegalArgumentException when the model is of another family
   */
  void saveWeights(WindowModel model, Path directory) throws IOException;

  /**
   * Reads a model from an artifact directory.
   *
   * @param hyperparameters from the manifest; not null
   * @param lookback from the manifest
   * @param horizon from the manifest
   * @param version the artifact version from the manifest; not null
   * @param directory the artifact directory; not null
   * @return the model
   * @throws IOException when a weight file is missing, unreadable or of the wrong shape (the
   *     message names the file)
   */
  WindowModel loadWeights(
      Map<String, String> hyperparameters, int lookback, int horizon, String version, Path directory)
      throws IOException;
}
