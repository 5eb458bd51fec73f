package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.models.controls.Dlinear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class HotReloadTest {

  private static final int L = 96;
  private static final int H = 24;

  @TempDir Path artifacts;

  @Test
  void reloadAddsReplacesAndRemovesModels() throws Exception {
    Dlinear first = Ett.dlinearArtifact(artifacts.resolve("a"), L, H, 1);
    double[][][] w = Ett.windows(2, L, 7);
    try (ModelHost host = ModelHost.load(artifacts, BatchingConfig.DEFAULTS)) {
      assertThat(host.reload()).isEmpty();
      assertThat(host.batcher("a").submit(w, H).get(10, TimeUnit.SECONDS))
          .isDeepEqualTo(first.predict(w, H));
      DynamicBatcher batcherOfA = host.batcher("a");

      // A new version of a, and a new model b.
      Dlinear second = Ett.dlinearArtifact(artifacts.resolve("a"), L, H, 2);
      Dlinear other = Ett.dlinearArtifact(artifacts.resolve("b"), L, 12, 3);
      assertThat(host.reload()).containsExactly("~a", "+b");

      assertThat(host.batcher("a")).isSameAs(batcherOfA);
      assertThat(host.batcher("a").submit(w, H).get(10, TimeUnit.SECONDS))
          .isDeepEqualTo(second.predict(w, H))
          .isNotEqualTo(first.predict(w, H));
      assertThat(host.batcher("b").submit(w, 12).get(10, TimeUnit.SECONDS))
          .isDeepEqualTo(other.predict(w, 12));

      // A broken artifact keeps the served model; a removed one stops being served.
      Files.writeString(artifacts.resolve("a").resolve("manifest.json"), "{broken");
      delete(artifacts.resolve("b"));
      assertThat(host.reload()).containsExactly("-b");
      assertThat(host.names()).containsExactly("a");
      assertThat(host.batcher("a").submit(w, H).get(10, TimeUnit.SECONDS))
          .isDeepEqualTo(second.predict(w, H));
    }
  }

  @Test
  void theWatcherPicksUpANewArtifact() throws Exception {
    Ett.dlinearArtifact(artifacts.resolve("a"), L, H, 1);
    try (ModelHost host = ModelHost.load(artifacts, BatchingConfig.DEFAULTS)) {
      host.watch(Duration.ofMillis(50));
      Dlinear added = Ett.dlinearArtifact(artifacts.resolve("c"), L, H, 4);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (host.batcher("c") == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      double[][][] w = Ett.windows(1, L, 0);
      assertThat(host.batcher("c")).isNotNull();
      assertThat(host.batcher("c").submit(w, H).get(10, TimeUnit.SECONDS))
          .isDeepEqualTo(added.predict(w, H));
    }
  }

  private static void delete(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
