package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llama2.c loader: header, size check, and the formats it refuses. */
class Llama2cCheckpointTest {

  @Test
  void readsTheHeaderOfStories260K() throws IOException {
    Path file = TinyLm.file(TinyLm.CHECKPOINT);
    DecoderConfig c = Llama2cCheckpoint.readConfig(file);
    assertThat(c)
        .isEqualTo(
            new DecoderConfig(
                64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, RopeStyle.INTERLEAVED, true));
    assertThat(Llama2cCheckpoint.expectedBytes(c)).isEqualTo(Files.size(file));
  }

  @Test
  void rejectsATruncatedFile(@TempDir Path dir) throws IOException {
    byte[] full = Files.readAllBytes(TinyLm.file(TinyLm.CHECKPOINT));
    Path cut = dir.resolve("cut.bin");
    Files.write(cut, Arrays.copyOf(full, full.length - 4));
    assertThatThrownBy(() -> Llama2cCheckpoint.load(cut, Device.cpu()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining((full.length - 4) + " bytes, but its header")
        .hasMessageContaining("implies " + full.length);
  }

  @Test
  void rejectsVersionedExports(@TempDir Path dir) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x616b3432).putInt(2);
    Path file = dir.resolve("v2.bin");
    Files.write(file, b.array());
    assertThatThrownBy(() -> Llama2cCheckpoint.readConfig(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("versioned llama2.c export (magic \"ak42\", version 2)");
  }

  @Test
  void rejectsAMalformedHeader(@TempDir Path dir) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(64).putInt(172).putInt(5).putInt(8).putInt(3).putInt(512).putInt(512);
    Path file = dir.resolve("bad.bin");
    Files.write(file, b.array());
    assertThatThrownBy(() -> Llama2cCheckpoint.readConfig(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("malformed llama2.c header: nKvHeads must divide nHeads");
  }
}
