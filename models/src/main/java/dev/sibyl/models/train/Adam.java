package dev.sibyl.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma &amp; Ba, ICLR 2015) with PyTorch's defaults (beta1 0.9, beta2 0.999, eps 1e-8,
 * bias correction, no weight decay), updating parameters in place.
 *
 * <p>Written here rather than taken from DJL's {@code Optimizer} because the training loops work on
 * raw NDArrays (no {@code Block}/{@code Trainer}) and the learning rate changes per epoch. Call
 * {@link #step} outside the gradient collector; it zeroes each gradient after use (PyTorch
 * accumulates them). Temporaries are closed by an {@link NDScope}.
 */
public final class Adam {

  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPS = 1e-8f;

  private final List<NDArray> parameters;
  private final List<NDArray> m = new ArrayList<>(); // first moments; shapes as the parameters
  private final List<NDArray> v = new ArrayList<>(); // second moments
  private int t;

  /**
   * Creates the optimiser state.
   *
   * @param manager owns the moment arrays (closed with it); not null
   * @param parameters arrays with gradients attached; not null
   */
  public Adam(NDManager manager, List<NDArray> parameters) {
    this.parameters = List.copyOf(parameters);
    for (NDArray p : parameters) {
      m.add(manager.zeros(p.getShape(), p.getDataType()));
      v.add(manager.zeros(p.getShape(), p.getDataType()));
    }
  }

  /**
   * One update as {@link #step}, unless the batch's loss or any gradient is not finite: then the
   * gradients are zeroed and nothing else changes, so that one bad batch (a spike of a frozen LLM's
   * activations, say) cannot poison the moments and, through them, every later step.
   *
   * @param learningRate this step's learning rate
   * @param loss the batch's loss
   * @return whether the update was made
   */
  public boolean stepIfFinite(double learningRate, double loss) {
    boolean finite = Double.isFinite(loss);
    try (NDScope scope = new NDScope()) {
      for (int i = 0; finite && i < parameters.size(); i++) {
        NDArray g = parameters.get(i).getGradient();
        finite = !g.isNaN().logicalOr(g.isInfinite()).any().getBoolean();
      }
      if (!finite) {
        for (NDArray p : parameters) {
          // g - g and 0 * g keep a NaN: overwrite, in the gradient's own memory (set(float[])
          // would point the gradient at a Java buffer freed once g is closed, and the next
          // backward pass would accumulate into freed memory)
          NDArray g = p.getGradient();
          g.set(new NDIndex(":"), 0f);
        }
        return false;
      }
    }
    step(learningRate);
    return true;
  }

  /**
   * One update with the gradients of the last backward pass, then zeroes them.
   *
   * @param learningRate this step's learning rate
   */
  public void step(double learningRate) {
    t++;
    double bc1 = 1 - Math.pow(BETA1, t);
    double bc2 = 1 - Math.pow(BETA2, t);
    try (NDScope scope = new NDScope()) {
      for (int i = 0; i < parameters.size(); i++) {
        NDArray p = parameters.get(i);
        NDArray g = p.getGradient();
        // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
        m.get(i).muli(BETA1).addi(g.mul(1 - BETA1));
        v.get(i).muli(BETA2).addi(g.square().muli(1 - BETA2));
        // p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
        NDArray denom = v.get(i).div(bc2).sqrt().addi(EPS);
        p.subi(m.get(i).div(bc1).muli(learningRate).divi(denom));
        // PyTorch accumulates gradients: zero them for the next batch
        g.subi(g);
      }
    }
  }
}
