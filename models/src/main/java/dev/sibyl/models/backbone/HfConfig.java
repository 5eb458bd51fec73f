package dev.sibyl.models.backbone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place where Hugging Face {@code config.json} names map to {@link DecoderConfig} fields,
 * for the Llama family (Llama, Qwen2, SmolLM, TinyLlama) and GPT-2.
 *
 * <p>{@code rope_theta} is read at the top level (transformers 4) or from {@code rope_parameters}
 * (transformers 5). Llama-3 RoPE scaling ({@code rope_type} "llama3" in {@code rope_scaling} or
 * {@code rope_parameters}; older configs spell the key {@code type}) becomes a {@link RopeScaling}.
 * Every unsupported setting is rejected by name rather than ignored (R10): other RoPE types
 * (linear, dynamic, yarn, longrope, ...), MLP biases, a
 * {@code head_dim} other than {@code hidden_size / num_attention_heads}, sliding-window attention,
 * activations other than SiLU (Llama) or tanh-approximated GELU (GPT-2).
 */
public final class HfConfig {

  /** The configuration file name. */
  public static final String FILE = "config.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private HfConfig() {}

  /**
   * Reads the {@code model_type} of a checkpoint directory.
   *
   * @param dir the directory holding {@value #FILE}; never null
   * @return the model type, e.g. {@code "llama"}, {@code "qwen2"}, {@code "gpt2"}
   * @throws IOException when the file is absent, malformed or has no {@code model_type}
   */
  public static String modelType(Path dir) throws IOException {
    return text(read(dir), dir, "model_type");
  }

  /**
   * Maps a Llama-family configuration ({@code model_type} llama or qwen2).
   *
   * @param dir the checkpoint directory; never null
   * @param maxSeqLen the cache bound to use, or 0 for {@code max_position_embeddings}
   * @return the configuration, with {@link RopeStyle#HALF}
   * @throws IOException when the file is unreadable, a key is missing, or a setting is unsupported
   */
  public static DecoderConfig llama(Path dir, int maxSeqLen) throws IOException {
    JsonNode c = read(dir);
    String type = text(c, dir, "model_type");
    if (!type.equals("llama") && !type.equals("qwen2")) {
      throw new IOException(
          dir + ": model_type " + type + " is not a supported Llama-family type (llama, qwen2)");
    }
    int dim = integer(c, dir, "hidden_size");
    int heads = integer(c, dir, "num_attention_heads");
    JsonNode headDim = c.get("head_dim");
    if (headDim != null && !headDim.isNull() && headDim.asInt() * heads != dim) {
      throw new IOException(
          dir + ": head_dim " + headDim.asInt() + " != hidden_size / num_attention_heads is not"
              + " supported");
    }
    // transformers 4 keeps RoPE scaling in rope_scaling; transformers 5 moves it, and rope_theta,
    // into rope_parameters, with a rope_type ("default" = plain)
    RopeScaling ropeScaling = null;
    JsonNode scaling = c.get("rope_scaling");
    if (scaling != null && !scaling.isNull()) {
      ropeScaling = ropeScaling(dir, "rope_scaling", scaling, false);
    }
    JsonNode ropeParams = c.path("rope_parameters");
    if (!ropeParams.isMissingNode() && !ropeParams.isNull()) {
      RopeScaling fromParams = ropeScaling(dir, "rope_parameters", ropeParams, true);
      if (fromParams != null) {
        if (ropeScaling != null && !ropeScaling.equals(fromParams)) {
          throw new IOException(
              dir + ": rope_scaling " + scaling + " and rope_parameters " + ropeParams
                  + " disagree");
        }
        ropeScaling = fromParams;
      }
    }
    double ropeTheta =
        c.has("rope_theta")
            ? c.get("rope_theta").asDouble()
            : ropeParams.path("rope_theta").asDouble(10000.0);
    if (c.path("mlp_bias").asBoolean(false)) {
      throw new IOException(dir + ": mlp_bias=true is not supported");
    }
    JsonNode sliding = c.get("use_sliding_window");
    if (sliding != null && sliding.asBoolean(false)) {
      throw new IOException(dir + ": use_sliding_window=true is not supported");
    }
    String act = c.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new IOException(dir + ": hidden_act " + act + " is not supported (silu is)");
    }
    try {
      return new DecoderConfig(
          dim,
          integer(c, dir, "intermediate_size"),
          integer(c, dir, "num_hidden_layers"),
          heads,
          c.has("num_key_value_heads") && !c.get("num_key_value_heads").isNull()
              ? c.get("num_key_value_heads").asInt()
              : heads,
          integer(c, dir, "vocab_size"),
          seqLen(maxSeqLen, integer(c, dir, "max_position_embeddings")),
          (float) c.path("rms_norm_eps").asDouble(1e-6),
          (float) ropeTheta,
          RopeStyle.HALF,
          c.path("tie_word_embeddings").asBoolean(false),
          ropeScaling);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Maps a GPT-2 configuration ({@code model_type} gpt2).
   *
   * @param dir the checkpoint directory; never null
   * @param maxSeqLen the cache bound to use, or 0 for {@code n_positions}
   * @return the configuration: {@code nKvHeads == nHeads}, {@link RopeStyle#NONE}, the classifier
   *     shared with the token embeddings, {@code normEps} the LayerNorm epsilon
   * @throws IOException when the file is unreadable, a key is missing, or a setting is unsupported
   */
  public static DecoderConfig gpt2(Path dir, int maxSeqLen) throws IOException {
    JsonNode c = read(dir);
    String type = text(c, dir, "model_type");
    if (!type.equals("gpt2")) {
      throw new IOException(dir + ": model_type " + type + " is not gpt2");
    }
    String act = c.path("activation_function").asText("gelu_new");
    if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
      throw new IOException(
          dir + ": activation_function " + act + " is not supported (gelu_new is)");
    }
    int dim = integer(c, dir, "n_embd");
    JsonNode inner = c.get("n_inner");
    int positions = integer(c, dir, "n_positions");
    int heads = integer(c, dir, "n_head");
    try {
      return new DecoderConfig(
          dim,
          inner == null || inner.isNull() ? 4 * dim : inner.asInt(),
          integer(c, dir, "n_layer"),
          heads,
          heads,
          integer(c, dir, "vocab_size"),
          seqLen(maxSeqLen, positions),
          (float) c.path("layer_norm_epsilon").asDouble(1e-5),
          10000f,
          RopeStyle.NONE,
          true);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a RoPE scaling object ({@code rope_scaling} or transformers 5 {@code rope_parameters}):
   * null for plain RoPE ({@code rope_type} "default"), a {@link RopeScaling} for "llama3" with its
   * four required parameters; any other rope type is rejected by name. The type is spelled {@code
   * rope_type}, or {@code type} in older configs.
   */
  private static RopeScaling ropeScaling(Path dir, String key, JsonNode node, boolean typeOptional)
      throws IOException {
    if (!node.isObject()) {
      throw new IOException(dir + ": " + key + " " + node + " is not supported (not an object)");
    }
    JsonNode typeNode = node.has("rope_type") ? node.get("rope_type") : node.get("type");
    if (typeNode == null || typeNode.isNull()) {
      if (typeOptional) {
        return null;
      }
      throw new IOException(dir + ": " + key + " " + node + " has no rope_type");
    }
    String type = typeNode.asText();
    if (type.equals("default")) {
      return null;
    }
    if (!type.equals("llama3")) {
      throw new IOException(
          dir + ": " + key + " rope_type " + type + " is not supported (default and llama3 are): "
              + node);
    }
    try {
      return new RopeScaling(
          number(node, dir, key, "factor"),
          number(node, dir, key, "low_freq_factor"),
          number(node, dir, key, "high_freq_factor"),
          (int) number(node, dir, key, "original_max_position_embeddings"));
    } catch (IllegalArgumentException e) {
      throw new IOException(dir + ": " + key + " " + node + ": " + e.getMessage(), e);
    }
  }

  private static double number(JsonNode node, Path dir, String key, String field)
      throws IOException {
    JsonNode v = node.get(field);
    if (v == null || !v.isNumber()) {
      throw new IOException(dir + ": " + key + " llama3 is missing number " + field + ": " + node);
    }
    return v.asDouble();
  }

  private static int seqLen(int requested, int fromConfig) {
    if (requested < 0) {
      throw new IllegalArgumentException("maxSeqLen must be >= 0, got " + requested);
    }
    return requested == 0 ? fromConfig : Math.min(requested, fromConfig);
  }

  private static JsonNode read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + ": no " + FILE);
    }
    return JSON.readTree(file.toFile());
  }

  private static String text(JsonNode c, Path dir, String key) throws IOException {
    JsonNode v = c.get(key);
    if (v == null || !v.isTextual()) {
      throw new IOException(dir.resolve(FILE) + ": missing string " + key);
    }
    return v.asText();
  }

  private static int integer(JsonNode c, Path dir, String key) throws IOException {
    JsonNode v = c.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new IOException(dir.resolve(FILE) + ": missing integer " + key);
    }
    return v.asInt();
  }
}
