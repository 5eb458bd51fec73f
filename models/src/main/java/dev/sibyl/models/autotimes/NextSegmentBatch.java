package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.norm.RevIn;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.train.Batches;

/**
 * A training batch of the segment-token families (AutoTimes, SMETimes): every channel of every
 * window a row, its context of L points and, as the target, the L points one segment later (the
 * next segment after each token, row-major (N, T, S)).
 *
 * @param context the rows' contexts, raw until {@link #standardise} (N rows of L)
 * @param target the segment after every token, on the data's scale, (N, T, S) flattened
 */
public record NextSegmentBatch(double[][] context, float[] target) {

  /**
   * The model's input after the per-row standardisation (RevIn): the tokens' points and each row's
   * mean and standard deviation, to put the output back on the data's scale.
   *
   * @param tokens the standardised contexts, (N, L) flattened
   * @param mean each row's mean
   * @param std each row's standard deviation
   */
  public record Standardised(float[] tokens, float[] mean, float[] std) {}

  /**
   * What the loss needs beside the model's output, as arrays libtorch owns.
   *
   * @param target the segment after every token, data's scale; shape (N, T, S)
   * @param mean each row's mean; shape (N, 1, 1)
   * @param std each row's standard deviation; shape (N, 1, 1)
   */
  public record LossArrays(NDArray target, NDArray mean, NDArray std) {}

  /**
   * Cuts the batch's rows from the training split.
   *
   * @param train the training split, rows of every channel
   * @param starts the first row of each window
   * @param channels C, the channels per window
   * @param lookback L
   * @param segment S
   * @return the batch, N = starts.length * C rows
   */
  public static NextSegmentBatch of(double[][] train, int[] starts, int channels, int lookback, int segment) {
    int n = starts.length * channels;
    double[][] x = new double[n][];
    float[] y = new float[n * lookback];
    for (int i = 0; i < starts.length; i++) {
      for (int ch = 0; ch < channels; ch++) {
        x[i * channels + ch] = Batches.column(train, ch, starts[i], lookback);
        double[] next = Batches.column(train, ch, starts[i] + segment, lookback);
        for (int k = 0; k < lookback; k++) {
          y[(i * channels + ch) * lookback + k] = (float) next[k];
        }
      }
    }
    return new NextSegmentBatch(x, y);
  }

  /** N, the rows. */
  public int rows() {
    return context.length;
  }

  /**
   * Standardises every context row in place (RevIn) and gives the model's input; anything computed
   * from the raw values (a prompt's statistics) must come before.
   *
   * @return the tokens and the rows' statistics
   */
  public Standardised standardise() {
    int n = context.length;
    int l = n == 0 ? 0 : context[0].length;
    RevIn revIn = RevIn.normalise(context);
    float[] tokens = new float[n * l];
    float[] mean = new float[n];
    float[] std = new float[n];
    for (int r = 0; r < n; r++) {
      mean[r] = (float) revIn.mean(r);
      std[r] = (float) revIn.std(r);
      for (int k = 0; k < l; k++) {
        tokens[r * l + k] = (float) context[r][k];
      }
    }
    return new Standardised(tokens, mean, std);
  }

  /**
   * The target and the rows' statistics in {@code manager}, to put a standardised output back on the
   * data's scale and score it.
   *
   * @param manager the manager of the batch's arrays (closed with its scope)
   * @param in this batch's {@link #standardise} result
   * @param segment S
   * @return the three arrays
   */
  public LossArrays lossArrays(NDManager manager, Standardised in, int segment) {
    int n = rows();
    int t = n == 0 ? 0 : target.length / n / segment;
    return new LossArrays(
        ModelRuntime.owned(manager, target, new Shape(n, t, segment)),
        ModelRuntime.owned(manager, in.mean(), new Shape(n, 1, 1)),
        ModelRuntime.owned(manager, in.std(), new Shape(n, 1, 1)));
  }
}
