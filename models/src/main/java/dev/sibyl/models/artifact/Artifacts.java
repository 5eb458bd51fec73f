package dev.sibyl.models.artifact;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.models.api.ModelFamily;
import dev.sibyl.models.api.ModelRegistry;
import dev.sibyl.models.api.WindowModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Saves and loads artifacts: a directory with {@code manifest.json} and the family's weight files.
 *
 * <p>Format version 1, {@code manifest.json}: {@code formatVersion} (int), {@code family},
 * {@code version}, {@code hyperparameters} (string to string), {@code lookback}, {@code horizon},
 * {@code trainingDataFingerprint} (SHA-256 hex of the scaled training rows), {@code
 * validationMetrics} (string to number), {@code trainSeconds}, {@code dataset}, {@code createdAt}
 * (ISO-8601 instant). Weight files are the family's (DJL {@code NDList} encoding for the controls).
 * A prognostic model's manifest adds {@code kind} = {@code "prognostic"} and {@code inputColumns}
 * (array of strings), and its {@code lookback} (cycles the model reads, 0 for the whole history) and
 * {@code horizon} (0) are not checked; a manifest without {@code kind} is a forecaster's (the same
 * format version: the fields are additive). Loading checks, in order: the manifest exists and parses, the format version is known, the
 * required fields are present, a forecaster's family is registered (a prognostic's is checked by
 * {@code dev.sibyl.models.rul.Prognostics}); each failure is an {@link
 * ArtifactException} naming the path and the problem.
 */
public final class Artifacts {

  /** The manifest's file name. */
  public static final String MANIFEST = "manifest.json";

  /** The format version this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * A loaded artifact.
   *
   * @param manifest the manifest
   * @param model the model with its weights
   */
  public record Loaded(Manifest manifest, WindowModel model) {}

  private Artifacts() {}

  /**
   * Writes an artifact: creates the directory, the family's weight files, then the manifest (last,
   * so a directory with a manifest is complete).
   *
   * @param directory the artifact directory; created when missing; not null
   * @param manifest the manifest; its family must be the model's; not null
   * @param model the model; not null
   * @throws IOException when a file cannot be written
   * @throws IllegalArgumentException when the manifest's family or shape disagrees with the model
   */
  public static void save(Path directory, Manifest manifest, WindowModel model) throws IOException {
    Objects.requireNonNull(directory, "directory");
    if (!manifest.family().equals(model.family())
        || manifest.lookback() != model.lookback()
        || manifest.horizon() != model.horizon()) {
      throw new IllegalArgumentException(
          "manifest ("
              + manifest.family()
              + ", L="
              + manifest.lookback()
              + ", H="
              + manifest.horizon()
              + ") does not describe the model ("
              + model.family()
              + ", L="
              + model.lookback()
              + ", H="
              + model.horizon()
              + ")");
    }
    Files.createDirectories(directory);
    ModelRegistry.family(model.family()).saveWeights(model, directory);
    writeManifest(directory, manifest);
  }

  /**
   * Writes {@code manifest.json} into an existing artifact directory. Call it after the weight
   * files: a directory with a manifest is complete.
   *
   * @param directory the artifact directory; not null
   * @param manifest the manifest; not null
   * @throws IOException when the file cannot be written
   */
  public static void writeManifest(Path directory, Manifest manifest) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("formatVersion", manifest.formatVersion());
    root.put("family", manifest.family());
    root.put("version", manifest.version());
    root.set("hyperparameters", JSON.valueToTree(new java.util.TreeMap<>(manifest.hyperparameters())));
    root.put("lookback", manifest.lookback());
    root.put("horizon", manifest.horizon());
    root.put("trainingDataFingerprint", manifest.trainingDataFingerprint());
    root.set(
        "validationMetrics", JSON.valueToTree(new java.util.TreeMap<>(manifest.validationMetrics())));
    root.put("trainSeconds", manifest.trainSeconds());
    root.put("dataset", manifest.dataset());
    root.put("createdAt", manifest.createdAt());
    if (manifest.prognostic()) {
      root.put("kind", manifest.kind());
      root.set("inputColumns", JSON.valueToTree(manifest.inputColumns()));
    }
    JSON.writeValue(directory.resolve(MANIFEST).toFile(), root);
  }

  /** The current instant in ISO-8601, for {@link Manifest#createdAt()}. */
  public static String now() {
    return Instant.now().toString();
  }

  /**
   * Reads and checks a manifest.
   *
   * @param directory the artifact directory; not null
   * @return the manifest
   * @throws ArtifactException naming the path: missing or corrupt manifest, unknown format version,
   *     a missing field, or a family that is not registered
   */
  public static Manifest readManifest(Path directory) throws ArtifactException {
    Path file = directory.resolve(MANIFEST);
    // 1. Parse
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new ArtifactException(file, "no manifest (is this an artifact directory?)", e);
    } catch (JsonProcessingException e) {
      throw new ArtifactException(
          file, "corrupt manifest: not valid JSON (" + e.getOriginalMessage() + ")", e);
    } catch (IOException e) {
      throw new ArtifactException(file, "cannot read the manifest: " + e, e);
    }
    if (root == null || !root.isObject()) {
      throw new ArtifactException(file, "corrupt manifest: not a JSON object", null);
    }
    // 2. Version before anything else: a future format may name its fields differently
    JsonNode format = root.get("formatVersion");
    if (format == null || !format.isInt()) {
      throw new ArtifactException(file, "corrupt manifest: formatVersion missing or not an integer", null);
    }
    if (format.intValue() != FORMAT_VERSION) {
      throw new ArtifactException(
          file,
          "unknown formatVersion "
              + format.intValue()
              + " (this build reads "
              + FORMAT_VERSION
              + ")",
          null);
    }
    // 3. Fields
    String family = text(file, root, "family");
    String kind = root.path("kind").asText(Manifest.KIND_FORECASTER);
    if (!Manifest.KIND_FORECASTER.equals(kind) && !Manifest.KIND_PROGNOSTIC.equals(kind)) {
      throw new ArtifactException(file, "corrupt manifest: unknown kind '" + kind + "'", null);
    }
    boolean prognostic = Manifest.KIND_PROGNOSTIC.equals(kind);
    if (!prognostic && !ModelRegistry.contains(family)) {
      throw new ArtifactException(
          file,
          "family '" + family + "' is not registered (registered: " + ModelRegistry.names() + ")",
          null);
    }
    Map<String, String> hyperparameters = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = object(file, root, "hyperparameters").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      hyperparameters.put(e.getKey(), e.getValue().asText());
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = object(file, root, "validationMetrics").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      metrics.put(e.getKey(), e.getValue().asDouble());
    }
    List<String> columns = new ArrayList<>();
    if (prognostic) {
      JsonNode cols = root.get("inputColumns");
      if (cols == null || !cols.isArray() || cols.isEmpty()) {
        throw new ArtifactException(
            file, "corrupt manifest: field 'inputColumns' missing or not a non-empty array", null);
      }
      cols.forEach(c -> columns.add(c.asText()));
    }
    return new Manifest(
        FORMAT_VERSION,
        family,
        text(file, root, "version"),
        hyperparameters,
        prognostic ? root.path("lookback").asInt(0) : positive(file, root, "lookback"),
        prognostic ? root.path("horizon").asInt(0) : positive(file, root, "horizon"),
        text(file, root, "trainingDataFingerprint"),
        metrics,
        root.path("trainSeconds").asDouble(0),
        root.path("dataset").asText(""),
        text(file, root, "createdAt"),
        kind,
        columns);
  }

  /**
   * Loads an artifact: the manifest (see {@link #readManifest}), then the family's weights.
   *
   * @param directory the artifact directory; not null
   * @return the manifest and the model
   * @throws ArtifactException naming the path and the problem
   */
  public static Loaded load(Path directory) throws ArtifactException {
    Manifest manifest = readManifest(directory);
    if (manifest.prognostic()) {
      throw new ArtifactException(directory, "holds a prognostic model (" + manifest.family()
          + "), not a forecaster: load it with Prognostics.load", null);
    }
    ModelFamily family = ModelRegistry.family(manifest.family());
    try {
      WindowModel model =
          family.loadWeights(
              manifest.hyperparameters(),
              manifest.lookback(),
              manifest.horizon(),
              manifest.version(),
              directory);
      return new Loaded(manifest, model);
    } catch (ArtifactException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ArtifactException(directory, "cannot load the weights: " + e.getMessage(), e);
    }
  }

  private static String text(Path file, JsonNode root, String field) throws ArtifactException {
    JsonNode node = root.get(field);
    if (node == null || !node.isTextual()) {
      throw new ArtifactException(
          file, "corrupt manifest: field '" + field + "' missing or not a string", null);
    }
    return node.textValue();
  }

  private static int positive(Path file, JsonNode root, String field) throws ArtifactException {
    JsonNode node = root.get(field);
    if (node == null || !node.isInt() || node.intValue() < 1) {
      throw new ArtifactException(
          file, "corrupt manifest: field '" + field + "' missing or not a positive integer", null);
    }
    return node.intValue();
  }

  private static JsonNode object(Path file, JsonNode root, String field) throws ArtifactException {
    JsonNode node = root.get(field);
    if (node == null || !node.isObject()) {
      throw new ArtifactException(
          file, "corrupt manifest: field '" + field + "' missing or not an object", null);
    }
    return node;
  }
}
