package dev.sibyl.models.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer.json tokenizer on a tiny byte-level BPE file written here (no network). */
class HfTokenizerTest {

  /** A GPT-2-style byte-level BPE: "hello" is one token, " world" is one token ("Ġ" = space). */
  static final String TOKENIZER_JSON =
      """
      {"version": "1.0", "truncation": null, "padding": null,
       "added_tokens": [{"id": 0, "content": "<|endoftext|>", "single_word": false, "lstrip": false,
         "rstrip": false, "normalized": false, "special": true}],
       "normalizer": null,
       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
         "use_regex": true},
       "post_processor": null,
       "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
         "use_regex": true},
       "model": {"type": "BPE", "dropout": null, "unk_token": null,
         "continuing_subword_prefix": null, "end_of_word_suffix": null, "fuse_unk": false,
         "byte_fallback": false,
         "vocab": {"<|endoftext|>": 0, "h": 1, "e": 2, "l": 3, "o": 4, "Ġ": 5, "w": 6, "r": 7,
           "d": 8, "he": 9, "ll": 10, "llo": 11, "hello": 12, "Ġw": 13, "or": 14, "Ġwor": 15,
           "ld": 16, "Ġworld": 17, "!": 18},
         "merges": ["h e", "l l", "ll o", "he llo", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"]}}
      """;

  @TempDir Path tmp;

  private HfTokenizer load() throws IOException {
    Path file = tmp.resolve("tokenizer.json");
    Files.writeString(file, TOKENIZER_JSON);
    try {
      return HfTokenizer.load(file);
    } catch (IOException | UnsatisfiedLinkError e) {
      assumeTrue(false, "the tokenizers native library cannot load offline here: " + e);
      throw e;
    }
  }

  @Test
  void encodesDecodesAndStreams() throws IOException {
    try (HfTokenizer tok = load()) {
      assertThat(tok.vocabSize()).isEqualTo(19);
      assertThat(tok.bosId()).isEqualTo(0);
      assertThat(tok.eosId()).isEqualTo(0);
      int[] ids = tok.encode("hello world!", true, false);
      assertThat(ids).containsExactly(0, 12, 17, 18);
      assertThat(tok.decode(new int[] {12, 17, 18})).isEqualTo("hello world!");
      ByteArrayOutputStream streamed = new ByteArrayOutputStream();
      int prev = -1;
      for (int id : new int[] {12, 17, 18}) {
        streamed.writeBytes(tok.decode(prev, id));
        prev = id;
      }
      assertThat(streamed.toString(StandardCharsets.UTF_8)).isEqualTo("hello world!");
      assertThatThrownBy(() -> tok.decode(-1, 19))
          .hasMessageContaining("token must be in [0, 19), got 19");
    }
  }

  @Test
  void specialTokensComeFromTokenizerConfig() throws IOException {
    Files.writeString(
        tmp.resolve("tokenizer_config.json"),
        "{\"bos_token\": {\"content\": \"h\"}, \"eos_token\": \"!\"}");
    try (HfTokenizer tok = load()) {
      assertThat(tok.bosId()).isEqualTo(1);
      assertThat(tok.eosId()).isEqualTo(18);
      assertThat(tok.encode("hello", true, true)).containsExactly(1, 12, 18);
    }
  }
}
