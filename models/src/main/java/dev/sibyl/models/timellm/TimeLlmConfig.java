package dev.sibyl.models.timellm;

import dev.sibyl.models.train.EarlyStopping;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The hyperparameters of a Time-LLM model, parsed from (and written back to) the string map of an
 * artifact manifest. The backbone is part of them: its path and SHA-256 travel in the manifest, so
 * an artifact names the exact frozen checkpoint it was trained with and refuses another.
 *
 * @param lookback L
 * @param horizon H
 * @param patchLength points per patch (16)
 * @param patchStride stride between patches (8)
 * @param dModel patch-embedding width (32)
 * @param heads reprogramming attention heads (8)
 * @param dKeys width per head of the reprogramming attention
 * @param prototypes text prototypes (1000)
 * @param dFf hidden features kept per patch for the head (128, capped at the LLM width)
 * @param llmLayers backbone blocks used, 0 for all
 * @param llm false for the ablation without the language model
 * @param headReadsResidual true when the head reads the backbone's residual stream, false for its
 *     output after the final norm (the reference)
 * @param domain the data set's description in the prompt
 * @param promptTokens the fixed prompt length, 0 to size it from the template
 * @param trainStride every how many training windows an epoch uses (a random offset per epoch)
 * @param validationStride every how many validation windows the validation loss uses
 * @param oneCycle true for the reference's per-step OneCycle schedule, false for "type1" per epoch
 * @param backbone the checkpoint path as given to training
 * @param backboneSha256 the checkpoint's digest, empty before training
 * @param tokenizer the tokenizer path, empty for the one beside the checkpoint
 */
public record TimeLlmConfig(
    int lookback,
    int horizon,
    int patchLength,
    int patchStride,
    int dModel,
    int heads,
    int dKeys,
    int prototypes,
    int dFf,
    int llmLayers,
    boolean llm,
    boolean headReadsResidual,
    String domain,
    int promptTokens,
    int trainStride,
    int validationStride,
    boolean oneCycle,
    String backbone,
    String backboneSha256,
    String tokenizer) {

  /** Key: points per patch. */
  public static final String PATCH_LENGTH = "patch.length";
  /** Key: patch stride. */
  public static final String PATCH_STRIDE = "patch.stride";
  /** Key: patch-embedding width. */
  public static final String D_MODEL = "d.model";
  /** Key: reprogramming heads. */
  public static final String HEADS = "heads";
  /** Key: width per reprogramming head. */
  public static final String D_KEYS = "d.keys";
  /** Key: number of text prototypes. */
  public static final String PROTOTYPES = "prototypes";
  /** Key: hidden features per patch kept for the head. */
  public static final String D_FF = "d.ff";
  /** Key: backbone blocks used (0 = all). */
  public static final String LLM_LAYERS = "llm.layers";
  /** Key: false removes the language model (the ablation). */
  public static final String LLM = "llm";
  /**
   * Key: what the flatten head reads of the backbone's last block used: {@code normed} (its output
   * after the checkpoint's final norm, as the reference reads Hugging Face's last hidden state) or
   * {@code residual} (the residual stream before that norm).
   */
  public static final String HEAD_INPUT = "head.input";
  /** Key: the domain description. */
  public static final String DOMAIN = "domain";
  /** Key: the fixed prompt length in tokens (0 = sized from the template). */
  public static final String PROMPT_TOKENS = "prompt.tokens";
  /** Key: training-window sub-sampling stride per epoch. */
  public static final String TRAIN_STRIDE = "train.stride";
  /** Key: validation-window sub-sampling stride. */
  public static final String VALIDATION_STRIDE = "validation.stride";
  /**
   * Key: the learning-rate schedule, {@code type1} (halved every epoch from the third) or {@code
   * onecycle} (the reference's {@code OneCycleLR} stepped per batch: a cosine warm-up from lr/25
   * over the first 20% of the steps, then a cosine decay to lr/25/1e4).
   */
  public static final String LR_SCHEDULE = "lr.schedule";
  /** Key: the backbone checkpoint path (set by training from {@code --backbone}). */
  public static final String BACKBONE = "backbone";
  /** Key: the backbone checkpoint's SHA-256 (set by training). */
  public static final String BACKBONE_SHA256 = "backbone.sha256";
  /** Key: the tokenizer file (empty: {@code tok<vocab>.bin} or {@code tokenizer.bin} beside a llama2.c file, {@code tokenizer.json} in a Hugging Face directory). */
  public static final String TOKENIZER = "tokenizer";

  /** Every key with its default, in documentation order. */
  public static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put(PATCH_LENGTH, "16");
    d.put(PATCH_STRIDE, "8");
    d.put(D_MODEL, "32");
    d.put(HEADS, "8");
    d.put(D_KEYS, "16");
    d.put(PROTOTYPES, "1000");
    d.put(D_FF, "128");
    d.put(LLM_LAYERS, "0");
    d.put(LLM, "true");
    d.put(HEAD_INPUT, "normed");
    d.put(DOMAIN, "");
    d.put(PROMPT_TOKENS, "0");
    d.put(TRAIN_STRIDE, "1");
    d.put(VALIDATION_STRIDE, "1");
    d.put(LR_SCHEDULE, "type1");
    d.put(BACKBONE, "");
    d.put(BACKBONE_SHA256, "");
    d.put(TOKENIZER, "");
    return java.util.Collections.unmodifiableMap(d);
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
  public static TimeLlmConfig parse(Map<String, String> hp, int lookback, int horizon) {
    for (String key : hp.keySet()) {
      if (!DEFAULTS.containsKey(key)) {
        throw new IllegalArgumentException(
            "unknown time-llm hyperparameter '" + key + "'; known: " + DEFAULTS.keySet());
      }
    }
    int patchLength = positive(hp, PATCH_LENGTH);
    int patchStride = positive(hp, PATCH_STRIDE);
    if (patchLength > lookback) {
      throw new IllegalArgumentException(
          "time-llm hyperparameter '" + PATCH_LENGTH + "' must be at most the lookback " + lookback);
    }
    String llm = choice(hp, LLM, "true", "false");
    String headInput = choice(hp, HEAD_INPUT, "normed", "residual");
    String schedule = choice(hp, LR_SCHEDULE, "type1", "onecycle");
    return new TimeLlmConfig(
        lookback,
        horizon,
        patchLength,
        patchStride,
        positive(hp, D_MODEL),
        positive(hp, HEADS),
        positive(hp, D_KEYS),
        positive(hp, PROTOTYPES),
        positive(hp, D_FF),
        integer(hp, LLM_LAYERS, 0),
        llm.equals("true"),
        headInput.equals("residual"),
        hp.getOrDefault(DOMAIN, ""),
        integer(hp, PROMPT_TOKENS, 0),
        positive(hp, TRAIN_STRIDE),
        positive(hp, VALIDATION_STRIDE),
        schedule.equals("onecycle"),
        hp.getOrDefault(BACKBONE, ""),
        hp.getOrDefault(BACKBONE_SHA256, ""),
        hp.getOrDefault(TOKENIZER, ""));
  }

  private static String choice(Map<String, String> hp, String key, String first, String second) {
    String value = hp.getOrDefault(key, DEFAULTS.get(key)).trim().toLowerCase(Locale.ROOT);
    if (!value.equals(first) && !value.equals(second)) {
      throw new IllegalArgumentException(
          "time-llm hyperparameter '" + key + "' must be " + first + " or " + second + ", got '" + value + "'");
    }
    return value;
  }

  private static int positive(Map<String, String> hp, String key) {
    return integer(hp, key, 1);
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
        "time-llm hyperparameter '" + key + "' must be an integer >= " + min + ", got '" + raw + "'");
  }

  /** Patches per window: {@code (L - patchLength) / patchStride + 2} (the end padded by one stride). */
  public int patches() {
    return (lookback - patchLength) / patchStride + 2;
  }

  /**
   * The learning rate of one optimiser step.
   *
   * @param max the configured learning rate
   * @param epoch 1-based
   * @param step 0-based over the whole run
   * @param steps steps of the whole run (epochs x batches per epoch)
   * @return the rate
   */
  public double learningRate(double max, int epoch, int step, int steps) {
    if (!oneCycle) {
      return EarlyStopping.type1(max, epoch);
    }
    // torch.optim.lr_scheduler.OneCycleLR with the reference's pct_start 0.2 and PyTorch's
    // div_factor 25, final_div_factor 1e4, cosine annealing
    double initial = max / 25;
    double last = initial / 1e4;
    double warm = Math.max(1, 0.2 * steps - 1);
    if (step <= warm) {
      return cosine(initial, max, step / warm);
    }
    return cosine(max, last, Math.min(1, (step - warm) / Math.max(1, steps - 1 - warm)));
  }

  private static double cosine(double from, double to, double fraction) {
    return to + (from - to) / 2 * (1 + Math.cos(Math.PI * fraction));
  }

  /**
   * A copy with other values for some keys.
   *
   * @param changes keys and values; not null
   * @return the new configuration
   */
  public TimeLlmConfig with(Map<String, String> changes) {
    Map<String, String> m = new LinkedHashMap<>(toMap());
    m.putAll(changes);
    return parse(m, lookback, horizon);
  }

  /** Every key with its value, in documentation order, for the manifest. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PATCH_LENGTH, "" + patchLength);
    m.put(PATCH_STRIDE, "" + patchStride);
    m.put(D_MODEL, "" + dModel);
    m.put(HEADS, "" + heads);
    m.put(D_KEYS, "" + dKeys);
    m.put(PROTOTYPES, "" + prototypes);
    m.put(D_FF, "" + dFf);
    m.put(LLM_LAYERS, "" + llmLayers);
    m.put(LLM, "" + llm);
    m.put(HEAD_INPUT, headReadsResidual ? "residual" : "normed");
    m.put(DOMAIN, domain);
    m.put(PROMPT_TOKENS, "" + promptTokens);
    m.put(TRAIN_STRIDE, "" + trainStride);
    m.put(VALIDATION_STRIDE, "" + validationStride);
    m.put(LR_SCHEDULE, oneCycle ? "onecycle" : "type1");
    m.put(BACKBONE, backbone);
    m.put(BACKBONE_SHA256, backboneSha256);
    m.put(TOKENIZER, tokenizer);
    return java.util.Collections.unmodifiableMap(m);
  }
}
