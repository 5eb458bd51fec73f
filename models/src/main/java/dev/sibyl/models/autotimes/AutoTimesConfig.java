package dev.sibyl.models.autotimes;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The hyperparameters of an AutoTimes model, parsed from (and written back to) the string map of
 * an artifact manifest. As for Time-LLM, the backbone's path and SHA-256 are part of them, so an
 * artifact names the exact frozen checkpoint it was trained with and refuses another.
 *
 * @param lookback L, the context; a multiple of the segment length
 * @param horizon H the artifact was trained with (the model serves any horizon)
 * @param segmentLength points per segment token (96)
 * @param mlpHidden hidden width of the segment embedding and projection MLPs, 0 for single linear
 *     layers
 * @param llm false for the ablation without the language model
 * @param llmLayers backbone blocks used, 0 for all
 * @param timestamps {@code relative} to add the timestamp-text embeddings counted from the
 *     context's start, {@code calendar} to add them written from the rows' calendar times (the
 *     paper's texts; the windows must then come with their times), {@code none} to leave them out
 * @param trainStride every how many training windows an epoch uses (a random offset per epoch)
 * @param validationStride every how many validation windows the validation loss uses
 * @param streamMaxSegments the most segments a streaming session caches before it rebuilds
 * @param backbone the checkpoint path as given to training
 * @param backboneSha256 the checkpoint's digest, empty before training
 * @param tokenizer the tokenizer path, empty for the one beside the checkpoint
 */
public record AutoTimesConfig(
    int lookback,
    int horizon,
    int segmentLength,
    int mlpHidden,
    boolean llm,
    int llmLayers,
    String timestamps,
    int trainStride,
    int validationStride,
    int streamMaxSegments,
    String backbone,
    String backboneSha256,
    String tokenizer) {

  /** Key: points per segment token. */
  public static final String SEGMENT_LENGTH = "segment.length";
  /** Key: hidden width of the embedding and projection MLPs (0 = linear). */
  public static final String MLP_HIDDEN = "mlp.hidden";
  /** Key: false removes the language model (the ablation). */
  public static final String LLM = "llm";
  /** Key: backbone blocks used (0 = all). */
  public static final String LLM_LAYERS = "llm.layers";
  /** Key: timestamp embeddings, {@code relative}, {@code calendar} or {@code none}. */
  public static final String TIMESTAMPS = "timestamps";
  /** Key: training-window sub-sampling stride per epoch. */
  public static final String TRAIN_STRIDE = "train.stride";
  /** Key: validation-window sub-sampling stride. */
  public static final String VALIDATION_STRIDE = "validation.stride";
  /** Key: the most segments a streaming session holds in its cache. */
  public static final String STREAM_MAX_SEGMENTS = "stream.max.segments";
  /** Key: the backbone checkpoint path (set by training from {@code --backbone}). */
  public static final String BACKBONE = "backbone";
  /** Key: the backbone checkpoint's SHA-256 (set by training). */
  public static final String BACKBONE_SHA256 = "backbone.sha256";
  /** Key: the tokenizer file (empty: the one beside the checkpoint). */
  public static final String TOKENIZER = "tokenizer";

  /** The timestamp mode that adds the timestamp-text embeddings. */
  public static final String RELATIVE = "relative";
  /**
   * The timestamp mode that writes the texts from the rows' calendar times (the reference's); the
   * model then needs every window's times.
   */
  public static final String CALENDAR = "calendar";
  /** The timestamp mode without them. */
  public static final String NONE = "none";

  /** Every key with its default, in documentation order. */
  public static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put(SEGMENT_LENGTH, "96");
    d.put(MLP_HIDDEN, "256");
    d.put(LLM, "true");
    d.put(LLM_LAYERS, "0");
    d.put(TIMESTAMPS, RELATIVE);
    d.put(TRAIN_STRIDE, "1");
    d.put(VALIDATION_STRIDE, "1");
    d.put(STREAM_MAX_SEGMENTS, "14");
    d.put(BACKBONE, "");
    d.put(BACKBONE_SHA256, "");
    d.put(TOKENIZER, "");
    return Collections.unmodifiableMap(d);
  }

  /**
   * Parses a hyperparameter map; absent keys take their defaults.
   *
   * @param hp the map; not null
   * @param lookback L
   * @param horizon H
   * @return the configuration
   * @throws IllegalArgumentException for an unknown key or a bad value, naming the key
   */
  public static AutoTimesConfig parse(Map<String, String> hp, int lookback, int horizon) {
    for (String key : hp.keySet()) {
      if (!DEFAULTS.containsKey(key)) {
        throw new IllegalArgumentException(
            "unknown autotimes hyperparameter '" + key + "'; known: " + DEFAULTS.keySet());
      }
    }
    int segment = integer(hp, SEGMENT_LENGTH, 1);
    if (lookback < segment || lookback % segment != 0) {
      throw new IllegalArgumentException(
          "autotimes lookback must be a positive multiple of '" + SEGMENT_LENGTH + "'=" + segment
              + ", got " + lookback);
    }
    String llm = hp.getOrDefault(LLM, DEFAULTS.get(LLM)).trim().toLowerCase(Locale.ROOT);
    if (!llm.equals("true") && !llm.equals("false")) {
      throw new IllegalArgumentException(
          "autotimes hyperparameter '" + LLM + "' must be true or false, got '" + llm + "'");
    }
    String ts = hp.getOrDefault(TIMESTAMPS, RELATIVE).trim().toLowerCase(Locale.ROOT);
    if (!ts.equals(RELATIVE) && !ts.equals(CALENDAR) && !ts.equals(NONE)) {
      throw new IllegalArgumentException(
          "autotimes hyperparameter '" + TIMESTAMPS + "' must be relative, calendar or none, got '" + ts + "'");
    }
    int maxSegments = integer(hp, STREAM_MAX_SEGMENTS, 1);
    if (maxSegments < lookback / segment + 1) {
      throw new IllegalArgumentException(
          "autotimes hyperparameter '" + STREAM_MAX_SEGMENTS + "' must be at least the context's "
              + lookback / segment + " segments + 1, got " + maxSegments);
    }
    return new AutoTimesConfig(
        lookback,
        horizon,
        segment,
        integer(hp, MLP_HIDDEN, 0),
        llm.equals("true"),
        integer(hp, LLM_LAYERS, 0),
        ts,
        integer(hp, TRAIN_STRIDE, 1),
        integer(hp, VALIDATION_STRIDE, 1),
        maxSegments,
        hp.getOrDefault(BACKBONE, ""),
        hp.getOrDefault(BACKBONE_SHA256, ""),
        hp.getOrDefault(TOKENIZER, ""));
  }

  private static int integer(Map<String, String> hp, String key, int min) {
    String raw = hp.getOrDefault(key, DEFAULTS.get(key));
    try {
      int v = Integer.parseInt(raw.trim());
      if (v >= min) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "autotimes hyperparameter '" + key + "' must be an integer >= " + min + ", got '" + raw + "'");
  }

  /** Segments in the context: {@code L / segmentLength} (7 at L = 672). */
  public int segments() {
    return lookback / segmentLength;
  }

  /** Whether the timestamp-text embeddings are added (relative or calendar). */
  public boolean useTimestamps() {
    return RELATIVE.equals(timestamps) || CALENDAR.equals(timestamps);
  }

  /** Whether the texts are written from calendar times, so that windows need their times. */
  public boolean calendar() {
    return CALENDAR.equals(timestamps);
  }

  /**
   * A copy with other values for some keys.
   *
   * @param changes keys and values; not null
   * @return the new configuration
   */
  public AutoTimesConfig with(Map<String, String> changes) {
    Map<String, String> m = new LinkedHashMap<>(toMap());
    m.putAll(changes);
    return parse(m, lookback, horizon);
  }

  /** Every key with its value, in documentation order, for the manifest. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(SEGMENT_LENGTH, "" + segmentLength);
    m.put(MLP_HIDDEN, "" + mlpHidden);
    m.put(LLM, "" + llm);
    m.put(LLM_LAYERS, "" + llmLayers);
    m.put(TIMESTAMPS, timestamps);
    m.put(TRAIN_STRIDE, "" + trainStride);
    m.put(VALIDATION_STRIDE, "" + validationStride);
    m.put(STREAM_MAX_SEGMENTS, "" + streamMaxSegments);
    m.put(BACKBONE, backbone);
    m.put(BACKBONE_SHA256, backboneSha256);
    m.put(TOKENIZER, tokenizer);
    return Collections.unmodifiableMap(m);
  }
}
