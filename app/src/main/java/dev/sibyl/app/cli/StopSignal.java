package dev.sibyl.app.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C (JVM shutdown) into a polite stop of a running command: a shutdown hook runs the
 * stop action, then waits (bounded) until the command has flushed and closed its clients and its
 * broker, which it signals with {@link #close()}. Open it first and close it last.
 */
final class StopSignal implements AutoCloseable {

  /** How long the shutdown hook waits for the command to finish cleaning up. */
  private static final long CLEANUP_WAIT_SECONDS = 20;

  private final CountDownLatch done = new CountDownLatch(1);
  private final Thread hook;
  private Runnable action;
  private boolean requested;

  private StopSignal() {
    this.hook =
        new Thread(
            () -> {
              requestStop();
              try {
                done.await(CLEANUP_WAIT_SECONDS, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "sibyl-shutdown");
  }

  /**
   * Registers the shutdown hook until {@link #close()}.
   *
   * @return the registration
   */
  static StopSignal install() {
    StopSignal signal = new StopSignal();
    Runtime.getRuntime().addShutdownHook(signal.hook);
    return signal;
  }

  /**
   * Registers the shutdown hook with its stop action until {@link #close()}. Declare it as the
   * first resource of a try-with-resources so that it closes last, after the clients and broker:
   * the JVM halts as soon as the hook returns.
   *
   * @param stopAction see {@link #onStop}
   * @return the registration
   */
  static StopSignal install(Runnable stopAction) {
    StopSignal signal = install();
    signal.onStop(stopAction);
    return signal;
  }

  /**
   * Sets what a stop request does; runs it at once when a stop was already requested (e.g. Ctrl-C
   * while the broker was starting).
   *
   * @param stopAction thread-safe and quick, e.g. {@code replay::stop} or {@code consumer::wakeup}
   */
  void onStop(Runnable stopAction) {
    boolean runNow;
    synchronized (this) {
      action = stopAction;
      runNow = requested;
    }
    if (runNow) {
      stopAction.run();
    }
  }

  /** Whether a stop was requested. */
  synchronized boolean requested() {
    return requested;
  }

  private void requestStop() {
    Runnable toRun;
    synchronized (this) {
      requested = true;
      toRun = action;
    }
    if (toRun != null) {
      toRun.run();
    }
  }

  /** Marks the command finished and removes the hook (unless the JVM is already shutting down). */
  @Override
  public void close() {
    done.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook is running and has just been released by done.
    }
  }
}
