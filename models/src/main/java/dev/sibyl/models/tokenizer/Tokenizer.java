package dev.sibyl.models.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back, for a decoder's vocabulary.
 *
 * <p>Implemented by {@link Llama2cTokenizer} (llama2.c {@code tokenizer.bin}) and by {@link
 * HfTokenizer} (Hugging Face {@code tokenizer.json}). Decoding is per token and yields bytes,
 * because a token may hold part of a UTF-8 character; callers that stream text join the bytes.
 */
public interface Tokenizer extends AutoCloseable {

  /**
   * The vocabulary size.
   *
   * @return the number of token ids, which are {@code [0, vocabSize)}
   */
  int vocabSize();

  /**
   * The beginning-of-sequence id.
   *
   * @return the id, or -1 when the vocabulary has none
   */
  int bosId();

  /**
   * The end-of-sequence id.
   *
   * @return the id, or -1 when the vocabulary has none
   */
  int eosId();

  /**
   * Encodes text.
   *
   * @param text the text; never null, may be empty
   * @param bos whether to prepend the beginning-of-sequence id
   * @param eos whether to append the end-of-sequence id
   * @return the token ids; never null
   * @throws IllegalStateException when {@code bos} or {@code eos} is asked for but the vocabulary
   *     has no such id
   */
  int[] encode(String text, boolean bos, boolean eos);

  /**
   * Decodes one token as it follows {@code prevToken}, the way a streaming printer sees it.
   *
   * @param prevToken the previous token id, or -1 at the start
   * @param token the token id, in {@code [0, vocabSize)}
   * @return the bytes of the piece; never null, may be empty
   * @throws IllegalArgumentException when {@code token} is out of range
   */
  byte[] decode(int prevToken, int token);

  /**
   * Decodes a sequence by joining {@link #decode(int, int)} pieces, each given its predecessor
   * ({@code -1} before the first), as UTF-8 (malformed bytes become U+FFFD).
   *
   * @param tokens the token ids; never null
   * @return the text; never null
   */
  default String decode(int[] tokens) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int prev = -1;
    for (int token : tokens) {
      out.writeBytes(decode(prev, token));
      prev = token;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Frees native resources, if any. The default does nothing. */
  @Override
  default void close() {}
}
