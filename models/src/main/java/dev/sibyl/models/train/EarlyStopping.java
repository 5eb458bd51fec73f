package dev.sibyl.models.train;

/**
 * Early stopping on the validation loss (the reference code's {@code EarlyStopping}): an epoch is
 * an improvement when its loss is below the best so far; training stops after {@code patience}
 * epochs in a row without one. The caller keeps the weights of the best epoch.
 */
public final class EarlyStopping {

  private final int patience;
  private double best = Double.POSITIVE_INFINITY;
  private int bestEpoch;
  private int bad;

  /**
   * Creates the rule.
   *
   * @param patience epochs without improvement before stopping, at least 1
   * @throws IllegalArgumentException when patience is below 1
   */
  public EarlyStopping(int patience) {
    if (patience < 1) {
      throw new IllegalArgumentException("patience must be >= 1, got " + patience);
    }
    this.patience = patience;
  }

  /**
   * Records an epoch's validation loss.
   *
   * @param epoch 1-based
   * @param loss the validation loss
   * @return true when this epoch is the best so far (keep its weights)
   */
  public boolean update(int epoch, double loss) {
    if (loss < best) {
      best = loss;
      bestEpoch = epoch;
      bad = 0;
      return true;
    }
    bad++;
    return false;
  }

  /** Whether training should stop. */
  public boolean shouldStop() {
    return bad >= patience;
  }

  /** The best loss so far. */
  public double best() {
    return best;
  }

  /** The epoch of the best loss, 0 before the first. */
  public int bestEpoch() {
    return bestEpoch;
  }

  /**
   * The DLinear / Autoformer "type1" schedule: the learning rate halves after every epoch from the
   * second on ({@code adjust_learning_rate(optimizer, epoch + 1, args)} after each epoch), so epoch
   * e (1-based) uses {@code lr * 0.5^max(0, e - 2)}.
   *
   * @param initial the configured learning rate
   * @param epoch 1-based
   * @return the learning rate of that epoch
   */
  public static double type1(double initial, int epoch) {
    return initial * Math.pow(0.5, Math.max(0, epoch - 2));
  }
}
