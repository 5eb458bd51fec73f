package dev.sibyl.models.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.testing.FreedBuffers;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Device configuration, CPU fallback and seeding. */
class ModelRuntimeTest {

  @Test
  void emptyMapGivesTheDefaults() {
    DeviceConfig c = DeviceConfig.fromMap(Map.of());
    assertThat(c).isEqualTo(DeviceConfig.defaults());
    assertThat(c.device()).isEqualTo("cpu");
    assertThat(c.numThreads()).isZero();
    assertThat(c.numInteropThreads()).isZero();
    assertThat(c.gpuIndex()).isEqualTo(-1);
  }

  @Test
  void parsesGpuSpecsAndCounts() {
    DeviceConfig c =
        DeviceConfig.fromMap(
            Map.of(
                DeviceConfig.DEVICE_CONFIG, "gpu:1",
                DeviceConfig.NUM_THREADS_CONFIG, "4",
                DeviceConfig.NUM_INTEROP_THREADS_CONFIG, 1));
    assertThat(c).isEqualTo(new DeviceConfig("gpu:1", 4, 1));
    assertThat(c.gpuIndex()).isEqualTo(1);
  }

  @Test
  void rejectsMalformedValues() {
    assertThatThrownBy(() -> DeviceConfig.fromMap(Map.of(DeviceConfig.DEVICE_CONFIG, "cuda")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "sibyl.runtime.device must be \"cpu\" or \"gpu:N\" with N >= 0, got \"cuda\"");
    assertThatThrownBy(() -> DeviceConfig.fromMap(Map.of(DeviceConfig.NUM_THREADS_CONFIG, "x")))
        .hasMessageContaining("sibyl.runtime.num.threads must be an integer >= 0, got \"x\"");
    assertThatThrownBy(() -> new DeviceConfig("cpu", 0, -1))
        .hasMessageContaining("sibyl.runtime.num.interop.threads must be >= 0, got -1");
  }

  @Test
  void modelsRunOnTheDeviceTheLastStartResolved() {
    int gpus = Engine.getInstance().getGpuCount();
    assertThat(ModelRuntime.start(new DeviceConfig("gpu:" + gpus, 0, 0))).isEqualTo(Device.cpu());
    assertThat(ModelRuntime.modelDevice()).isEqualTo(Device.cpu());
    if (gpus > 0) {
      assertThat(ModelRuntime.start(new DeviceConfig("gpu:0", 0, 0))).isEqualTo(Device.gpu(0));
      assertThat(ModelRuntime.modelDevice()).isEqualTo(Device.gpu(0));
    }
    ModelRuntime.start(DeviceConfig.defaults());
    assertThat(ModelRuntime.modelDevice()).isEqualTo(Device.cpu());
  }

  @Test
  void missingGpuFallsBackToTheCpu() {
    int gpus = Engine.getInstance().getGpuCount();
    Device device = ModelRuntime.device(new DeviceConfig("gpu:" + gpus, 0, 0));
    assertThat(device).isEqualTo(Device.cpu());
    assertThat(ModelRuntime.device(DeviceConfig.defaults())).isEqualTo(Device.cpu());
    if (gpus > 0) {
      assertThat(ModelRuntime.device(new DeviceConfig("gpu:0", 0, 0))).isEqualTo(Device.gpu(0));
    }
  }

  @Test
  void seedsTheEngine() {
    ModelRuntime.setSeed(1234);
    assertThat(Engine.getInstance().getSeed()).isEqualTo(1234);
  }

  /**
   * A view that outlives the array it was taken from (a reshape, a slice, or a tensor autograd
   * saved) keeps reading the array's values after the array is closed and the JVM has freed and
   * reused every buffer it could.
   */
  @Test
  void ownedArraysOutliveTheirNdArrayInViews() throws InterruptedException {
    int n = 4096;
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = i;
    }
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      long before = FreedBuffers.directMemoryUsed();
      NDArray array = ModelRuntime.owned(manager, data, new Shape(n));
      NDArray view = array.reshape(n / 4, 4);
      NDArray slice = array.get("10:20");
      array.close();
      List<ByteBuffer> reused = FreedBuffers.reclaimAndReuse(before + n * Float.BYTES, n * Float.BYTES);

      assertThat(view.toFloatArray()).containsExactly(data);
      assertThat(slice.toFloatArray()).containsExactly(10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
      assertThat(reused).isNotEmpty();
    }
  }

  @Test
  void ownedRejectsAShapeOfAnotherSize() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      assertThatThrownBy(() -> ModelRuntime.owned(manager, new float[6], new Shape(2, 4)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("shape (2, 4) holds 8 values, got 6");
      assertThat(ModelRuntime.owned(manager, new int[] {3, 4}, new Shape(2)).toIntArray())
          .containsExactly(3, 4);
    }
  }
}
