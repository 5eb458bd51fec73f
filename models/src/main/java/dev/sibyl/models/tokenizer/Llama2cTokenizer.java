package dev.sibyl.models.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The llama2.c tokenizer ({@code tokenizer.bin}, {@code tok512.bin}): a SentencePiece-style BPE
 * vocabulary with merge scores and byte fallback, ported from run.c's {@code encode} and {@code
 * decode}.
 *
 * <p>File format: int32 {@code max_token_length}, then per token float32 score, int32 byte length,
 * and the bytes (little-endian; no terminator). Ids 0, 1, 2 are {@code <unk>}, BOS and EOS; ids 3
 * to 258 are the byte tokens {@code <0x00>} to {@code <0xFF>}. Immutable and thread-safe.
 */
public final class Llama2cTokenizer implements Tokenizer {

  /** The beginning-of-sequence id of llama2.c vocabularies. */
  public static final int BOS = 1;

  /** The end-of-sequence id of llama2.c vocabularies. */
  public static final int EOS = 2;

  /** Id of the first byte token {@code <0x00>}: byte {@code b} is token {@code b + 3}. */
  static final int BYTE_OFFSET = 3;

  private final byte[][] pieces;
  private final float[] scores;
  private final int maxTokenLength;

  /** Piece bytes (as ISO-8859-1 strings, one char per byte) to the lowest id with them. */
  private final Map<String, Integer> ids;

  private Llama2cTokenizer(byte[][] pieces, float[] scores, int maxTokenLength) {
    this.pieces = pieces;
    this.scores = scores;
    this.maxTokenLength = maxTokenLength;
    this.ids = new HashMap<>(pieces.length * 2);
    for (int i = 0; i < pieces.length; i++) {
      ids.putIfAbsent(key(pieces[i]), i);
    }
  }

  /**
   * Reads a tokenizer file; the vocabulary size is the number of entries in it.
   *
   * @param file the {@code tokenizer.bin}; never null
   * @return the tokenizer
   * @throws IOException when the file cannot be read or is truncated or malformed
   */
  public static Llama2cTokenizer load(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    if (in.remaining() < Integer.BYTES) {
      throw new IOException(file + ": shorter than the int32 max_token_length header");
    }
    int maxTokenLength = in.getInt();
    if (maxTokenLength < 1) {
      throw new IOException(file + ": max_token_length must be >= 1, got " + maxTokenLength);
    }
    List<byte[]> pieces = new ArrayList<>();
    List<Float> scores = new ArrayList<>();
    while (in.hasRemaining()) {
      int id = pieces.size();
      if (in.remaining() < Float.BYTES + Integer.BYTES) {
        throw new IOException(file + ": truncated entry for token " + id);
      }
      float score = in.getFloat();
      int len = in.getInt();
      if (len < 0 || len > maxTokenLength || len > in.remaining()) {
        throw new IOException(
            file
                + ": token "
                + id
                + " length must be in [0, "
                + Math.min(maxTokenLength, in.remaining())
                + "], got "
                + len);
      }
      byte[] piece = new byte[len];
      in.get(piece);
      pieces.add(piece);
      scores.add(score);
    }
    if (pieces.size() < BYTE_OFFSET + 256) {
      throw new IOException(
          file
              + ": a llama2.c vocabulary has >= 259 tokens (3 specials, 256 bytes), got "
              + pieces.size());
    }
    float[] s = new float[scores.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = scores.get(i);
    }
    return new Llama2cTokenizer(pieces.toArray(new byte[0][]), s, maxTokenLength);
  }

  @Override
  public int vocabSize() {
    return pieces.length;
  }

  @Override
  public int bosId() {
    return BOS;
  }

  @Override
  public int eosId() {
    return EOS;
  }

  /**
   * The longest piece in bytes, from the file header.
   *
   * @return {@code max_token_length}
   */
  public int maxTokenLength() {
    return maxTokenLength;
  }

  /**
   * The raw vocabulary entry of a token (e.g. {@code "<0x0A>"} for a byte token).
   *
   * @param token the id, in {@code [0, vocabSize)}
   * @return a copy of its bytes
   */
  public byte[] piece(int token) {
    checkToken(token);
    return pieces[token].clone();
  }

  /**
   * The merge score of a token.
   *
   * @param token the id, in {@code [0, vocabSize)}
   * @return its score; higher merges first
   */
  public float score(int token) {
    checkToken(token);
    return scores[token];
  }

  /**
   * {@inheritDoc}
   *
   * <p>As run.c: a BOS is prepended on request; non-empty text gets the dummy-prefix token {@code "
   * "}; each UTF-8 character (at most 4 bytes) becomes its token or, when absent, its byte tokens;
   * then the adjacent pair whose concatenation is the best-scoring vocabulary entry merges, until
   * none does; an EOS is appended on request.
   */
  @Override
  public int[] encode(String text, boolean bos, boolean eos) {
    Objects.requireNonNull(text, "text");
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    int[] tokens = new int[utf8.length + 3];
    int n = 0;
    if (bos) {
      tokens[n++] = BOS;
    }
    // add_dummy_prefix: the "▁" of SentencePiece is a plain space in this vocabulary
    if (utf8.length > 0) {
      tokens[n++] = lookup(" ");
    }
    // one token per UTF-8 character, byte tokens as the fallback
    int start = 0;
    while (start < utf8.length) {
      int end = start + 1;
      while (end < utf8.length && (utf8[end] & 0xC0) == 0x80 && end - start < 4) {
        end++;
      }
      int id = lookup(key(Arrays.copyOfRange(utf8, start, end)));
      if (id != -1) {
        tokens[n++] = id;
      } else {
        for (int i = start; i < end; i++) {
          tokens[n++] = (utf8[i] & 0xFF) + BYTE_OFFSET;
        }
      }
      start = end;
    }
    // merge the best-scoring consecutive pair until no pair is in the vocabulary
    while (true) {
      float bestScore = -1e10f;
      int bestId = -1;
      int bestIdx = -1;
      for (int i = 0; i < n - 1; i++) {
        int id = lookup(key(pieces[tokens[i]]) + key(pieces[tokens[i + 1]]));
        if (id != -1 && scores[id] > bestScore) {
          bestScore = scores[id];
          bestId = id;
          bestIdx = i;
        }
      }
      if (bestIdx == -1) {
        break;
      }
      tokens[bestIdx] = bestId;
      System.arraycopy(tokens, bestIdx + 2, tokens, bestIdx + 1, n - bestIdx - 2);
      n--;
    }
    if (eos) {
      tokens[n++] = EOS;
    }
    return Arrays.copyOf(tokens, n);
  }

  /**
   * {@inheritDoc}
   *
   * <p>As run.c: after BOS the leading space of a piece is dropped, and a byte token {@code <0xNN>}
   * decodes to the raw byte (an empty piece for {@code <0x00>}, which C prints as nothing).
   */
  @Override
  public byte[] decode(int prevToken, int token) {
    checkToken(token);
    byte[] piece = pieces[token];
    int from = prevToken == BOS && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
    int b = byteValue(piece, from);
    if (b == 0) {
      return new byte[0];
    }
    if (b > 0) {
      return new byte[] {(byte) b};
    }
    return Arrays.copyOfRange(piece, from, piece.length);
  }

  /**
   * The byte of a {@code <0xNN>} piece as C's {@code sscanf(piece, "<0x%02hhX>")} reads it.
   *
   * @return the byte in {@code [0, 255]}, or -1 when the piece is not of that form
   */
  private static int byteValue(byte[] piece, int from) {
    if (piece.length - from < 4
        || piece[from] != '<'
        || piece[from + 1] != '0'
        || piece[from + 2] != 'x') {
      return -1;
    }
    int value = -1;
    for (int i = from + 3; i < Math.min(piece.length, from + 5); i++) {
      int digit = Character.digit(piece[i], 16);
      if (digit < 0) {
        break;
      }
      value = (value < 0 ? 0 : value * 16) + digit;
    }
    return value;
  }

  private int lookup(String key) {
    Integer id = ids.get(key);
    return id == null ? -1 : id;
  }

  private static String key(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private void checkToken(int token) {
    if (token < 0 || token >= pieces.length) {
      throw new IllegalArgumentException(
          "token must be in [0, " + pieces.length + "), got " + token);
    }
  }
}
