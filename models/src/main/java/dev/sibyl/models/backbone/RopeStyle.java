package dev.sibyl.models.backbone;

/**
 * How rotary position embeddings (RoPE, Su et al. 2021) pair the features of a head.
 *
 * <p>Both styles rotate pair {@code i} (for {@code i} in {@code [0, headSize / 2)}) by the angle
 * {@code pos * theta^(-2i / headSize)}; they differ only in which two features form the pair.
 */
public enum RopeStyle {
  /** Adjacent features {@code (2i, 2i + 1)}: llama2.c and Meta's original Llama checkpoints. */
  INTERLEAVED,
  /**
   * Features {@code (i, i + headSize / 2)}: Hugging Face {@code rotate_half}, whose Llama
   * checkpoints permute wq and wk accordingly.
   */
  HALF,
  /**
   * No rotary embedding: the model learns absolute position embeddings instead (GPT-2); {@link
   * LlamaDecoder} rejects it.
   */
  NONE
}
