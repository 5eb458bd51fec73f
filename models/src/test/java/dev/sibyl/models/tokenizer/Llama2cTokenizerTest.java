package dev.sibyl.models.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.backbone.TinyLm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llama2.c tokenizer against run.c's encode/decode semantics on tok512.bin. */
class Llama2cTokenizerTest {

  private static Llama2cTokenizer tokenizer;

  @BeforeAll
  static void load() throws IOException {
    tokenizer = Llama2cTokenizer.load(TinyLm.file(TinyLm.TOKENIZER));
  }

  @Test
  void readsTheVocabulary() {
    assertThat(tokenizer.vocabSize()).isEqualTo(512);
    assertThat(tokenizer.maxTokenLength()).isEqualTo(7);
    assertThat(tokenizer.bosId()).isEqualTo(1);
    assertThat(tokenizer.eosId()).isEqualTo(2);
    assertThat(new String(tokenizer.piece(1), StandardCharsets.UTF_8)).isEqualTo("\n<s>\n");
    assertThat(new String(tokenizer.piece(3 + 'A'), StandardCharsets.UTF_8)).isEqualTo("<0x41>");
    assertThat(new String(tokenizer.piece(265), StandardCharsets.UTF_8)).isEqualTo(" the");
    assertThat(tokenizer.score(265)).isEqualTo(-6f);
  }

  @Test
  void decodeStripsTheSpaceAfterBosAndMapsByteTokens() {
    assertThat(tokenizer.decode(Llama2cTokenizer.BOS, 265)).isEqualTo("the".getBytes());
    assertThat(tokenizer.decode(265, 265)).isEqualTo(" the".getBytes());
    assertThat(tokenizer.decode(265, 3 + '\n')).isEqualTo(new byte[] {'\n'});
    assertThat(tokenizer.decode(265, 3 + 0xE2)).isEqualTo(new byte[] {(byte) 0xE2});
    assertThat(tokenizer.decode(265, 3)).isEmpty();
    assertThatThrownBy(() -> tokenizer.decode(1, 512))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token must be in [0, 512), got 512");
  }

  @Test
  void encodeAddsBosDummyPrefixAndEosAndRoundTrips() {
    String text = "Once upon a time, there was a little girl named Lily.";
    int[] ids = tokenizer.encode(text, true, true);
    assertThat(ids[0]).isEqualTo(1);
    assertThat(ids[ids.length - 1]).isEqualTo(2);
    int[] body = Arrays.copyOfRange(ids, 1, ids.length - 1);
    // merges make it much shorter than one token per character
    assertThat(body.length).isLessThan(text.length() / 2);
    assertThat(tokenizer.decode(body)).isEqualTo(" " + text);
    assertThat(tokenizer.encode("", true, false)).containsExactly(1);
    assertThat(tokenizer.encode("", false, false)).isEmpty();
  }

  @Test
  void encodeFallsBackToBytesForUnknownCharacters() {
    String text = "a → 日";
    int[] ids = tokenizer.encode(text, false, false);
    // "日" (E6 97 A5) is not in the 512-token vocabulary: three byte tokens
    assertThat(ids).endsWith(3 + 0xE6, 3 + 0x97, 3 + 0xA5);
    assertThat(tokenizer.decode(ids)).isEqualTo(" " + text);
  }

  @Test
  void encodeMergesByScoreLikeRunC() {
    // " the" is one token; with the dummy prefix "the" becomes " the"
    assertThat(tokenizer.encode("the", false, false)).containsExactly(265);
  }

  @Test
  void rejectsTruncatedFiles(@TempDir Path dir) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 + 4 + 2).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(7).putFloat(0f).putInt(5).put((byte) 'a').put((byte) 'b');
    Path file = dir.resolve("bad.bin");
    Files.write(file, b.array());
    assertThatThrownBy(() -> Llama2cTokenizer.load(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("token 0 length must be in [0, 2], got 5");
  }
}
