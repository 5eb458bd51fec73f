package dev.sibyl.models.api;

/**
 * Receives training progress (for a progress bar, logs or tests). Called on the training thread;
 * implementations must be quick. Every method has an empty default.
 */
public interface TrainingListener {

  /** A listener that ignores everything. */
  TrainingListener NONE = new TrainingListener() {};

  /**
   * An epoch starts.
   *
   * @param epoch 1-based
   * @param epochs the most epochs
   * @param batches batches in this epoch
   */
  default void onEpochStart(int epoch, int epochs, int batches) {}

  /**
   * A batch finished.
   *
   * @param epoch 1-based
   * @param batch 1-based
   * @param batches batches in this epoch
   * @param loss the batch's training loss
   */
  default void onBatch(int epoch, int batch, int batches, double loss) {}

  /**
   * An epoch finished and was validated.
   *
   * @param epoch 1-based
   * @param trainLoss mean training loss of the epoch
   * @param validationLoss validation loss (MSE on the scaled data)
   * @param best whether this epoch is the best so far (its weights are kept)
   */
  default void onEpochEnd(int epoch, double trainLoss, double validationLoss, boolean best) {}

  /**
   * Training stops early.
   *
   * @param epoch the last epoch run
   * @param bestEpoch the epoch whose weights are kept
   */
  default void onEarlyStop(int epoch, int bestEpoch) {}
}
