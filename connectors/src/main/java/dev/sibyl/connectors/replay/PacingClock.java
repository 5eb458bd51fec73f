package dev.sibyl.connectors.replay;

/**
 * The time source and sleeper used to pace a replay. A seam for tests: the system clock in
 * production, a fake that advances on {@link #sleepNanos} in tests.
 */
public interface PacingClock {

  /** The system's monotonic clock and {@link Thread#sleep}. */
  PacingClock SYSTEM =
      new PacingClock() {
        @Override
        public long nanoTime() {
          return System.nanoTime();
        }

        @Override
        public void sleepNanos(long nanos) throws InterruptedException {
          Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
        }
      };

  /** A monotonic time in nanoseconds, as {@link System#nanoTime()}. */
  long nanoTime();

  /**
   * Sleeps for about this long.
   *
   * @param nanos at least 0
   * @throws InterruptedException when the thread is interrupted while sleeping
   */
  void sleepNanos(long nanos) throws InterruptedException;
}
