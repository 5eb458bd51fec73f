package dev.sibyl.models.backbone;

import ai.djl.Device;
import dev.sibyl.models.tokenizer.HfTokenizer;
import dev.sibyl.models.tokenizer.Llama2cTokenizer;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A frozen language model as an artifact refers to it: the decoder and its tokenizer, loaded from
 * the checkpoint path recorded at training after checking the checkpoint's SHA-256 against the
 * recorded one (a different file would silently change every forecast). Shared by the LLM-backed
 * families (Time-LLM, AutoTimes); each names itself in the messages.
 *
 * @param decoder the frozen decoder; closed by {@link #close()}
 * @param tokenizer its tokenizer; closed by {@link #close()}
 */
public record PinnedBackbone(Decoder decoder, Tokenizer tokenizer) implements AutoCloseable {

  /**
   * Loads a pinned backbone.
   *
   * @param family the family name for messages, e.g. {@code time-llm}; not null
   * @param checkpoint the checkpoint path as recorded, blank when none was given; not null
   * @param sha256 the recorded digest, blank to skip the check; not null
   * @param tokenizer the tokenizer path, blank for the one beside the checkpoint; not null
   * @param tokenizerKey the family's hyperparameter naming the tokenizer, for messages; not null
   * @param device where the weights live; not null
   * @return the backbone; the caller closes it
   * @throws IOException when the checkpoint or tokenizer is missing or unreadable, or the digest
   *     differs from the recorded one (the message names the path and both digests)
   */
  public static PinnedBackbone open(
      String family, String checkpoint, String sha256, String tokenizer, String tokenizerKey, Device device)
      throws IOException {
    if (checkpoint.isBlank()) {
      throw new IOException(
          family + " needs a backbone checkpoint (train with --backbone <llama2.c file or Hugging Face"
              + " directory>)");
    }
    Path path = Path.of(checkpoint);
    if (!Files.exists(path)) {
      throw new IOException(
          family + " backbone " + path + " not found (the artifact was trained with it; paths are"
              + " relative to the working directory)");
    }
    if (!sha256.isBlank()) {
      String actual = sha256(path);
      if (!actual.equals(sha256)) {
        throw new IOException(
            family + " backbone " + path + " has SHA-256 " + actual + " but the artifact was trained"
                + " with " + sha256);
      }
    }
    Decoder decoder = DecoderLoader.load(path, device, 0);
    try {
      Tokenizer t = tokenizer(family, tokenizer, tokenizerKey, path, decoder.config().vocabSize());
      if (t.vocabSize() != decoder.config().vocabSize()) {
        t.close();
        throw new IOException(
            family + " tokenizer has " + t.vocabSize() + " tokens, the backbone "
                + decoder.config().vocabSize());
      }
      return new PinnedBackbone(decoder, t);
    } catch (IOException | RuntimeException e) {
      decoder.close();
      throw e;
    }
  }

  private static Tokenizer tokenizer(
      String family, String tokenizer, String tokenizerKey, Path checkpoint, int vocab) throws IOException {
    if (!tokenizer.isBlank()) {
      Path file = Path.of(tokenizer);
      return file.getFileName().toString().endsWith(".json")
          ? HfTokenizer.load(file)
          : Llama2cTokenizer.load(file);
    }
    if (Files.isDirectory(checkpoint)) {
      return HfTokenizer.load(checkpoint.resolve("tokenizer.json"));
    }
    Path dir = checkpoint.toAbsolutePath().getParent();
    for (String name : new String[] {"tok" + vocab + ".bin", "tokenizer.bin"}) {
      Path file = dir.resolve(name);
      if (Files.isRegularFile(file)) {
        return Llama2cTokenizer.load(file);
      }
    }
    throw new IOException(
        "no tokenizer beside " + checkpoint + " (tok" + vocab + ".bin or tokenizer.bin); set the "
            + family + " hyperparameter '" + tokenizerKey + "'");
  }

  /**
   * The SHA-256 of a checkpoint: of the file, or of a directory's {@code config.json} and {@code
   * *.safetensors} files in name order.
   *
   * @param path a file or directory; not null
   * @return 64 lowercase hex digits
   * @throws IOException when a file cannot be read
   */
  public static String sha256(Path path) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256, which every Java SE must", e);
    }
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> s = Files.list(path)) {
        s.filter(
                p -> {
                  String n = p.getFileName().toString();
                  return n.equals("config.json") || n.endsWith(".safetensors");
                })
            .sorted()
            .forEach(files::add);
      }
    } else {
      files.add(path);
    }
    byte[] buffer = new byte[1 << 16];
    for (Path f : files) {
      try (InputStream in = new DigestInputStream(Files.newInputStream(f), sha)) {
        while (in.read(buffer) >= 0) {
          // the digest stream hashes what passes
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /**
   * The parameters of the decoder's weights (the token table counted once), for {@code
   * parametersTotal} of the families built on it.
   *
   * @return the count
   */
  public long parameters() {
    DecoderConfig c = decoder.config();
    long d = c.dim();
    long kv = d * c.nKvHeads() / c.nHeads();
    long perLayer = 2 * d * d + 2 * d * kv + 3 * d * c.hiddenDim() + 2 * d;
    return (long) c.vocabSize() * d + c.nLayers() * perLayer + d;
  }

  @Override
  public void close() {
    tokenizer.close();
    decoder.close();
  }
}
