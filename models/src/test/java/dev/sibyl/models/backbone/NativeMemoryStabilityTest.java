package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Strict NDManager scoping under load: 10,000 one-token predictions on stories260K leave the
 * decoder's manager holding exactly the arrays it held before, and the process's resident native
 * memory (RSS less what the JVM committed for its heap and metaspace) does not grow.
 *
 * <p>Each prediction is a full one-token step: embedding lookup, forward pass over every layer
 * with the KV cache, in a per-call caller scope (and the classifier logits and argmax at the end of
 * each state). Positions cycle over 0..63; a fresh {@link DecoderState} is opened every 64 calls
 * and closed after use. The calls run on two threads sharing the decoder, to use both cores.
 */
class NativeMemoryStabilityTest {

  private static final int WARM_UP = 1_000;
  private static final int PREDICTIONS = 10_000;
  private static final int POSITIONS = 64;
  private static final int THREADS = 2;

  /** Segments the measured run is cut into. */
  private static final int SEGMENTS = 4;

  /**
   * The bound on the smallest native growth of a segment (2,500 calls). A leak of one libtorch
   * tensor per operation (about 200 per call, hundreds of bytes each) would add over 100 MB to every
   * segment; a leaked cache per state is caught by the managed-array count rather than by RSS. The
   * allocator's own steps (measured up to 150 MB on a loaded 2-core machine, in one segment or
   * another) are printed, not bounded.
   */
  private static final long MAX_GROWTH_BYTES = 32L << 20;

  @Test
  void tenThousandPredictionsKeepManagedArraysAndRssFlat() throws IOException {
    Path status = Path.of("/proc/self/status");
    assumeTrue(Files.isReadable(status), "VmRSS needs Linux /proc/self/status");
    ExecutorService pool = Executors.newFixedThreadPool(THREADS, r -> new Thread(r, "native-memory-test"));
    try (LlamaDecoder decoder =
            Llama2cCheckpoint.load(TinyLm.file(TinyLm.CHECKPOINT), Device.cpu());
        NDManager caller = NDManager.newBaseManager(Device.cpu())) {
      NDManager weights = decoder.embeddingTable().getManager();
      int arraysBefore = weights.getManagedArrays().size();
      int callerBefore = caller.getManagedArrays().size();

      // Warm-up, then equal segments on the same threads. The allocator's resident size moves in
      // steps (arenas, fragmentation: jumps of tens of MB at unpredictable points on a loaded
      // machine), but a leak grows in every segment: so the smallest segment growth is bounded.
      long checksum = predict(pool, decoder, caller, WARM_UP);
      long[] rss = new long[SEGMENTS + 1];
      rss[0] = nativeBytes(status);
      long start = System.nanoTime();
      for (int k = 1; k <= SEGMENTS; k++) {
        checksum += predict(pool, decoder, caller, PREDICTIONS / SEGMENTS);
        rss[k] = nativeBytes(status);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      int arraysAfter = weights.getManagedArrays().size();

      long smallest = Long.MAX_VALUE;
      StringBuilder steps = new StringBuilder();
      for (int k = 1; k <= SEGMENTS; k++) {
        long growth = rss[k] - rss[k - 1];
        smallest = Math.min(smallest, growth);
        steps.append(k == 1 ? "" : ", ").append(Math.round(growth / 1048576.0)).append(" MB");
      }
      System.out.printf(
          "native memory: %d predictions in %.1f s; native RSS after %d-call warm-up %.1f MB, after"
              + " the run %.1f MB; growth per segment of %d calls: %s (smallest bounded by %d MB);"
              + " decoder manager arrays %d -> %d (checksum %d)%n",
          PREDICTIONS,
          seconds,
          WARM_UP,
          rss[0] / 1048576.0,
          rss[SEGMENTS] / 1048576.0,
          PREDICTIONS / SEGMENTS,
          steps,
          MAX_GROWTH_BYTES >> 20,
          arraysBefore,
          arraysAfter,
          checksum);
      assertThat(arraysAfter).isEqualTo(arraysBefore);
      assertThat(caller.getManagedArrays()).hasSize(callerBefore);
      assertThat(smallest).isLessThan(MAX_GROWTH_BYTES);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Resident memory outside the JVM's heap and metaspace, after a GC: RSS less what the JVM has
   * committed, which grows with garbage (DJL wrappers) as the collector pleases.
   */
  private static long nativeBytes(Path status) throws IOException {
    System.gc();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long jvm = memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted();
    return rssBytes(status) - jvm;
  }

  /**
   * {@code n} one-token predictions split over {@link #THREADS} threads, each with its own caller
   * manager (a sub-manager of {@code caller}) and its own states: the decoder is shared, as the
   * {@link Decoder} contract allows, and tiny one-token operations run single-threaded in libtorch,
   * so two threads use both cores. Returns the sum of the sampled tokens.
   */
  private static long predict(ExecutorService pool, LlamaDecoder decoder, NDManager caller, int n) {
    try {
      List<Future<Long>> parts = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int calls = n / THREADS + (t < n % THREADS ? 1 : 0);
        int seed = t;
        parts.add(
            pool.submit(
                () -> {
                  try (NDManager own = caller.newSubManager()) {
                    return predictOnOneThread(decoder, own, calls, seed);
                  }
                }));
      }
      long sum = 0;
      for (Future<Long> part : parts) {
        sum += part.get();
      }
      return sum;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  private static long predictOnOneThread(
      LlamaDecoder decoder, NDManager caller, int n, int seed) {
    long sum = 0;
    DecoderState state = null;
    try {
      for (int i = 0; i < n; i++) {
        if (i % POSITIONS == 0) {
          if (state != null) {
            state.close();
          }
          state = decoder.newState(1);
        }
        int token = (i * 31 + 7 + seed * 101) % decoder.config().vocabSize();
        try (NDManager scope = caller.newSubManager()) {
          NDArray ids = scope.create(new int[] {token}, new Shape(1, 1));
          NDArray hidden = decoder.forward(decoder.tokenEmbeddings(ids), state);
          if (i % POSITIONS == POSITIONS - 1) {
            // the classifier too, once per state (every call would add a third to the run time)
            sum += decoder.logits(hidden).argMax(2).getLong();
          }
        }
      }
    } finally {
      if (state != null) {
        state.close();
      }
    }
    return sum;
  }

  /** VmRSS of this process in bytes, from {@code /proc/self/status} ("VmRSS:  12345 kB"). */
  private static long rssBytes(Path status) throws IOException {
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmRSS:")) {
        String[] parts = line.trim().split("\\s+");
        return Long.parseLong(parts[1]) * 1024L;
      }
    }
    throw new IOException("no VmRSS in " + status);
  }
}
