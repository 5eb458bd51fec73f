/**
 * Time-LLM (Jin et al., ICLR 2024): a frozen decoder-only language model reprogrammed for
 * forecasting. One class per stage: {@link dev.sibyl.models.norm.RevIn}, {@link
 * dev.sibyl.models.timellm.PatchEmbedding}, {@link dev.sibyl.models.timellm.ReprogrammingLayer},
 * {@link dev.sibyl.models.timellm.PromptBuilder}, the wiring around the backbone ({@code
 * TimeLlmNetwork}), the model {@link dev.sibyl.models.timellm.TimeLlm} and the trainable family
 * {@link dev.sibyl.models.timellm.TimeLlmFamily}.
 *
 * <p>How an artifact refers to its backbone: the backbone is not copied into the artifact. The
 * manifest's hyperparameters hold {@code backbone} (the checkpoint path exactly as given to {@code
 * sibyl train --backbone}, so a relative path is resolved against the working directory of the
 * process that loads the artifact), {@code backbone.sha256} (of the llama2.c file, or of a Hugging
 * Face directory's {@code config.json} and {@code *.safetensors} in name order) and {@code
 * tokenizer} (empty: the tokenizer beside the checkpoint). Loading fails with an {@link
 * java.io.IOException} naming the path when the checkpoint is missing, and naming both digests
 * when it differs from the one trained with.
 */
package dev.sibyl.models.timellm;
