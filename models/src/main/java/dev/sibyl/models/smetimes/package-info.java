/**
 * SMETimes (Fan et al., 2025): small language models as forecasters, on AutoTimes' protocol and
 * parts (segment embedding, timestamp texts, pinned backbone, rollout, KV-cache streaming), with
 * SMETimes' own: the statistical prompt per segment ({@link
 * dev.sibyl.models.smetimes.StatisticalPrompt}) embedded by the frozen LLM and cached ({@code
 * PromptEmbeddings}), the adaptive fusion and the mixture of experts ({@code MixtureOfExperts})
 * wired in {@code SmeTimesNetwork}, the model {@link dev.sibyl.models.smetimes.SmeTimes}, its
 * family {@link dev.sibyl.models.smetimes.SmeTimesFamily}, and the streaming forecaster {@link
 * dev.sibyl.models.smetimes.SmeTimesStreaming} over {@link
 * dev.sibyl.models.smetimes.SmeTimesSession}.
 *
 * <p>Hyperparameters: every AutoTimes key, plus {@code prompt} (true / false), {@code fusion}
 * (learned / fixed), {@code experts} (K, 4), {@code balance.weight} (0.01), {@code rollout.weight}
 * (0; 1 adds the rollout loss in training), {@code rollout.steps} (K, 2: the rollout loss's chain of
 * predictions fed back), {@code base.segments} (B, the lookback
 * segments the base predictor reads; 0, the default, for the whole context) and {@code
 * prompt.cache} (131072 embeddings). The ablations are {@code prompt=false}, {@code fusion=fixed}
 * and {@code experts=1}. The artifact pins its backbone exactly as AutoTimes' and Time-LLM's do.
 */
package dev.sibyl.models.smetimes;
