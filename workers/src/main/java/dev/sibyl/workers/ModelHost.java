package dev.sibyl.workers;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The models a worker serves, each behind its own {@link DynamicBatcher}; owns the batchers and
 * closes them.
 *
 * <p>Loaded from an artifacts directory: every sub-directory holding a {@code manifest.json} is
 * one model, named by the sub-directory (so {@code artifacts/etth1-dlinear} is served as {@code
 * etth1-dlinear}). Other entries are ignored.
 */
public final class ModelHost implements AutoCloseable {

  private final Map<String, DynamicBatcher> batchers;

  private ModelHost(Map<String, DynamicBatcher> batchers) {
    this.batchers = Collections.unmodifiableMap(batchers);
  }

  /**
   * Serves the given models.
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
    Objects.requireNonNull(config, "config");
    Map<String, DynamicBatcher> batchers = new TreeMap<>();
    for (Map.Entry<String, WindowModel> e : models.entrySet()) {
      if (e.getKey().isEmpty()) {
        throw new IllegalArgumentException("a model name must not be empty");
      }
      batchers.put(e.getKey(), new DynamicBatcher(e.getKey(), e.getValue(), config, registry));
    }
    return new ModelHost(batchers);
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
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> entries = Files.list(root)) {
      entries
          .filter(p -> Files.isRegularFile(p.resolve(Artifacts.MANIFEST)))
          .sorted()
          .forEach(dirs::add);
    }
    Map<String, WindowModel> models = new TreeMap<>();
    for (Path dir : dirs) {
      models.put(dir.getFileName().toString(), Artifacts.load(dir).model());
    }
    return of(models, config, registry);
  }

  /** The served model names, sorted. */
  public List<String> names() {
    return List.copyOf(batchers.keySet());
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

  /** Closes every batcher (fails their queued requests). */
  @Override
  public void close() {
    for (DynamicBatcher b : batchers.values()) {
      b.close();
    }
  }
}
