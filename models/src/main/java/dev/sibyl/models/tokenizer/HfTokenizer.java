package dev.sibyl.models.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer (BPE, byte-level BPE, WordPiece, Unigram), run
 * by DJL's binding of the Rust {@code tokenizers} library; no network access.
 *
 * <p>The beginning- and end-of-sequence ids come from {@code tokenizer_config.json} beside the file
 * ({@code bos_token}, {@code eos_token}) when present, and otherwise from the usual special token
 * names ({@code <s>}, {@code <|begin_of_text|>}, ... and {@code </s>}, {@code <|end_of_text|>},
 * {@code <|endoftext|>}, {@code <|im_end|>}); GPT-2's {@code <|endoftext|>} serves as both. The
 * tokenizer's own post-processor (special tokens) is never applied: {@link #encode} adds BOS and
 * EOS only when asked. Holds native memory: close it. Thread-safe as the native library is.
 */
public final class HfTokenizer implements Tokenizer {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> BOS_NAMES =
      List.of("<s>", "<|begin_of_text|>", "<|startoftext|>", "<bos>", "<|endoftext|>");
  private static final List<String> EOS_NAMES =
      List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>", "<|im_end|>");

  private final HuggingFaceTokenizer tokenizer;
  private final int vocabSize;
  private final int bos;
  private final int eos;

  private HfTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, int bos, int eos) {
    this.tokenizer = tokenizer;
    this.vocabSize = vocabSize;
    this.bos = bos;
    this.eos = eos;
  }

  /**
   * Loads a tokenizer.
   *
   * @param file the {@code tokenizer.json} file, or a directory holding one; never null
   * @return the tokenizer; the caller closes it
   * @throws IOException when the file is missing or the library rejects it
   */
  public static HfTokenizer load(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    Path json = Files.isDirectory(file) ? file.resolve("tokenizer.json") : file;
    if (!Files.isRegularFile(json)) {
      throw new IOException(json + ": no tokenizer.json");
    }
    JsonNode root = JSON.readTree(json.toFile());
    Map<String, Integer> ids = new HashMap<>();
    int maxId = -1;
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = vocab.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        ids.put(e.getKey(), e.getValue().asInt());
        maxId = Math.max(maxId, e.getValue().asInt());
      }
    } else if (vocab.isArray()) {
      // Unigram: [[piece, score], ...], the id is the position
      for (int i = 0; i < vocab.size(); i++) {
        ids.put(vocab.get(i).path(0).asText(), i);
      }
      maxId = vocab.size() - 1;
    }
    for (JsonNode added : root.path("added_tokens")) {
      ids.put(added.path("content").asText(), added.path("id").asInt());
      maxId = Math.max(maxId, added.path("id").asInt());
    }
    if (maxId < 0) {
      throw new IOException(json + ": no vocabulary in model.vocab or added_tokens");
    }
    Path configFile = json.resolveSibling("tokenizer_config.json");
    JsonNode config = Files.isRegularFile(configFile) ? JSON.readTree(configFile.toFile()) : null;
    int bos = special(config, "bos_token", BOS_NAMES, ids);
    int eos = special(config, "eos_token", EOS_NAMES, ids);
    HuggingFaceTokenizer native_;
    try {
      native_ = HuggingFaceTokenizer.newInstance(json, Map.of("addSpecialTokens", "false"));
    } catch (RuntimeException e) {
      throw new IOException(json + ": the tokenizers library rejected it: " + e.getMessage(), e);
    }
    return new HfTokenizer(native_, maxId + 1, bos, eos);
  }

  private static int special(
      JsonNode config, String key, List<String> names, Map<String, Integer> ids) {
    if (config != null && config.has(key) && !config.get(key).isNull()) {
      JsonNode v = config.get(key);
      String content = v.isTextual() ? v.asText() : v.path("content").asText();
      Integer id = ids.get(content);
      if (id != null) {
        return id;
      }
    }
    for (String name : names) {
      Integer id = ids.get(name);
      if (id != null) {
        return id;
      }
    }
    return -1;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public int bosId() {
    return bos;
  }

  @Override
  public int eosId() {
    return eos;
  }

  @Override
  public int[] encode(String text, boolean bos, boolean eos) {
    Objects.requireNonNull(text, "text");
    if (bos && this.bos < 0) {
      throw new IllegalStateException("bos requested but the vocabulary has no BOS token");
    }
    if (eos && this.eos < 0) {
      throw new IllegalStateException("eos requested but the vocabulary has no EOS token");
    }
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int extra = (bos ? 1 : 0) + (eos ? 1 : 0);
    int[] out = new int[ids.length + extra];
    int at = 0;
    if (bos) {
      out[at++] = this.bos;
    }
    for (long id : ids) {
      out[at++] = (int) id;
    }
    if (eos) {
      out[at] = this.eos;
    }
    return out;
  }

  /**
   * Decodes one token as it follows {@code prevToken}: the text of {@code [prev, token]} minus the
   * text of {@code [prev]}, so that decoders which strip a leading space or join word pieces give
   * the same text streamed as decoded at once. A token holding part of a UTF-8 character decodes
   * to U+FFFD (the library decodes to strings).
   */
  @Override
  public byte[] decode(int prevToken, int token) {
    check(token);
    String piece;
    if (prevToken < 0) {
      piece = tokenizer.decode(new long[] {token}, false);
    } else {
      check(prevToken);
      String both = tokenizer.decode(new long[] {prevToken, token}, false);
      String first = tokenizer.decode(new long[] {prevToken}, false);
      piece =
          both.startsWith(first)
              ? both.substring(first.length())
              : tokenizer.decode(new long[] {token}, false);
    }
    return piece.getBytes(StandardCharsets.UTF_8);
  }

  /** Decodes the whole sequence at once with the library's decoder (special tokens kept). */
  @Override
  public String decode(int[] tokens) {
    long[] ids = new long[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      check(tokens[i]);
      ids[i] = tokens[i];
    }
    return tokenizer.decode(ids, false);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private void check(int token) {
    if (token < 0 || token >= vocabSize) {
      throw new IllegalArgumentException(
          "token must be in [0, " + vocabSize + "), got " + token);
    }
  }
}
