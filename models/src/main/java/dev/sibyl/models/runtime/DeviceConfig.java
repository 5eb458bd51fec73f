package dev.sibyl.models.runtime;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where and how the DJL models run: the device and the PyTorch thread counts.
 *
 * <p>Every key is declared once here with its documentation and default (R1). The device is
 * configuration, never code: {@code "cpu"} or {@code "gpu:N"}; {@link ModelRuntime#device} falls
 * back to the CPU, with a logged warning, when GPU {@code N} is absent. The thread counts map to
 * DJL's documented system properties {@value #NUM_THREADS_PROPERTY} and {@value
 * #NUM_INTEROP_THREADS_PROPERTY}; they are applied only when the user set them, and only before the
 * engine starts.
 *
 * @param device the device spec, {@code "cpu"} or {@code "gpu:N"} with {@code N >= 0}; never null
 * @param numThreads PyTorch intra-op threads, or 0 to keep the engine's default
 * @param numInteropThreads PyTorch inter-op threads, or 0 to keep the engine's default
 */
public record DeviceConfig(String device, int numThreads, int numInteropThreads) {

  /** Key of the device spec. */
  public static final String DEVICE_CONFIG = "sibyl.runtime.device";

  /** Documentation of {@link #DEVICE_CONFIG}. */
  public static final String DEVICE_DOC =
      "Device the models run on: \"cpu\" or \"gpu:N\" (N >= 0). A missing GPU falls back to the"
          + " CPU with a warning.";

  /** Default of {@link #DEVICE_CONFIG}. */
  public static final String DEVICE_DEFAULT = "cpu";

  /** Key of the intra-op thread count. */
  public static final String NUM_THREADS_CONFIG = "sibyl.runtime.num.threads";

  /** Documentation of {@link #NUM_THREADS_CONFIG}. */
  public static final String NUM_THREADS_DOC =
      "PyTorch intra-op threads (sets ai.djl.pytorch.num_threads before the engine starts); 0"
          + " keeps the engine default.";

  /** Key of the inter-op thread count. */
  public static final String NUM_INTEROP_THREADS_CONFIG = "sibyl.runtime.num.interop.threads";

  /** Documentation of {@link #NUM_INTEROP_THREADS_CONFIG}. */
  public static final String NUM_INTEROP_THREADS_DOC =
      "PyTorch inter-op threads (sets ai.djl.pytorch.num_interop_threads before the engine"
          + " starts); 0 keeps the engine default.";

  /** DJL's documented system property for PyTorch intra-op threads. */
  public static final String NUM_THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

  /** DJL's documented system property for PyTorch inter-op threads. */
  public static final String NUM_INTEROP_THREADS_PROPERTY = "ai.djl.pytorch.num_interop_threads";

  private static final Pattern GPU = Pattern.compile("gpu:(\\d{1,4})");

  /**
   * Validates the values.
   *
   * @throws NullPointerException when {@code device} is null
   * @throws IllegalArgumentException when the device spec is malformed or a count is negative
   */
  public DeviceConfig {
    Objects.requireNonNull(device, DEVICE_CONFIG);
    gpuIndex(device);
    if (numThreads < 0) {
      throw new IllegalArgumentException(NUM_THREADS_CONFIG + " must be >= 0, got " + numThreads);
    }
    if (numInteropThreads < 0) {
      throw new IllegalArgumentException(
          NUM_INTEROP_THREADS_CONFIG + " must be >= 0, got " + numInteropThreads);
    }
  }

  /**
   * The CPU with the engine's default thread counts.
   *
   * @return the default configuration
   */
  public static DeviceConfig defaults() {
    return new DeviceConfig(DEVICE_DEFAULT, 0, 0);
  }

  /**
   * Reads the configuration from a map of string values; absent keys take their defaults.
   *
   * @param values the key/value pairs; never null, values may be any object whose {@code toString}
   *     is the value
   * @return the validated configuration
   * @throws IllegalArgumentException when a value is malformed or out of range
   */
  public static DeviceConfig fromMap(Map<String, ?> values) {
    Objects.requireNonNull(values, "values");
    Object device = values.get(DEVICE_CONFIG);
    return new DeviceConfig(
        device == null ? DEVICE_DEFAULT : device.toString().trim(),
        intValue(values, NUM_THREADS_CONFIG),
        intValue(values, NUM_INTEROP_THREADS_CONFIG));
  }

  /**
   * The GPU index of the spec.
   *
   * @return the index N of {@code "gpu:N"}, or -1 for {@code "cpu"}
   */
  public int gpuIndex() {
    return gpuIndex(device);
  }

  private static int gpuIndex(String spec) {
    if ("cpu".equals(spec)) {
      return -1;
    }
    Matcher m = GPU.matcher(spec);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          DEVICE_CONFIG + " must be \"cpu\" or \"gpu:N\" with N >= 0, got \"" + spec + "\"");
    }
    return Integer.parseInt(m.group(1));
  }

  private static int intValue(Map<String, ?> values, String key) {
    Object v = values.get(key);
    if (v == null) {
      return 0;
    }
    try {
      return Integer.parseInt(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer >= 0, got \"" + v + "\"", e);
    }
  }
}
