package dev.sibyl.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.artifact.Weights;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The training loop of the families that train a head around a frozen backbone (AutoTimes,
 * SMETimes, Time-LLM): Adam on the trainable parameters; each epoch takes every {@code stride}-th
 * training window from a fresh random offset, shuffled into batches; a batch whose loss or
 * gradients are not finite is dropped rather than stepped (one bad batch must not poison Adam's
 * moments); after every epoch the validation decides early stopping and the best checkpoint is
 * kept. What a batch computes, the learning rate and the validation are the family's.
 *
 * <p>The shuffling draws from {@code Random(seed + 1)}: an epoch's offset, then its batches, so a
 * seed reproduces a run.
 */
public final class EpochLoop {

  /** One batch: forward and backward over the training windows starting at {@code starts}. */
  @FunctionalInterface
  public interface BatchStep {
    /**
     * Runs the batch and leaves the gradients on the parameters.
     *
     * @param starts the first training row of each window of the batch
     * @return the batch's loss as reported (a value that is not finite drops the step)
     */
    double run(int[] starts);
  }

  /** The learning rate of one optimiser step. */
  @FunctionalInterface
  public interface Schedule {
    /**
     * The rate.
     *
     * @param epoch 1-based
     * @param step 0-based over the whole run
     * @param steps the run's step count if no epoch stops early (the last epoch's offset may change
     *     it by one batch)
     * @return the learning rate
     */
    double learningRate(int epoch, int step, int steps);
  }

  /** The validation after an epoch: MSE first (it decides), then MAE. */
  @FunctionalInterface
  public interface Validation {
    /**
     * Validates the current weights, without gradients.
     *
     * @return {mse, mae}
     */
    double[] mseMae();
  }

  /**
   * What the loop gives back.
   *
   * @param best the weights of the best epoch
   * @param stopping the early-stopping state (best validation MSE and epoch)
   * @param bestMae the validation MAE of the best epoch
   * @param epochsRun the epochs run, early stopping included
   */
  public record Fit(Map<String, Weights.Tensor> best, EarlyStopping stopping, double bestMae, int epochsRun) {}

  private EpochLoop() {}

  /**
   * Trains.
   *
   * @param family the family's name, for the error when nothing was ever finite
   * @param manager the manager of the parameters (Adam keeps its moments there)
   * @param parameters the trainable parameters; they are made to require gradients
   * @param weights a snapshot of the current weights, taken at every improvement
   * @param windows the training windows available (window i starts at row i)
   * @param stride every how many windows an epoch takes, at least 1
   * @param options epochs, batch size, patience, seed
   * @param schedule the learning rate
   * @param step one batch
   * @param validation the validation after each epoch
   * @param listener progress
   * @return the best weights and how the run ended
   * @throws IllegalStateException when the validation loss was never finite (the run diverged)
   */
  public static Fit run(
      String family,
      NDManager manager,
      List<NDArray> parameters,
      Supplier<Map<String, Weights.Tensor>> weights,
      int windows,
      int stride,
      TrainingOptions options,
      Schedule schedule,
      BatchStep step,
      Validation validation,
      TrainingListener listener) {
    Objects.requireNonNull(step, "step");
    for (NDArray p : parameters) {
      p.setRequiresGradient(true);
    }
    Adam adam = new Adam(manager, parameters);
    Random shuffle = new Random(options.seed() + 1);
    EarlyStopping stopping = new EarlyStopping(options.patience());
    Map<String, Weights.Tensor> best = null;
    double bestMae = Double.NaN;
    int epochsRun = 0;
    int steps = options.epochs() * ((windows / stride + options.batchSize() - 1) / options.batchSize());
    int stepIndex = 0;
    for (int epoch = 1; epoch <= options.epochs(); epoch++) {
      epochsRun = epoch;
      // 1. This epoch's windows: every stride-th from a random offset, shuffled into batches
      int offset = shuffle.nextInt(stride);
      int count = (windows - offset + stride - 1) / stride;
      int[][] batches = Batches.shuffled(count, options.batchSize(), shuffle);
      listener.onEpochStart(epoch, options.epochs(), batches.length);
      double lossSum = 0;
      int stepped = 0;
      for (int b = 0; b < batches.length; b++) {
        int[] starts = new int[batches[b].length];
        for (int i = 0; i < starts.length; i++) {
          starts[i] = offset + batches[b][i] * stride;
        }
        double loss = step.run(starts);
        double lr = schedule.learningRate(epoch, stepIndex++, steps);
        if (adam.stepIfFinite(lr, loss)) {
          lossSum += loss;
          stepped++;
        }
        listener.onBatch(epoch, b + 1, batches.length, loss);
      }
      // 2. Validate; keep the best checkpoint
      double[] val = validation.mseMae();
      boolean improved = stopping.update(epoch, val[0]);
      if (improved) {
        best = weights.get();
        bestMae = val[1];
      }
      listener.onEpochEnd(epoch, lossSum / Math.max(1, stepped), val[0], improved);
      if (stopping.shouldStop()) {
        listener.onEarlyStop(epoch, stopping.bestEpoch());
        break;
      }
    }
    if (best == null) {
      throw new IllegalStateException(
          family + " validation loss was never finite (diverged); lower the learning rate");
    }
    return new Fit(best, stopping, bestMae, epochsRun);
  }
}
