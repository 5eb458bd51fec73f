package dev.sibyl.schemas.serde;

import org.apache.kafka.common.KafkaException;

/**
 * A schema registry request failed: the registry could not be reached, or it answered with an
 * error. The message names the request (method and URL, without credentials), the HTTP status and
 * the registry's own error code and message.
 *
 * <p>This is deliberately not a {@link org.apache.kafka.common.errors.SerializationException}: a
 * registry that is down or refuses our credentials says nothing about the record at hand, so a
 * stream's dead-letter policy should not swallow it. The serdes turn the record-specific cases
 * (an unknown schema id) into {@code SerializationException}s themselves.
 */
public final class SchemaRegistryException extends KafkaException {

  private static final long serialVersionUID = 1L;

  /** Status used when no HTTP answer was received (connection refused, timeout, TLS failure). */
  public static final int NO_STATUS = -1;

  /** Error code used when the registry's answer carried none. */
  public static final int NO_ERROR_CODE = -1;

  private final int httpStatus;
  private final int errorCode;

  /**
   * @param message the full message; never null
   * @param httpStatus the HTTP status, or {@link #NO_STATUS}
   * @param errorCode the registry's {@code error_code}, or {@link #NO_ERROR_CODE}
   * @param cause the underlying failure; may be null
   */
  SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  /**
   * The HTTP status of the registry's answer.
   *
   * @return the status, or {@link #NO_STATUS} when no answer was received
   */
  public int httpStatus() {
    return httpStatus;
  }

  /**
   * The registry's error code, e.g. 40403 (schema not found) or 40401 (subject not found).
   *
   * @return the code, or {@link #NO_ERROR_CODE} when the answer carried none
   */
  public int errorCode() {
    return errorCode;
  }

  /**
   * Whether the registry answered 404: the schema id, subject or schema does not exist there.
   *
   * @return true for HTTP 404
   */
  public boolean isNotFound() {
    return httpStatus == 404;
  }
}
