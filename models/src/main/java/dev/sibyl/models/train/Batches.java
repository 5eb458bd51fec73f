package dev.sibyl.models.train;

import java.util.Random;

/** Shuffled batches of window indices, with the last partial batch dropped (as the reference train loader does). */
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
}
