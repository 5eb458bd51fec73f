package dev.sibyl.workers;

/** A model's request queue is full: the caller should back off or go to another worker. */
public final class QueueFullException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param model the model whose queue is full
   * @param capacity the queue's bound
   */
  public QueueFullException(String model, int capacity) {
    super("queue of model '" + model + "' is full (" + capacity + " requests waiting)", null, false, false);
  }
}
