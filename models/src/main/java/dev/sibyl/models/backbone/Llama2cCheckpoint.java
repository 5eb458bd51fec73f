package dev.sibyl.models.backbone;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Loads a llama2.c checkpoint (the legacy "version 0" layout written by llama2.c's {@code export.py
 * --version 0} and used by the tinyllamas models, e.g. {@code stories260K.bin}).
 *
 * <p>Layout: 7 little-endian int32 ({@code dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 * vocab_size, seq_len}; a positive {@code vocab_size} means the classifier shares the token
 * embedding), then float32 arrays in this order, matrices {@code (out, in)} row-major: token
 * embedding {@code (V, dim)}; attention RMSNorm {@code (L, dim)}; wq {@code (L, dim, dim)}; wk
 * {@code (L, kvDim, dim)}; wv {@code (L, kvDim, dim)}; wo {@code (L, dim, dim)}; FFN RMSNorm {@code
 * (L, dim)}; w1 {@code (L, hidden, dim)}; w2 {@code (L, dim, hidden)}; w3 {@code (L, hidden, dim)};
 * final RMSNorm {@code (dim)}; two legacy RoPE tables {@code (seq_len, headSize / 2)} (skipped:
 * RoPE is recomputed); the classifier {@code (V, dim)} only when not shared. RMSNorm epsilon 1e-5
 * and RoPE theta 10000 are fixed by the format, RoPE is {@link RopeStyle#INTERLEAVED}.
 */
public final class Llama2cCheckpoint {

  /** Number of int32 values in the header. */
  public static final int HEADER_INTS = 7;

  /** The RMSNorm epsilon of llama2.c. */
  public static final float NORM_EPS = 1e-5f;

  /** The RoPE base of llama2.c. */
  public static final float ROPE_THETA = 10000f;

  /** First int32 of llama2.c's versioned exports ("ak42"), which this loader does not read. */
  static final int VERSIONED_MAGIC = 0x616b3432;

  private Llama2cCheckpoint() {}

  /**
   * Reads only the header.
   *
   * @param file the checkpoint; never null
   * @return the configuration it describes
   * @throws IOException when the file cannot be read, or is a versioned export or malformed
   */
  public static DecoderConfig readConfig(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(HEADER_INTS * Integer.BYTES);
      header.order(ByteOrder.LITTLE_ENDIAN);
      while (header.hasRemaining()) {
        if (ch.read(header) < 0) {
          throw new IOException(file + ": shorter than the " + HEADER_INTS + "-int32 header");
        }
      }
      header.flip();
      return parseHeader(file, header);
    }
  }

  /**
   * Loads the weights onto {@code device} and builds the decoder, which owns them.
   *
   * @param file the checkpoint; never null
   * @param device the device for the weights; never null
   * @return the decoder; the caller closes it
   * @throws IOException when the file cannot be read, is a versioned export, or its size does not
   *     match its header
   */
  public static LlamaDecoder load(Path file, Device device) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(device, "device");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw new IOException(file + ": " + size + " bytes; files over 2 GiB are not supported");
      }
      ByteBuffer bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      bytes.order(ByteOrder.LITTLE_ENDIAN);
      DecoderConfig config = parseHeader(file, bytes);
      long expected = expectedBytes(config);
      if (size != expected) {
        throw new IOException(
            file + ": " + size + " bytes, but its header " + config + " implies " + expected);
      }
      bytes.position(HEADER_INTS * Integer.BYTES);
      FloatBuffer floats = bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      NDManager manager = NDManager.newBaseManager(device);
      try {
        DecoderWeights weights = readWeights(floats, config, manager);
        return new LlamaDecoder(config, weights, manager);
      } catch (RuntimeException e) {
        manager.close();
        throw e;
      }
    }
  }

  private static DecoderConfig parseHeader(Path file, ByteBuffer header) throws IOException {
    int[] h = new int[HEADER_INTS];
    for (int i = 0; i < HEADER_INTS; i++) {
      h[i] = header.getInt(i * Integer.BYTES);
    }
    if (h[0] == VERSIONED_MAGIC) {
      throw new IOException(
          file
              + ": a versioned llama2.c export (magic \"ak42\", version "
              + h[1]
              + ") is not supported; only the legacy version 0 layout is");
    }
    try {
      return new DecoderConfig(
          h[0],
          h[1],
          h[2],
          h[3],
          h[4],
          Math.abs(h[5]),
          h[6],
          NORM_EPS,
          ROPE_THETA,
          RopeStyle.INTERLEAVED,
          h[5] > 0);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": malformed llama2.c header: " + e.getMessage(), e);
    }
  }

  /** The exact file size the header implies. */
  static long expectedBytes(DecoderConfig c) {
    long dim = c.dim();
    long kv = c.kvDim();
    long layers = c.nLayers();
    long floats =
        c.vocabSize() * dim
            + layers * (dim + dim * dim + 2 * kv * dim + dim * dim + dim + 3L * c.hiddenDim() * dim)
            + dim
            + (long) c.maxSeqLen() * c.headSize()
            + (c.sharedClassifier() ? 0 : c.vocabSize() * dim);
    return HEADER_INTS * (long) Integer.BYTES + floats * Float.BYTES;
  }

  /** Reads the arrays in file order into per-layer, stacked {@link LayerWeights}. */
  private static DecoderWeights readWeights(FloatBuffer in, DecoderConfig c, NDManager manager) {
    int dim = c.dim();
    int kv = c.kvDim();
    int hidden = c.hiddenDim();
    int nl = c.nLayers();
    float[] embedding = take(in, c.vocabSize() * dim); // (V, dim)
    float[][] attnNorm = takeLayers(in, nl, dim); // (L, dim)
    float[][] wq = takeLayers(in, nl, dim * dim); // (L, dim, dim)
    float[][] wk = takeLayers(in, nl, kv * dim); // (L, kvDim, dim)
    float[][] wv = takeLayers(in, nl, kv * dim); // (L, kvDim, dim)
    float[][] wo = takeLayers(in, nl, dim * dim); // (L, dim, dim)
    float[][] ffnNorm = takeLayers(in, nl, dim); // (L, dim)
    float[][] w1 = takeLayers(in, nl, hidden * dim); // (L, hidden, dim)
    float[][] w2 = takeLayers(in, nl, dim * hidden); // (L, dim, hidden)
    float[][] w3 = takeLayers(in, nl, hidden * dim); // (L, hidden, dim)
    float[] finalNorm = take(in, dim); // (dim)
    in.position(in.position() + c.maxSeqLen() * c.headSize()); // skip freq_cis_real, freq_cis_imag

    NDArray table = ModelRuntime.owned(manager, embedding, new Shape(c.vocabSize(), dim));
    NDArray classifier =
        c.sharedClassifier()
            ? table
            : ModelRuntime.owned(manager, take(in, c.vocabSize() * dim), new Shape(c.vocabSize(), dim));
    List<LayerWeights> layers = new ArrayList<>(nl);
    for (int l = 0; l < nl; l++) {
      layers.add(
          new LayerWeights(
              ModelRuntime.owned(manager, attnNorm[l], new Shape(dim)),
              ModelRuntime.owned(manager, concat(wq[l], wk[l], wv[l]), new Shape(dim + 2L * kv, dim)),
              null,
              ModelRuntime.owned(manager, wo[l], new Shape(dim, dim)),
              ModelRuntime.owned(manager, ffnNorm[l], new Shape(dim)),
              ModelRuntime.owned(manager, concat(w1[l], w3[l]), new Shape(2L * hidden, dim)),
              ModelRuntime.owned(manager, w2[l], new Shape(dim, hidden))));
    }
    return new DecoderWeights(table, layers, ModelRuntime.owned(manager, finalNorm, new Shape(dim)), classifier);
  }

  private static float[] take(FloatBuffer in, int n) {
    float[] out = new float[n];
    in.get(out);
    return out;
  }

  private static float[][] takeLayers(FloatBuffer in, int layers, int n) {
    float[][] out = new float[layers][];
    for (int l = 0; l < layers; l++) {
      out[l] = take(in, n);
    }
    return out;
  }

  private static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
