package dev.sibyl.workers;

/** The worker (or its batcher) is shutting down and will not run this request. */
public final class WorkerClosedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was closed
   */
  public WorkerClosedException(String message) {
    super(message);
  }
}
