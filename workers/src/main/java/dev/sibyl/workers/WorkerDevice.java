package dev.sibyl.workers;

/**
 * The device a worker serves on: {@code cpu} or {@code gpu:N}. One worker per device; a machine with
 * several GPUs runs several workers.
 *
 * @param gpu the GPU index, or -1 for the CPU
 */
public record WorkerDevice(int gpu) {

  /** The CPU. */
  public static final WorkerDevice CPU = new WorkerDevice(-1);

  /**
   * Checks the index.
   *
   * @throws IllegalArgumentException when it is below -1
   */
  public WorkerDevice {
    if (gpu < -1) {
      throw new IllegalArgumentException("GPU index must be >= 0, got " + gpu);
    }
  }

  /**
   * Parses {@code cpu} or {@code gpu:N}.
   *
   * @param text the device; not null
   * @return the device
   * @throws IllegalArgumentException naming the text and the accepted forms
   */
  public static WorkerDevice parse(String text) {
    String t = text.trim();
    if (t.equals("cpu")) {
      return CPU;
    }
    if (t.startsWith("gpu:")) {
      try {
        int i = Integer.parseInt(t.substring(4));
        if (i >= 0) {
          return new WorkerDevice(i);
        }
      } catch (NumberFormatException e) {
        // falls through to the message below
      }
    }
    throw new IllegalArgumentException("device must be 'cpu' or 'gpu:N' (N >= 0), got '" + text + "'");
  }

  /** Whether this is a GPU. */
  public boolean isGpu() {
    return gpu >= 0;
  }

  @Override
  public String toString() {
    return isGpu() ? "gpu:" + gpu : "cpu";
  }
}
