package dev.sibyl.models.train;

import java.util.Random;

/**
 * Shuffled batches of window indices, with the last partial batch dropped (as the reference train
 * loader does), and the gathering of a batch's windows from a split's rows.
 */
public final class Batches {

  private Batches() {}

  /**
   * A permutation of the window indices, cut into full batches.
   *
   * @param windows number of windows
   * @param batchSize windows per batch
   * @param random the shuffle's generator; not null
   * @return shape (batches, batchSize); at least one batch (a short one when windows &lt; batchSize)
   */
  public static int[][] shuffled(int windows, int batchSize, Random random) {
    int[] order = new int[windows];
    for (int i = 0; i < windows; i++) {
      order[i] = i;
    }
    for (int i = windows - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    int size = Math.min(batchSize, windows);
    int count = windows / size;
    int[][] batches = new int[count][size];
    for (int b = 0; b < count; b++) {
      System.arraycopy(order, b * size, batches[b], 0, size);
    }
    return batches;
  }

  /**
   * The rows of a split as one float array, row-major, for {@link #gather}.
   *
   * @param rows shape (rows, C); not empty
   * @return shape (rows * C)
   */
  public static float[] flatten(double[][] rows) {
    int c = rows[0].length;
    float[] out = new float[rows.length * c];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < c; j++) {
        out[i * c + j] = (float) rows[i][j];
      }
    }
    return out;
  }

  /**
   * One channel's values over consecutive rows of a split: the series a channel-independent
   * model sees.
   *
   * @param rows shape (rows, C)
   * @param channel the channel, in [0, C)
   * @param from the first row
   * @param length how many rows
   * @return shape (length)
   */
  public static double[] column(double[][] rows, int channel, int from, int length) {
    double[] out = new double[length];
    for (int k = 0; k < length; k++) {
      out[k] = rows[from + k][channel];
    }
    return out;
  }

  /**
   * Gathers windows into one row per (window, channel): inputs {@code [s, s + L)} and targets
   * {@code [s + L, s + L + H)} of each start s.
   *
   * @param rows flattened (rows, C), see {@link #flatten}
   * @param c C, the channels
   * @param starts window start rows; shape (B)
   * @param l L, the lookback
   * @param h H, the horizon
   * @return {x (B*C*L), y (B*C*H)}, row {@code b * C + ch}
   */
  public static float[][] gather(float[] rows, int c, int[] starts, int l, int h) {
    float[] x = new float[starts.length * c * l];
    float[] y = new float[starts.length * c * h];
    for (int b = 0; b < starts.length; b++) {
      int s = starts[b];
      for (int ch = 0; ch < c; ch++) {
        int r = b * c + ch;
        for (int t = 0; t < l; t++) {
          x[r * l + t] = rows[(s + t) * c + ch];
        }
        for (int t = 0; t < h; t++) {
          y[r * h + t] = rows[(s + l + t) * c + ch];
        }
      }
    }
    return new float[][] {x, y};
  }
}
