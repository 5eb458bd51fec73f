package dev.sibyl.app.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderConfig;
import dev.sibyl.models.backbone.DecoderLoader;
import dev.sibyl.models.backbone.DecoderState;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl bench backbone}: prefill and decode throughput of an LLM backbone at several batch
 * sizes, and the achieved FLOP/s as a fraction of a plain square matmul measured in the same run.
 *
 * <p>Prefill: {@code batch} sequences of {@code --prefill-len} random tokens in one forward pass on
 * a fresh state, plus the classifier on the last position. Decode: after that prefill, {@code
 * --decode-steps} one-token steps, each with the classifier. Each figure is the best of repeated
 * runs lasting at least {@code --min-seconds} (after one warm-up). FLOPs count 2 per
 * multiply-accumulate of the projections, the attention products (causal: the keys each query
 * sees) and the classifier; the achieved figure is the best phase.
 */
@Command(
    name = "backbone",
    sortOptions = false,
    description = {
      "LLM backbone throughput: prefill and decode tokens/s at several batch sizes, and achieved"
          + " GFLOP/s against a plain NxN matmul in the same run."
    })
public final class BackboneBenchCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "PATH", description = "llama2.c .bin file or Hugging Face checkpoint directory.")
  private Path model;

  @Option(names = "--batches", paramLabel = "B,...", defaultValue = "1,8,64", split = ",", description = "Batch sizes (default ${DEFAULT-VALUE}).")
  private int[] batches;

  @Option(names = "--prefill-len", paramLabel = "N", defaultValue = "64", description = "Prompt length of the prefill phase (default ${DEFAULT-VALUE}).")
  private int prefillLen;

  @Option(names = "--decode-steps", paramLabel = "N", defaultValue = "32", description = "One-token steps of the decode phase (default ${DEFAULT-VALUE}).")
  private int decodeSteps;

  @Option(names = "--matmul-size", paramLabel = "N", defaultValue = "1024", description = "Size of the reference NxN matmul (default ${DEFAULT-VALUE}).")
  private int matmulSize;

  @Option(names = "--min-seconds", paramLabel = "S", defaultValue = "0.5", description = "Minimum measured time per figure (default ${DEFAULT-VALUE}).")
  private double minSeconds;

  @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu", description = "cpu or gpu:N (default ${DEFAULT-VALUE}).")
  private String device;

  @Override
  public Integer call() throws Exception {
    if (prefillLen < 1 || decodeSteps < 1 || matmulSize < 1 || batches.length == 0 || !(minSeconds > 0)) {
      throw new ParameterException(spec.commandLine(), "--prefill-len, --decode-steps, --matmul-size, --min-seconds and every --batches value must be positive");
    }
    for (int b : batches) {
      if (b < 1) {
        throw new ParameterException(spec.commandLine(), "--batches values must be >= 1, got " + b);
      }
    }
    PrintWriter err = spec.commandLine().getErr();
    Device dev = GenerateCommand.device(spec, device);
    String kind = GenerateCommand.detect(spec, model);
    int positions = prefillLen + decodeSteps;
    Map<String, Double> prefill = new LinkedHashMap<>();
    Map<String, Double> decode = new LinkedHashMap<>();
    double matmulGflops;
    double achieved = 0;
    String achievedAt = "";
    try (Decoder decoder = DecoderLoader.load(model, dev, positions)) {
      DecoderConfig c = decoder.config();
      if (positions > c.maxSeqLen()) {
        throw new ParameterException(spec.commandLine(), "--prefill-len + --decode-steps must be <= maxSeqLen=" + c.maxSeqLen() + ", got " + positions);
      }
      err.printf("bench backbone: %s %s on %s: dim=%d layers=%d heads=%d/%d vocab=%d%n", kind, model.getFileName(), dev, c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize());
      err.flush();
      for (int b : batches) {
        double[] p = timePrefill(decoder, b);
        double prefillTps = b * (double) prefillLen / p[0];
        double prefillGflops = p[1] / p[0] / 1e9;
        prefill.put(Integer.toString(b), prefillTps);
        double[] d = timeDecode(decoder, b);
        double decodeTps = b * (double) decodeSteps / d[0];
        double decodeGflops = d[1] / d[0] / 1e9;
        decode.put(Integer.toString(b), decodeTps);
        err.printf(Locale.ROOT, "  batch %d: prefill %.0f tokens/s (%.2f GFLOP/s), decode %.0f tokens/s (%.2f GFLOP/s)%n", b, prefillTps, prefillGflops, decodeTps, decodeGflops);
        err.flush();
        if (prefillGflops > achieved) {
          achieved = prefillGflops;
          achievedAt = "prefill batch " + b;
        }
        if (decodeGflops > achieved) {
          achieved = decodeGflops;
          achievedAt = "decode batch " + b;
        }
      }
      matmulGflops = timeMatmul(dev);
      err.printf(Locale.ROOT, "  matmul %dx%d: %.2f GFLOP/s; best backbone phase (%s) %.2f GFLOP/s = %.3f of it%n", matmulSize, matmulSize, matmulGflops, achievedAt, achieved, achieved / matmulGflops);
      err.flush();
    }
    StringBuilder json = new StringBuilder();
    json.append("{\"bench\":\"backbone\",\"model\":\"").append(escape(model.toString())).append('"');
    json.append(",\"kind\":\"").append(escape(kind)).append('"');
    json.append(",\"device\":\"").append(escape(dev.toString())).append('"');
    json.append(",\"prefill_len\":").append(prefillLen).append(",\"decode_steps\":").append(decodeSteps);
    json.append(",\"prefill_tokens_per_s\":").append(object(prefill));
    json.append(",\"decode_tokens_per_s\":").append(object(decode));
    json.append(String.format(Locale.ROOT, ",\"matmul_gflops\":%.3f,\"achieved_gflops\":%.3f,\"achieved_at\":\"%s\",\"fraction\":%.4f}", matmulGflops, achieved, achievedAt, achieved / matmulGflops));
    spec.commandLine().getOut().println(json);
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** Seconds per prefill of (b, prefillLen) and its FLOPs. */
  private double[] timePrefill(Decoder decoder, int b) {
    int[] ids = randomIds(decoder, b * prefillLen, b);
    double seconds =
        best(
            () -> {
              try (NDManager m = NDManager.newBaseManager(decoder.device());
                  DecoderState state = decoder.newState(b)) {
                NDArray h = decoder.forward(decoder.tokenEmbeddings(m.create(ids, new Shape(b, prefillLen))), state);
                decoder.logits(h.get(":, -1:, :")).toFloatArray(); // (b, 1, V): forces the work
              }
            });
    double flops = b * (prefillLen * tokenFlops(decoder.config()) + attentionFlops(decoder.config(), 0, prefillLen) + classifierFlops(decoder.config()));
    return new double[] {seconds, flops};
  }

  /** Seconds per decodeSteps one-token steps after a prefill, and their FLOPs. */
  private double[] timeDecode(Decoder decoder, int b) {
    int[] ids = randomIds(decoder, b * prefillLen, b + 1);
    int[] next = randomIds(decoder, b * decodeSteps, b + 2);
    Runnable prefillOnly =
        () -> {
          try (NDManager m = NDManager.newBaseManager(decoder.device());
              DecoderState state = decoder.newState(b)) {
            decoder.forward(decoder.tokenEmbeddings(m.create(ids, new Shape(b, prefillLen))), state).toFloatArray();
          }
        };
    double seconds = best(prefillOnly);
    // measured as (prefill + decode) - prefill, with the same repetition policy
    double both =
        best(
            () -> {
              try (NDManager m = NDManager.newBaseManager(decoder.device());
                  DecoderState state = decoder.newState(b)) {
                decoder.forward(decoder.tokenEmbeddings(m.create(ids, new Shape(b, prefillLen))), state).toFloatArray();
                for (int s = 0; s < decodeSteps; s++) {
                  try (NDManager step = m.newSubManager()) {
                    int[] col = new int[b];
                    for (int r = 0; r < b; r++) {
                      col[r] = next[r * decodeSteps + s];
                    }
                    NDArray h = decoder.forward(decoder.tokenEmbeddings(step.create(col, new Shape(b, 1))), state);
                    decoder.logits(h).toFloatArray(); // (b, 1, V)
                  }
                }
              }
            });
    double decodeSeconds = Math.max(both - seconds, 1e-9);
    double flops = 0;
    for (int s = 0; s < decodeSteps; s++) {
      flops += tokenFlops(decoder.config()) + attentionFlops(decoder.config(), prefillLen + s, 1) + classifierFlops(decoder.config());
    }
    return new double[] {decodeSeconds, b * flops};
  }

  /** GFLOP/s of a plain (n, n) @ (n, n) float32 matmul. */
  private double timeMatmul(Device dev) {
    int n = matmulSize;
    try (NDManager m = NDManager.newBaseManager(dev)) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      double seconds =
          best(
              () -> {
                try (NDManager s = m.newSubManager()) {
                  NDArray c = a.matMul(b);
                  c.attach(s);
                  c.get(0, 0).getFloat(); // forces completion on asynchronous devices
                }
              });
      return 2.0 * n * n * n / seconds / 1e9;
    }
  }

  /** Projection FLOPs of one token (q, k, v, o, FFN); attention and classifier are apart. */
  static double tokenFlops(DecoderConfig c) {
    double dim = c.dim();
    boolean gated = c.ropeStyle() != dev.sibyl.models.backbone.RopeStyle.NONE; // SwiGLU: 3 matrices
    double ffn = (gated ? 3 : 2) * dim * c.hiddenDim();
    return 2.0 * c.nLayers() * (dim * (dim + 2.0 * c.kvDim()) + dim * dim + ffn);
  }

  /** Attention FLOPs (scores and weighted values) of {@code seq} new positions after {@code pos}. */
  static double attentionFlops(DecoderConfig c, int pos, int seq) {
    double keys = 0;
    for (int i = 0; i < seq; i++) {
      keys += pos + i + 1;
    }
    return 2.0 * 2.0 * c.nLayers() * c.dim() * keys;
  }

  static double classifierFlops(DecoderConfig c) {
    return 2.0 * c.dim() * c.vocabSize();
  }

  private int[] randomIds(Decoder decoder, int n, long seed) {
    Random r = new Random(seed);
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = r.nextInt(decoder.config().vocabSize());
    }
    return ids;
  }

  /** Best seconds per run of {@code body}: one warm-up, then runs until minSeconds (3 to 100). */
  private double best(Runnable body) {
    body.run();
    double best = Double.MAX_VALUE;
    double total = 0;
    int runs = 0;
    while ((total < minSeconds || runs < 3) && runs < 100) {
      long t0 = System.nanoTime();
      body.run();
      double s = (System.nanoTime() - t0) / 1e9;
      best = Math.min(best, s);
      total += s;
      runs++;
    }
    return best;
  }

  private static String object(Map<String, Double> values) {
    StringBuilder sb = new StringBuilder("{");
    values.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(String.format(Locale.ROOT, "%.1f", v)));
    return sb.append('}').toString();
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
