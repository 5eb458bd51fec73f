package dev.sibyl.workers;

/**
 * Why an {@link InferenceClient} could not answer. {@link #fallBack()} tells the caller whether a
 * cheap local model should stand in (the pool is down or overloaded) or whether the request itself
 * is wrong (a fallback would hide a bug).
 */
public final class InferenceException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The kind of failure. */
  public enum Reason {
    /** No worker serves that model (NOT_FOUND). */
    UNKNOWN_MODEL,
    /** Bad shape, datatype or horizon (INVALID_ARGUMENT). */
    BAD_REQUEST,
    /** Every worker tried had a full queue (RESOURCE_EXHAUSTED), after retries. */
    OVERLOADED,
    /** No worker answered: down, unreachable, circuits open or deadlines passed. */
    UNAVAILABLE,
    /** The model or the worker failed (INTERNAL and anything else). */
    FAILED
  }

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param reason the kind of failure; not null
   * @param message what happened, naming the model and the worker where known
   * @param cause the underlying error, or null
   */
  public InferenceException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** The kind of failure. */
  public Reason reason() {
    return reason;
  }

  /** Whether a local fallback model should answer instead: the pool, not the request, failed. */
  public boolean fallBack() {
    return reason == Reason.UNAVAILABLE || reason == Reason.OVERLOADED;
  }
}
