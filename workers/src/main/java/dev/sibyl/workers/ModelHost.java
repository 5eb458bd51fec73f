package dev.sibyl.workers;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a worker serves, each behind its own {@link DynamicBatcher}; owns the batchers and
 * closes them.
 *
 * <p>Loaded from an artifacts directory: every sub-directory holding a {@code manifest.json} is
 * one model, named by the sub-directory (so {@code artifacts/etth1-dlinear} is served as {@code
 * etth1-dlinear}). Other entries are ignored.
 *
 * <p>Hot reload ({@link #reload()}, or every interval after {@link #watch(Duration)}): a new
 * artifact directory starts being served, a removed one stops (its queued requests fail with
 * UNAVAILABLE), and a changed one (its manifest's text differs: {@link Artifacts#save} writes the
 * manifest last, with a new {@code createdAt}, so a changed manifest means a complete new
 * artifact) is swapped into its running batcher without dropping queued requests. An artifact that
 * fails to load is logged and the model already served keeps serving.
 */
public final class ModelHost implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelHost.class);

  private final Path root;
  private final BatchingConfig config;
  private final MeterRegistry registry;
  private final Map<String, DynamicBatcher> batchers = new ConcurrentHashMap<>();
  // Manifest text per served artifact, to see a changed one; guarded by this.
  private final Map<String, String> manifests = new HashMap<>();
  private Thread watcher;
  private volatile boolean closed;

  private ModelHost(Path root, BatchingConfig config, MeterRegistry registry) {
    this.root = root;
    this.config = Objects.requireNonNull(config, "config");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Serves the given models (no artifacts directory: {@link #reload()} does nothing).
   *
   * @param models name to model; names must be non-empty; not null
   * @param config batching settings for every model; not null
   * @return a host with one started batcher per model
   */
  public static ModelHost of(Map<String, WindowModel> models, BatchingConfig config) {
    return of(models, config, new SimpleMeterRegistry());
  }

  /**
   * Serves the given models, recording the batchers' metrics in {@code registry}.
   *
   * @param models name to model; names must be non-empty; not null
   * @param config batching settings for every model; not null
   * @param registry where the metrics go (see {@link DynamicBatcher}); not null
   * @return a host with one started batcher per model
   */
  public static ModelHost of(
      Map<String, WindowModel> models, BatchingConfig config, MeterRegistry registry) {
    ModelHost host = new ModelHost(null, config, registry);
    for (Map.Entry<String, WindowModel> e : models.entrySet()) {
      if (e.getKey().isEmpty()) {
        host.close();
        throw new IllegalArgumentException("a model name must not be empty");
      }
      host.batchers.put(e.getKey(), new DynamicBatcher(e.getKey(), e.getValue(), config, registry));
    }
    return host;
  }

  /**
   * Loads every artifact directory under {@code root} (see the class documentation).
   *
   * @param root the artifacts directory; not null
   * @param config batching settings; not null
   * @return the host; empty when {@code root} holds no artifact
   * @throws IOException when {@code root} cannot be listed
   * @throws ArtifactException naming the artifact that failed to load
   */
  public static ModelHost load(Path root, BatchingConfig config) throws IOException {
    return load(root, config, new SimpleMeterRegistry());
  }

  /**
   * Loads every artifact directory under {@code root}, recording metrics in {@code registry}.
   *
   * @param root the artifacts directory; not null
   * @param config batching settings; not null
   * @param registry where the metrics go; not null
   * @return the host; empty when {@code root} holds no artifact
   * @throws IOException when {@code root} cannot be listed
   * @throws ArtifactException naming the artifact that failed to load
   */
  public static ModelHost load(Path root, BatchingConfig config, MeterRegistry registry)
      throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException(root + ": not a directory");
    }
    ModelHost host = new ModelHost(root, config, registry);
    try {
      for (Map.Entry<String, Path> e : host.scan().entrySet()) {
        String manifest = Files.readString(e.getValue().resolve(Artifacts.MANIFEST));
        WindowModel model = Artifacts.load(e.getValue()).model();
        host.manifests.put(e.getKey(), manifest);
        host.batchers.put(
            e.getKey(), new DynamicBatcher(e.getKey(), model, config, registry));
      }
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e;
    }
    return host;
  }

  /** Artifact directories under root by name, sorted. */
  private Map<String, Path> scan() throws IOException {
    Map<String, Path> dirs = new TreeMap<>();
    try (Stream<Path> entries = Files.list(root)) {
      entries
          .filter(p -> Files.isRegularFile(p.resolve(Artifacts.MANIFEST)))
          .forEach(p -> dirs.put(p.getFileName().toString(), p));
    }
    return dirs;
  }

  /**
   * Brings the served models in line with the artifacts directory (see the class documentation).
   *
   * @return the names added, replaced or removed, in that order, each prefixed by {@code +},
   *     {@code ~} or {@code -}; empty when nothing changed or the host has no directory
   * @throws IOException when the directory cannot be listed
   */
  public synchronized List<String> reload() throws IOException {
    List<String> changes = new ArrayList<>();
    if (root == null || closed) {
      return changes;
    }
    Map<String, Path> found = scan();
    for (Map.Entry<String, Path> e : found.entrySet()) {
      String name = e.getKey();
      String manifest;
      try {
        manifest = Files.readString(e.getValue().resolve(Artifacts.MANIFEST));
      } catch (IOException ex) {
        LOG.warn("hot reload: cannot read {}: {}", e.getValue(), ex.toString());
        continue;
      }
      if (manifest.equals(manifests.get(name))) {
        continue;
      }
      WindowModel model;
      try {
        model = Artifacts.load(e.getValue()).model();
      } catch (ArtifactException | RuntimeException ex) {
        LOG.warn("hot reload: keeping what is served for '{}': {}", name, ex.getMessage());
        continue;
      }
      DynamicBatcher b = batchers.get(name);
      if (b == null) {
        batchers.put(name, new DynamicBatcher(name, model, config, registry));
        changes.add("+" + name);
      } else {
        b.replaceModel(model);
        changes.add("~" + name);
      }
      manifests.put(name, manifest);
    }
    for (String name : List.copyOf(manifests.keySet())) {
      if (!found.containsKey(name)) {
        manifests.remove(name);
        DynamicBatcher b = batchers.remove(name);
        if (b != null) {
          b.close();
        }
        changes.add("-" + name);
      }
    }
    if (!changes.isEmpty()) {
      LOG.info("hot reload of {}: {}", root, changes);
    }
    return changes;
  }

  /**
   * Starts a thread ({@code sibyl-artifact-watch}) that calls {@link #reload()} every {@code
   * interval} until {@link #close()}. Polling rather than file events: artifacts are directories
   * written file by file, and events on nested directories are not portable.
   *
   * @param interval time between scans, positive; not null
   * @throws IllegalStateException when already watching or without an artifacts directory
   */
  public synchronized void watch(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("watch interval must be positive, got " + interval);
    }
    if (root == null || watcher != null) {
      throw new IllegalStateException(
          root == null ? "no artifacts directory to watch" : "already watching " + root);
    }
    long millis = Math.max(1, interval.toMillis());
    watcher =
        new Thread(
            () -> {
              while (!closed) {
                try {
                  Thread.sleep(millis);
                  reload();
                } catch (InterruptedException e) {
                  return;
                } catch (IOException | RuntimeException e) {
                  LOG.warn("hot reload of {} failed: {}", root, e.toString());
                }
              }
            },
            "sibyl-artifact-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** The served model names, sorted. */
  public List<String> names() {
    return List.copyOf(new TreeMap<>(batchers).keySet());
  }

  /**
   * The batcher of a model.
   *
   * @param name the model name
   * @return the batcher, or null when no model has that name
   */
  public DynamicBatcher batcher(String name) {
    return batchers.get(name);
  }

  /** Stops watching and closes every batcher (fails their queued requests). Idempotent. */
  @Override
  public void close() {
    closed = true;
    Thread w;
    synchronized (this) {
      w = watcher;
    }
    if (w != null) {
      w.interrupt();
      try {
        w.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      for (DynamicBatcher b : batchers.values()) {
        b.close();
      }
    }
  }
}
