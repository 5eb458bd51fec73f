package dev.sibyl.models.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A trained model from lookback windows to forecasts, batched over windows and channels. See the
 * package documentation for how channel-independent and multivariate models share it.
 * Implementations are immutable and thread-safe.
 */
public interface WindowModel {

  /**
   * Hyperparameter of a multivariate model ({@link #channels()} {@code > 0}): its channels' names in
   * input order, comma-separated, as the training columns were named (ETTh1: {@code
   * HUFL,HULL,MUFL,MULL,LUFL,LULL,OT}). The pipeline maps the channels of a source's points to the
   * model's inputs by these names, and refuses a multivariate artifact without them.
   */
  String CHANNEL_NAMES = "channel.names";

  /** The family name, as registered in {@link ModelRegistry}. */
  String family();

  /** The model version (the artifact's). */
  String version();

  /** L, the lookback every window must have. */
  int lookback();

  /** H, the horizon the model was trained for. */
  int horizon();

  /**
   * The channel count the model needs, or 0 for a channel-independent model that takes any number
   * (each channel forecast alone with shared weights).
   */
  int channels();

  /**
   * Whether the model rolls its own output forward, so that it serves any horizon; a direct
   * multi-step model (DLinear) serves only horizons up to {@link #horizon()}.
   */
  boolean autoregressive();

  /** The hyperparameters the model was built with, as stored in its manifest; unmodifiable. */
  Map<String, String> hyperparameters();

  /** Number of trained parameters. */
  long parametersTrainable();

  /** Number of parameters, frozen ones (an LLM backbone) included. */
  long parametersTotal();

  /**
   * Forecasts a batch of windows.
   *
   * @param windows shape (batch, channels, lookback); channels must equal {@link #channels()} when
   *     that is positive; not null
   * @param horizon steps to forecast, in {@code [1, horizon()]}, or any positive number when the
   *     model is {@link #autoregressive()}
   * @return shape (batch, channels, horizon)
   * @throws IllegalArgumentException when a shape is wrong or the horizon not served, naming the
   *     expected and actual values
   */
  double[][][] predict(double[][][] windows, int horizon);

  /**
   * Forecasts a batch of windows whose rows carry their times. A model that writes calendar times
   * into its input (AutoTimes with {@code timestamps=calendar}) needs this call and refuses {@link
   * #predict(double[][][], int)}; every other model ignores the times (the default).
   *
   * @param windows shape (batch, channels, lookback); not null
   * @param times per window, its rows' times in epoch milliseconds, increasing; shape (batch,
   *     lookback); may be null for a model that does not use them
   * @param horizon as for {@link #predict(double[][][], int)}
   * @return shape (batch, channels, horizon)
   * @throws IllegalArgumentException as for {@link #predict(double[][][], int)}, or when a model
   *     that needs the times gets none or times of the wrong shape
   */
  default double[][][] predict(double[][][] windows, long[][] times, int horizon) {
    return predict(windows, horizon);
  }

  /**
   * Parses the value of {@link #CHANNEL_NAMES}.
   *
   * @param raw comma-separated names; blank for none; not null
   * @return the names, stripped, in order; empty when {@code raw} is blank; unmodifiable
   * @throws IllegalArgumentException when a name is empty or repeated
   */
  static List<String> parseChannelNames(String raw) {
    if (raw.isBlank()) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String part : raw.split(",", -1)) {
      String name = part.strip();
      if (name.isEmpty() || !seen.add(name)) {
        throw new IllegalArgumentException(
            "hyperparameter '" + CHANNEL_NAMES + "' must be distinct, non-empty names separated"
                + " by commas, got '" + raw + "'");
      }
      names.add(name);
    }
    return List.copyOf(names);
  }

  /**
   * Checks a request against the model; implementations call it first.
   *
   * @param model the model; not null
   * @param windows shape (batch, channels, lookback)
   * @param horizon the requested horizon
   * @throws IllegalArgumentException naming the expected and actual shape or horizon
   */
  static void checkRequest(WindowModel model, double[][][] windows, int horizon) {
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    if (horizon > model.horizon() && !model.autoregressive()) {
      throw new IllegalArgumentException(
          model.family()
              + " model was trained for horizon "
              + model.horizon()
              + " and does not roll forward; asked for horizon "
              + horizon
              + " (train one model per horizon)");
    }
    for (double[][] window : windows) {
      if (model.channels() > 0 && window.length != model.channels()) {
        throw new IllegalArgumentException(
            model.family() + " needs " + model.channels() + " channels, got " + window.length);
      }
      for (double[] channel : window) {
        if (channel.length != model.lookback()) {
          throw new IllegalArgumentException(
              model.family()
                  + " needs windows of lookback "
                  + model.lookback()
                  + ", got "
                  + channel.length);
        }
      }
    }
  }
}
