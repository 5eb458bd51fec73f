package dev.sibyl.models.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DJL engine as the models see it: device choice with CPU fallback, thread counts, and the
 * random seed.
 *
 * <p>Named {@code ModelRuntime} rather than {@code Runtime} to stay clear of {@link
 * java.lang.Runtime}. Its one piece of state is the device {@link #start} chose, process-wide like
 * the engine itself; every method may be called from any thread.
 */
public final class ModelRuntime {

  private static final Logger LOG = LoggerFactory.getLogger(ModelRuntime.class);

  /** The device {@link #start} resolved, or null before the first start. */
  private static volatile Device modelDevice;

  private ModelRuntime() {}

  /**
   * Applies the configured thread counts as DJL system properties, then starts the engine.
   *
   * <p>A count of 0 leaves the property alone, so a value the user set with {@code -D} stays. The
   * properties only take effect before the engine's first start in this JVM; a later call logs a
   * warning when a count would change.
   *
   * @param config the configuration; never null
   * @return the device the models should use (see {@link #device})
   */
  public static Device start(DeviceConfig config) {
    Objects.requireNonNull(config, "config");
    applyThreads(DeviceConfig.NUM_THREADS_PROPERTY, config.numThreads());
    applyThreads(DeviceConfig.NUM_INTEROP_THREADS_PROPERTY, config.numInteropThreads());
    Device device = device(config);
    modelDevice = device;
    return device;
  }

  /**
   * The device models load onto and run on: the one the last {@link #start} resolved, or, before
   * any start, the engine's default (its first GPU where it sees one, else the CPU). A worker
   * started with {@code --device cpu} on a GPU machine thus keeps its models on the CPU.
   *
   * @return the device; never null
   */
  public static Device modelDevice() {
    Device device = modelDevice;
    return device != null ? device : Engine.getInstance().defaultDevice();
  }

  /**
   * Resolves the configured device: {@code "gpu:N"} becomes {@link Device#gpu(int)} when the engine
   * sees more than N GPUs, and otherwise the CPU with a logged warning.
   *
   * @param config the configuration; never null
   * @return the device; never null
   */
  public static Device device(DeviceConfig config) {
    Objects.requireNonNull(config, "config");
    int gpu = config.gpuIndex();
    if (gpu < 0) {
      return Device.cpu();
    }
    int gpus = Engine.getInstance().getGpuCount();
    if (gpu >= gpus) {
      LOG.warn(
          "{}={} but the engine {} sees {} GPU(s); falling back to the CPU",
          DeviceConfig.DEVICE_CONFIG,
          config.device(),
          Engine.getInstance().getEngineName(),
          gpus);
      return Device.cpu();
    }
    return Device.gpu(gpu);
  }

  /**
   * Seeds the engine's random generator (parameter initialisation, dropout) for reproducible
   * training.
   *
   * @param seed the seed
   */
  public static void setSeed(int seed) {
    Engine.getInstance().setRandomSeed(seed);
  }

  /**
   * An array holding a copy of {@code data} in memory libtorch allocated and owns. Every input,
   * parameter and constant the models make from Java data goes through here rather than {@link
   * NDManager#create(float[], Shape)}: on the CPU DJL 0.36 wraps a direct buffer without copying
   * ({@code torch::from_blob}) and the NDArray keeps that buffer alive only until it is closed, so
   * a view, a reshape, or a tensor autograd saved for the backward pass that outlives the NDArray
   * reads (or writes) memory the JVM has freed. The copy costs one memcpy per array.
   *
   * @param manager the manager the array joins; not null
   * @param data the values, row-major; not null
   * @param shape their shape; its size must equal {@code data.length}
   * @return the array, in {@code manager}
   * @throws IllegalArgumentException when the shape's size differs from the data's length
   */
  public static NDArray owned(NDManager manager, float[] data, Shape shape) {
    checkSize(data.length, shape);
    NDArray wrapped = manager.create(data, shape);
    return ownedCopy(wrapped);
  }

  /**
   * As {@link #owned(NDManager, float[], Shape)}, for integer data (token ids, row indices).
   *
   * @param manager the manager the array joins; not null
   * @param data the values, row-major; not null
   * @param shape their shape; its size must equal {@code data.length}
   * @return the array, INT32, in {@code manager}
   * @throws IllegalArgumentException when the shape's size differs from the data's length
   */
  public static NDArray owned(NDManager manager, int[] data, Shape shape) {
    checkSize(data.length, shape);
    NDArray wrapped = manager.create(data, shape);
    return ownedCopy(wrapped);
  }

  /**
   * A 0-dimensional array libtorch owns, for a constant that multiplies or divides an array on the
   * autograd path. Why not {@code x.mul(2f)}: DJL makes the scalar of {@code NDArray.mul(Number)}
   * (and {@code div}, {@code pow}) from a Java buffer and closes it as soon as the product is made,
   * but autograd saves it for the backward pass, which then reads freed memory (measured: the
   * gradient of {@code sum(3 x)} read -3.8e-23 instead of 3 once the buffer was collected).
   * Adding or subtracting a number is safe: autograd does not save the addend.
   *
   * @param manager the manager the array joins; not null
   * @param value the constant
   * @return the array, shape ()
   */
  public static NDArray scalar(NDManager manager, float value) {
    return owned(manager, new float[] {value}, new Shape());
  }

  private static void checkSize(int length, Shape shape) {
    if (shape.size() != length) {
      throw new IllegalArgumentException(
          "shape " + shape + " holds " + shape.size() + " values, got " + length);
    }
  }

  /** The wrapped buffer's copy in libtorch's memory; the wrapper is closed. */
  private static NDArray ownedCopy(NDArray wrapped) {
    if (wrapped.getDevice().isGpu()) {
      // the engine already copied the buffer to the device
      return wrapped;
    }
    try (wrapped) {
      return wrapped.duplicate();
    }
  }

  private static void applyThreads(String property, int count) {
    if (count == 0) {
      return;
    }
    String value = Integer.toString(count);
    String previous = System.getProperty(property);
    if (previous != null && !previous.equals(value)) {
      LOG.warn(
          "{} was {} and is now {}; it only takes effect if the engine has not started yet",
          property,
          previous,
          value);
    }
    System.setProperty(property, value);
  }
}
