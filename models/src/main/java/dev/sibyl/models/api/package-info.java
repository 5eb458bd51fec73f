/**
 * The model API shared by every forecasting family, and the one the streaming pipeline calls.
 *
 * <h2>Two levels</h2>
 *
 * <ul>
 *   <li>{@link dev.sibyl.models.api.Forecaster}: one series, one window, a forecast with intervals.
 *       The streaming pipeline calls only this. {@link dev.sibyl.models.api.ForecasterRegistry}
 *       creates one from {@code model.family} and the {@code model.option.*} map.
 *   <li>{@link dev.sibyl.models.api.WindowModel}: a trained model from batched lookback windows,
 *       shape (batch, channels, lookback), to forecasts, shape (batch, channels, horizon). Both
 *       channel-independent models (DLinear, AR, Time-LLM, AutoTimes, SMETimes: every channel is its
 *       own series, shared weights, {@code channels() == 0}) and multivariate ones (S-Mamba mixes the
 *       variates: {@code channels() == C}) fit this one shape. A model trained for horizon H answers
 *       only horizons up to H unless it is {@link dev.sibyl.models.api.WindowModel#autoregressive()}
 *       (AR, AutoTimes, SMETimes roll their own output forward).
 *   <li>{@link dev.sibyl.models.api.JointForecaster}: the channels of one source at once, for a
 *       multivariate model. A multivariate model names its channels in input order (hyperparameter
 *       {@link dev.sibyl.models.api.WindowModel#CHANNEL_NAMES}), and the pipeline maps the channels of
 *       a point to the model's inputs by those names; it takes its joint path when the configured
 *       forecaster is a {@code JointForecaster}. An LLM-backed channel-independent model is served
 *       by {@link dev.sibyl.models.api.BatchedForecaster}, whose {@code forecastBatch} makes one
 *       model call for many series; the pipeline gives it the due channels of a source together.
 * </ul>
 *
 * <h2>Families (the SPI)</h2>
 *
 * <p>A {@link dev.sibyl.models.api.ModelFamily} is registered by name in {@link
 * dev.sibyl.models.api.ModelRegistry}. It creates an untrained model from hyperparameters, trains
 * one from {@link dev.sibyl.models.api.TrainingData} (train and validation rows, already scaled)
 * with {@link dev.sibyl.models.api.TrainingOptions} and reports progress to a {@link
 * dev.sibyl.models.api.TrainingListener}, and writes / reads its weight files inside an artifact
 * directory ({@code dev.sibyl.models.artifact.Artifacts} writes the manifest). {@link
 * dev.sibyl.models.api.ForecasterRegistry#create} serves a trained family to the pipeline through
 * {@link dev.sibyl.models.api.TrainedForecasters}: the artifact's model, applied to one series with
 * per-window standardisation, wrapped in split-conformal intervals; a multivariate model through
 * {@link dev.sibyl.models.api.MultivariateForecaster}, the same standardisation and intervals per
 * channel around one call for all the channels of a source.
 *
 * <h2>Prognostics and anomalies</h2>
 *
 * <p>{@link dev.sibyl.models.api.Prognostic} (health state probabilities and remaining useful life
 * from a unit's history of raw, named measurements; the ARPHMM and the CNN control, trained by
 * {@code sibyl train --model arphmm|cnn-rul} and loaded with {@code
 * dev.sibyl.models.rul.Prognostics#load}) and {@link dev.sibyl.models.api.AnomalyDetector} (scores
 * observations against calibrated forecast intervals, with per-series state the caller owns).
 *
 * <h2>Choices</h2>
 *
 * <ul>
 *   <li>Arrays are {@code double[]} on the API: the pipeline and the evaluation harness work in
 *       doubles; DJL models convert to float at their boundary.
 *   <li>Hyperparameters are a string map, stored verbatim in the artifact manifest, so that a family
 *       can add one without changing this API; each family validates its own keys and names the bad
 *       key in its message.
 *   <li>Models are immutable after training and thread-safe; per-sequence state (KV caches, SSM
 *       state) belongs to the caller (style rule R3).
 * </ul>
 */
package dev.sibyl.models.api;
