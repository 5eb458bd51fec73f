package dev.sibyl.models.backbone;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only safetensors writer (F32, BF16, F16), and helpers that write Hugging Face checkpoint
 * directories: {@code config.json}, one file or shards with {@code model.safetensors.index.json}.
 */
final class SafetensorsWriter {

  static final ObjectMapper JSON = new ObjectMapper();

  /** One tensor to write. */
  record Tensor(long[] shape, float[] values) {}

  private SafetensorsWriter() {}

  /** Writes {@code tensors} (in map order) to {@code file} in {@code dtype}. */
  static void write(Path file, Map<String, Tensor> tensors, String dtype) throws IOException {
    int width = dtype.equals("F32") ? 4 : 2;
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", dtype);
      ArrayNode shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long bytes = (long) e.getValue().values().length * width;
      t.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    try (OutputStream out = Files.newOutputStream(file)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      len.putLong(json.length);
      out.write(len.array());
      out.write(json);
      for (Tensor t : tensors.values()) {
        ByteBuffer buf = ByteBuffer.allocate(t.values().length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : t.values()) {
          switch (dtype) {
            case "F32" -> buf.putFloat(v);
            case "BF16" -> buf.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
            case "F16" -> buf.putShort(floatToHalf(v));
            default -> throw new IllegalArgumentException(dtype);
          }
        }
        out.write(buf.array());
      }
    }
  }

  /** Writes a checkpoint directory: config.json plus one file, or {@code shards} files. */
  static void writeCheckpoint(
      Path dir, Map<String, Object> config, Map<String, Tensor> tensors, String dtype, int shards)
      throws IOException {
    Files.createDirectories(dir);
    JSON.writeValue(dir.resolve("config.json").toFile(), config);
    if (shards <= 1) {
      write(dir.resolve("model.safetensors"), tensors, dtype);
      return;
    }
    List<Map<String, Tensor>> parts = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      parts.add(new LinkedHashMap<>());
    }
    ObjectNode index = JSON.createObjectNode();
    index.putObject("metadata").put("total_size", 0);
    ObjectNode map = index.putObject("weight_map");
    int i = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      int s = i++ % shards;
      parts.get(s).put(e.getKey(), e.getValue());
      map.put(e.getKey(), shardName(s, shards));
    }
    for (int s = 0; s < shards; s++) {
      write(dir.resolve(shardName(s, shards)), parts.get(s), dtype);
    }
    JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
  }

  static String shardName(int s, int shards) {
    return String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
  }

  /** The value a float becomes after a BF16 round trip by truncation. */
  static float bf16(float v) {
    return Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xFFFF0000);
  }

  /** float32 to IEEE binary16, round to nearest (normal range only; enough for tests). */
  static short floatToHalf(float v) {
    int bits = Float.floatToIntBits(v);
    int sign = (bits >>> 16) & 0x8000;
    int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
    int mant = bits & 0x7FFFFF;
    if (v == 0f) {
      return (short) sign;
    }
    if (exp <= 0 || exp >= 31) {
      throw new IllegalArgumentException("out of the normal half range: " + v);
    }
    int half = sign | (exp << 10) | (mant >>> 13);
    if ((mant & 0x1FFF) > 0x1000 || ((mant & 0x1FFF) == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) half;
  }
}
