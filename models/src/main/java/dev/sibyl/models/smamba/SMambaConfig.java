package dev.sibyl.models.smamba;

import dev.sibyl.models.api.WindowModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * S-Mamba's hyperparameters (immutable), parsed from and written to the artifact's string map.
 *
 * <p>Defaults are the reference ETTh1 script's ({@code scripts/multivariate_forecasting/ETT/
 * S_Mamba_ETTh1.sh} of wzhwzhwzh0921/S-D-Mamba): 2 layers, d_model 256, d_ff 256, d_state 2; the
 * Mamba blocks use d_conv 2 and expand 1 as the model file fixes them; dropout 0.1 is the run
 * script's default.
 *
 * @param dModel token width E
 * @param dState SSM state size N per channel
 * @param dFf feed-forward width
 * @param layers encoder layers
 * @param dConv causal depthwise convolution width
 * @param expand Mamba inner width = expand x dModel
 * @param dropout drop probability during training, in [0, 1)
 * @param channels the variates C the model mixes (its input order is part of the model)
 * @param channelNames the variates' names in input order (the training columns), so that the
 *     pipeline can map a point's channels to the model's inputs; empty when unknown (an artifact
 *     written before names were recorded), else of size {@code channels}; unmodifiable
 */
public record SMambaConfig(
    int dModel,
    int dState,
    int dFf,
    int layers,
    int dConv,
    int expand,
    double dropout,
    int channels,
    List<String> channelNames) {

  /** Key: token width. */
  public static final String D_MODEL = "d.model";

  /** Key: SSM state size. */
  public static final String D_STATE = "d.state";

  /** Key: feed-forward width. */
  public static final String D_FF = "d.ff";

  /** Key: encoder layers. */
  public static final String LAYERS = "layers";

  /** Key: convolution width. */
  public static final String D_CONV = "d.conv";

  /** Key: inner expansion factor. */
  public static final String EXPAND = "expand";

  /** Key: dropout probability. */
  public static final String DROPOUT = "dropout";

  /** Key: channel count; 0 (the default) takes it from the training data. */
  public static final String CHANNELS = "channels";

  /**
   * Key: the channels' names in input order, comma-separated; empty (the default) when unknown.
   * {@code sibyl train} sets it from the CSV header.
   */
  public static final String CHANNEL_NAMES = WindowModel.CHANNEL_NAMES;

  private static final Map<String, String> DEFAULTS;

  static {
    Map<String, String> d = new LinkedHashMap<>();
    d.put(D_MODEL, "256");
    d.put(D_STATE, "2");
    d.put(D_FF, "256");
    d.put(LAYERS, "2");
    d.put(D_CONV, "2");
    d.put(EXPAND, "1");
    d.put(DROPOUT, "0.1");
    d.put(CHANNELS, "0");
    d.put(CHANNEL_NAMES, "");
    DEFAULTS = java.util.Collections.unmodifiableMap(d);
  }

  /**
   * Checks the ranges.
   *
   * @throws IllegalArgumentException naming the key, its value and the range
   */
  public SMambaConfig {
    positive(D_MODEL, dModel);
    positive(D_STATE, dState);
    positive(D_FF, dFf);
    positive(LAYERS, layers);
    positive(D_CONV, dConv);
    positive(EXPAND, expand);
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException(
          "s-mamba hyperparameter '" + DROPOUT + "' must be in [0, 1), got " + dropout);
    }
    if (channels < 0) {
      throw new IllegalArgumentException(
          "s-mamba hyperparameter '" + CHANNELS + "' must be >= 0, got " + channels);
    }
    channelNames = List.copyOf(channelNames);
    if (!channelNames.isEmpty() && channelNames.size() != channels) {
      throw new IllegalArgumentException(
          "s-mamba hyperparameter '" + CHANNELS + "' is " + channels + " but '" + CHANNEL_NAMES
              + "' names " + channelNames.size() + " channels " + channelNames);
    }
  }

  private static void positive(String key, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(
          "s-mamba hyperparameter '" + key + "' must be an integer >= 1, got " + v);
    }
  }

  /** Every key with its default, in documentation order; unmodifiable. */
  public static Map<String, String> defaults() {
    return DEFAULTS;
  }

  /**
   * Parses a hyperparameter map; absent keys take their defaults.
   *
   * @param hyperparameters not null
   * @return the configuration
   * @throws IllegalArgumentException for an unknown key or a bad value, naming the key
   */
  public static SMambaConfig parse(Map<String, String> hyperparameters) {
    Set<String> known = DEFAULTS.keySet();
    for (String key : hyperparameters.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            "unknown s-mamba hyperparameter '" + key + "'; known: " + known);
      }
    }
    Map<String, String> m = new LinkedHashMap<>(DEFAULTS);
    m.putAll(hyperparameters);
    double dropout;
    try {
      dropout = Double.parseDouble(m.get(DROPOUT).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "s-mamba hyperparameter '" + DROPOUT + "' must be a number in [0, 1), got '"
              + m.get(DROPOUT) + "'", e);
    }
    List<String> names;
    try {
      names = WindowModel.parseChannelNames(m.get(CHANNEL_NAMES));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("s-mamba " + e.getMessage(), e);
    }
    int channels = integer(m, CHANNELS);
    return new SMambaConfig(
        integer(m, D_MODEL), integer(m, D_STATE), integer(m, D_FF), integer(m, LAYERS),
        integer(m, D_CONV), integer(m, EXPAND), dropout,
        channels == 0 ? names.size() : channels, names);
  }

  private static int integer(Map<String, String> m, String key) {
    try {
      return Integer.parseInt(m.get(key).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "s-mamba hyperparameter '" + key + "' must be an integer, got '" + m.get(key) + "'", e);
    }
  }

  /** The map stored in the manifest (every key); unmodifiable. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(D_MODEL, Integer.toString(dModel));
    m.put(D_STATE, Integer.toString(dState));
    m.put(D_FF, Integer.toString(dFf));
    m.put(LAYERS, Integer.toString(layers));
    m.put(D_CONV, Integer.toString(dConv));
    m.put(EXPAND, Integer.toString(expand));
    m.put(DROPOUT, Double.toString(dropout));
    m.put(CHANNELS, Integer.toString(channels));
    m.put(CHANNEL_NAMES, String.join(",", channelNames));
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * The same settings for another channel count.
   *
   * @throws IllegalArgumentException when the config names its channels and {@code c} differs
   */
  public SMambaConfig withChannels(int c) {
    return new SMambaConfig(dModel, dState, dFf, layers, dConv, expand, dropout, c, channelNames);
  }

  /** Mamba's inner width: expand x dModel. */
  public int dInner() {
    return expand * dModel;
  }

  /** The rank of the delta projection: ceil(dModel / 16), mamba_ssm's {@code dt_rank="auto"}. */
  public int dtRank() {
    return (dModel + 15) / 16;
  }
}
