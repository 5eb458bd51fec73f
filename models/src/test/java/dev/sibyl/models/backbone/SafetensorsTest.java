package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader on files written by {@link SafetensorsWriter}. */
class SafetensorsTest {

  @TempDir Path tmp;

  private static Map<String, SafetensorsWriter.Tensor> tensors() {
    Map<String, SafetensorsWriter.Tensor> t = new LinkedHashMap<>();
    t.put("a", new SafetensorsWriter.Tensor(new long[] {2, 3}, new float[] {1, -2, 0.5f, 3.25f, -0.125f, 65504f}));
    t.put("b.bias", new SafetensorsWriter.Tensor(new long[] {4}, new float[] {0, 1e-3f, -7f, 1024f}));
    return t;
  }

  @Test
  void readsF32Bf16AndF16() throws IOException {
    for (String dtype : new String[] {"F32", "BF16", "F16"}) {
      Path file = tmp.resolve(dtype + ".safetensors");
      SafetensorsWriter.write(file, tensors(), dtype);
      Safetensors st = Safetensors.open(file);
      assertThat(st.names()).containsExactly("a", "b.bias");
      assertThat(st.shape("a")).containsExactly(2, 3);
      assertThat(st.dtype("a")).isEqualTo(dtype);
      float[] a = st.readFloats("a");
      float[] b = st.readFloats("b.bias");
      float[] ea = tensors().get("a").values();
      float[] eb = tensors().get("b.bias").values();
      for (int i = 0; i < ea.length; i++) {
        float expected = dtype.equals("BF16") ? SafetensorsWriter.bf16(ea[i]) : ea[i];
        assertThat(a[i]).as(dtype + " a[" + i + "]").isEqualTo(expected);
      }
      assertThat(b[0]).isEqualTo(0f);
      assertThat(b[1]).isCloseTo(1e-3f, org.assertj.core.data.Offset.offset(1e-5f));
      assertThat(b[2]).isEqualTo(-7f);
      assertThat(b[3]).isEqualTo(1024f);
    }
  }

  @Test
  void readsInSmallChunksExactlyAsAtOnce() throws IOException {
    for (String dtype : new String[] {"F32", "BF16", "F16"}) {
      Path file = tmp.resolve("chunks-" + dtype + ".safetensors");
      SafetensorsWriter.write(file, tensors(), dtype);
      Safetensors st = Safetensors.open(file);
      assertThat(st.readFloats("a", 4)).containsExactly(st.readFloats("a"));
      assertThat(st.readFloats("b.bias", 8)).containsExactly(st.readFloats("b.bias"));
    }
  }

  @Test
  void readsATensorStoredPastTwoGibibytes() throws IOException {
    // a sparse file: a 2.25 GiB U8 tensor (never read), then a small F32 tensor after it
    long pad = (1L << 31) + (1L << 28);
    String header =
        "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + pad + "],\"data_offsets\":[0," + pad + "]},"
            + "\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[" + pad + "," + (pad + 12) + "]}}";
    byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path file = tmp.resolve("big.safetensors");
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      head.putLong(json.length);
      raf.write(head.array());
      raf.write(json);
      long dataStart = 8 + json.length;
      raf.setLength(dataStart + pad + 12);
      raf.seek(dataStart + pad);
      java.nio.ByteBuffer x = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      x.putFloat(1.5f).putFloat(-2f).putFloat(3f);
      raf.write(x.array());
    }
    Safetensors st = Safetensors.open(file);
    assertThat(st.readFloats("x")).containsExactly(1.5f, -2f, 3f);
    assertThatThrownBy(() -> st.readFloats("pad"))
        .hasMessageContaining("dtype U8 is not supported (F32, F16, BF16 are)");
  }

  @Test
  void halfConversionCoversSubnormalsAndSpecials() {
    assertThat(Safetensors.halfToFloat(0x3C00)).isEqualTo(1f);
    assertThat(Safetensors.halfToFloat(0xC000)).isEqualTo(-2f);
    assertThat(Safetensors.halfToFloat(0x0001)).isEqualTo(0x1p-24f);
    assertThat(Safetensors.halfToFloat(0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Safetensors.halfToFloat(0x7E00)).isNaN();
    assertThat(Safetensors.halfToFloat(0x8000)).isEqualTo(-0f);
  }

  @Test
  void readsShardsThroughTheIndex() throws IOException {
    SafetensorsWriter.writeCheckpoint(tmp, Map.of("model_type", "x"), tensors(), "F32", 2);
    Safetensors st = Safetensors.open(tmp);
    assertThat(st.names()).containsExactlyInAnyOrder("a", "b.bias");
    assertThat(st.readFloats("b.bias")).containsExactly(0, 1e-3f, -7f, 1024f);
  }

  @Test
  void rejectsMalformedFiles() throws IOException {
    Path bad = tmp.resolve("bad.safetensors");
    Files.write(bad, new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
    assertThatThrownBy(() -> Safetensors.open(bad))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("header length 255 is out of range");
    assertThatThrownBy(() -> Safetensors.open(tmp.resolve("none")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("neither a .safetensors file nor a directory");
    Path file = tmp.resolve("ok.safetensors");
    SafetensorsWriter.write(file, tensors(), "F32");
    assertThatThrownBy(() -> Safetensors.open(file).readFloats("c"))
        .hasMessageContaining("tensor c is not in the checkpoint");
  }
}
