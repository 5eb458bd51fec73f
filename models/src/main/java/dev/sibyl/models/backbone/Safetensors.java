package dev.sibyl.models.backbone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A reader of the Hugging Face safetensors format, one file or a sharded set, that memory-maps the
 * tensor data instead of reading files into a byte array, so files over 2 GiB work.
 *
 * <p>Format: an 8-byte little-endian header length {@code N}, then {@code N} bytes of UTF-8 JSON
 * mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets
 * relative to the end of the header) plus an optional {@code "__metadata__"} object, then the data.
 * A sharded checkpoint has {@code model.safetensors.index.json} whose {@code "weight_map"} maps
 * each tensor name to its shard file.
 *
 * <p>Supported dtypes: {@code F32}, {@code F16} and {@code BF16}; every tensor is returned as
 * float32 converted in Java (BF16 arrays abort the DJL PyTorch engine, so none is ever created).
 * A tensor is mapped in chunks of at most {@value #CHUNK_BYTES} bytes while it is read; nothing
 * stays mapped between reads. Not thread-safe.
 */
public final class Safetensors {

  /** The single-file name Hugging Face uses. */
  public static final String SINGLE_FILE = "model.safetensors";

  /** The index file of a sharded checkpoint. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  /** Largest header this reader accepts (the format's own limit is 100 MB). */
  static final long MAX_HEADER_BYTES = 100L << 20;

  /** Largest byte range mapped at once; a multiple of 4. */
  static final int CHUNK_BYTES = 1 << 30;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Where one tensor is.
   *
   * @param file the file holding it
   * @param dtype the safetensors dtype name
   * @param shape the dimensions
   * @param begin the absolute byte offset of its data in {@code file}
   * @param end the absolute end offset (exclusive)
   */
  record Entry(Path file, String dtype, long[] shape, long begin, long end) {}

  private final Map<String, Entry> entries;

  private Safetensors(Map<String, Entry> entries) {
    this.entries = entries;
  }

  /**
   * Opens a checkpoint: a {@code .safetensors} file, or a directory holding {@value #SINGLE_FILE}
   * or {@value #INDEX_FILE} with its shards.
   *
   * @param path the file or directory; never null
   * @return the reader, which holds no open file
   * @throws IOException when no checkpoint is there, or a header is malformed
   */
  public static Safetensors open(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    Map<String, Entry> entries = new LinkedHashMap<>();
    if (Files.isRegularFile(path)) {
      readHeader(path, entries);
    } else if (Files.isRegularFile(path.resolve(SINGLE_FILE))) {
      readHeader(path.resolve(SINGLE_FILE), entries);
    } else if (Files.isRegularFile(path.resolve(INDEX_FILE))) {
      JsonNode index = JSON.readTree(path.resolve(INDEX_FILE).toFile());
      JsonNode map = index.get("weight_map");
      if (map == null || !map.isObject()) {
        throw new IOException(path.resolve(INDEX_FILE) + ": no \"weight_map\" object");
      }
      Set<String> shards = new TreeSet<>();
      map.fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
      for (String shard : shards) {
        readHeader(path.resolve(shard), entries);
      }
      Iterator<String> names = map.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!entries.containsKey(name)) {
          throw new IOException(
              path.resolve(INDEX_FILE) + ": " + name + " is not in its shard " + map.get(name));
        }
      }
    } else {
      throw new IOException(
          path + ": neither a .safetensors file nor a directory with " + SINGLE_FILE + " or "
              + INDEX_FILE);
    }
    return new Safetensors(entries);
  }

  /**
   * The tensor names, in header order.
   *
   * @return an unmodifiable view; never null
   */
  public Set<String> names() {
    return Collections.unmodifiableSet(entries.keySet());
  }

  /**
   * Whether a tensor is present.
   *
   * @param name the tensor name
   * @return true when present
   */
  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /**
   * The shape of a tensor.
   *
   * @param name the tensor name
   * @return a copy of its dimensions
   * @throws IllegalArgumentException when absent
   */
  public long[] shape(String name) {
    return entry(name).shape().clone();
  }

  /**
   * The dtype of a tensor as the header names it ({@code F32}, {@code BF16}, ...).
   *
   * @param name the tensor name
   * @return the dtype
   * @throws IllegalArgumentException when absent
   */
  public String dtype(String name) {
    return entry(name).dtype();
  }

  /**
   * Reads a tensor as float32, row-major.
   *
   * @param name the tensor name
   * @return its values, {@code product(shape)} of them
   * @throws IllegalArgumentException when absent, or its dtype is not F32, F16 or BF16, or it has
   *     {@code 2^31} elements or more
   * @throws IOException when the file cannot be read
   */
  public float[] readFloats(String name) throws IOException {
    return readFloats(name, CHUNK_BYTES);
  }

  /** {@link #readFloats(String)} mapping at most {@code chunkBytes} (a multiple of 4) at once. */
  float[] readFloats(String name, int chunkBytes) throws IOException {
    Entry e = entry(name);
    int width =
        switch (e.dtype()) {
          case "F32" -> 4;
          case "F16", "BF16" -> 2;
          default -> throw new IllegalArgumentException(
              name + ": dtype " + e.dtype() + " is not supported (F32, F16, BF16 are)");
        };
    long count = 1;
    for (long d : e.shape()) {
      count *= d;
    }
    if (count * width != e.end() - e.begin()) {
      throw new IOException(
          e.file() + ": " + name + " has " + (e.end() - e.begin()) + " bytes, but dtype "
              + e.dtype() + " and shape " + java.util.Arrays.toString(e.shape()) + " need "
              + count * width);
    }
    if (count >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + ": " + count + " elements exceed one Java array");
    }
    float[] out = new float[(int) count];
    try (FileChannel ch = FileChannel.open(e.file(), StandardOpenOption.READ)) {
      int at = 0;
      for (long from = e.begin(); from < e.end(); from += chunkBytes) {
        long len = Math.min(chunkBytes, e.end() - from);
        ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, from, len);
        buf.order(ByteOrder.LITTLE_ENDIAN);
        at = decode(e.dtype(), buf, out, at);
      }
    }
    return out;
  }

  /** Decodes every element of {@code buf} into {@code out} from {@code at}; the next index. */
  private static int decode(String dtype, ByteBuffer buf, float[] out, int at) {
    switch (dtype) {
      case "F32" -> {
        int n = buf.remaining() / 4;
        buf.asFloatBuffer().get(out, at, n);
        return at + n;
      }
      case "BF16" -> {
        // bfloat16 is the upper half of a float32: shift its 16 bits back into place
        while (buf.hasRemaining()) {
          out[at++] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
        }
        return at;
      }
      case "F16" -> {
        while (buf.hasRemaining()) {
          out[at++] = halfToFloat(buf.getShort() & 0xFFFF);
        }
        return at;
      }
      default -> throw new IllegalArgumentException("dtype " + dtype + " is not supported");
    }
  }

  /** IEEE 754 binary16 to float32 (Java 17 has no {@code Float.float16ToFloat}). */
  static float halfToFloat(int h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0x1F) {
      // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      // zero or subnormal: mant * 2^-24
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException("tensor " + name + " is not in the checkpoint");
    }
    return e;
  }

  private static void readHeader(Path file, Map<String, Entry> into) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0, file);
      long headerLen = lenBuf.getLong(0);
      if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
        throw new IOException(
            file + ": header length " + headerLen + " is out of range for a " + size
                + "-byte file");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8, file);
      JsonNode root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
      long dataStart = 8 + headerLen;
      Iterator<Map.Entry<String, JsonNode>> it = root.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode t = f.getValue();
        JsonNode offsets = t.get("data_offsets");
        JsonNode shapeNode = t.get("shape");
        if (t.get("dtype") == null || offsets == null || offsets.size() != 2 || shapeNode == null) {
          throw new IOException(file + ": malformed header entry for " + f.getKey() + ": " + t);
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shapeNode.get(i).asLong();
        }
        long begin = dataStart + offsets.get(0).asLong();
        long end = dataStart + offsets.get(1).asLong();
        if (begin > end || end > size) {
          throw new IOException(
              file + ": " + f.getKey() + " data_offsets " + offsets + " outside the file");
        }
        if (into.put(f.getKey(), new Entry(file, t.get("dtype").asText(), shape, begin, end))
            != null) {
          throw new IOException(file + ": tensor " + f.getKey() + " appears twice");
        }
      }
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long at, Path file)
      throws IOException {
    long pos = at;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException(file + ": truncated safetensors header");
      }
      pos += n;
    }
  }
}
