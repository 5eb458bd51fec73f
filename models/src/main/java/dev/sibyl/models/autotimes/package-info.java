/**
 * AutoTimes (Liu et al., NeurIPS 2024): a frozen decoder-only language model used as an
 * autoregressive forecaster over 96-point segment tokens. One class per responsibility: the
 * hyperparameters {@link dev.sibyl.models.autotimes.AutoTimesConfig}; the segment embedding and
 * projection ({@code SegmentMlp}); the timestamp text {@link
 * dev.sibyl.models.autotimes.TimestampPrompt} and its LLM-embedding cache ({@code
 * TimestampEmbeddings}); the wiring around the backbone ({@code AutoTimesNetwork}); the model
 * {@link dev.sibyl.models.autotimes.AutoTimes} (one model for every horizon, by rollout, and
 * in-context prompts, {@link dev.sibyl.models.autotimes.InContextPrompt}, with calendar spans of
 * the tokens in {@code SegmentSpans}); the trainable family {@link dev.sibyl.models.autotimes.AutoTimesFamily}; the
 * incremental KV-cache session {@link dev.sibyl.models.autotimes.AutoTimesSession}; and the keyed,
 * bounded per-series cache the pipeline can use, {@link
 * dev.sibyl.models.autotimes.AutoTimesStreaming} (a {@link dev.sibyl.models.api.KeyedForecaster}).
 *
 * <p>The artifact refers to its backbone as Time-LLM's does (path and SHA-256 in the manifest,
 * checked on load; see {@link dev.sibyl.models.backbone.PinnedBackbone}).
 */
package dev.sibyl.models.autotimes;
