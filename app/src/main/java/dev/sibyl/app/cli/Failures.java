package dev.sibyl.app.cli;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns exceptions into the one-line messages the command line prints. */
public final class Failures {

  private Failures() {}

  /**
   * One line describing a failure: its message (wrappers such as {@link ExecutionException}
   * skipped), with its cause's message appended when that adds information.
   *
   * @param failure any throwable; null gives {@code "unknown failure"}
   * @return a single line, never null
   */
  public static String describe(Throwable failure) {
    if (failure == null) {
      return "unknown failure";
    }
    Throwable t = failure;
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    String message =
        t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : t.getMessage();
    Throwable cause = t.getCause();
    if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
      message = message + ": " + cause.getMessage();
    }
    return oneLine(message);
  }

  /**
   * @param text any text; null gives the empty string
   * @return the text with line breaks (and the blanks around them) folded into single spaces
   */
  public static String oneLine(String text) {
    return text == null ? "" : text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }
}
