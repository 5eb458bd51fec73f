package dev.sibyl.app.cli;

import ai.djl.Device;
import dev.sibyl.models.backbone.ContrastiveOptions;
import dev.sibyl.models.backbone.ContrastiveSearch;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderLoader;
import dev.sibyl.models.backbone.GenerationOptions;
import dev.sibyl.models.backbone.Generator;
import dev.sibyl.models.backbone.Sampler;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.tokenizer.HfTokenizer;
import dev.sibyl.models.tokenizer.Llama2cTokenizer;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl generate}: text generation with an LLM backbone (a llama2.c checkpoint or a Hugging
 * Face GPT-2 / Llama-family directory), greedy, sampled or by contrastive search.
 *
 * <p>Prints the text on stdout (as llama2.c's run.c does, the first token not shown), or with
 * {@code --print-ids} the generated ids on one comma-separated line; statistics go to stderr.
 */
@Command(
    name = "generate",
    sortOptions = false,
    description = {
      "Generate text with an LLM backbone: a llama2.c .bin checkpoint or a Hugging Face directory"
          + " (config.json + model.safetensors; GPT-2, Llama, Qwen2).",
      "Prints the text, or with --print-ids the generated token ids; statistics go to stderr."
    })
public final class GenerateCommand implements Callable<Integer> {

  /** The decoding strategies. */
  enum Decoding {
    greedy,
    sample,
    contrastive
  }

  @Spec private CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "PATH", description = "llama2.c .bin file or Hugging Face checkpoint directory.")
  private Path model;

  @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin (llama2.c) or tokenizer.json; default: the model directory's tokenizer.json.")
  private Path tokenizerPath;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (encoded with BOS when the vocabulary has one).")
  private String prompt;

  @Option(names = "--prompt-ids", paramLabel = "IDS", description = "Prompt as comma-separated token ids, e.g. 1,2,3.")
  private String promptIds;

  @Option(names = "--steps", paramLabel = "N", defaultValue = "256", description = "Total positions, prompt included (default ${DEFAULT-VALUE}).")
  private int steps;

  @Option(names = "--decoding", paramLabel = "MODE", description = "greedy, sample or contrastive (default: sample when --temperature > 0 is given, else greedy).")
  private Decoding decoding;

  @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature > 0 (default 1.0).")
  private Float temperature;

  @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens; 0 keeps all (default 0).")
  private Integer topK;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus mass in (0, 1]; 1 disables it (default 0.9).")
  private Float topP;

  @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default: the current time).")
  private Long seed;

  @Option(names = "--alpha", paramLabel = "A", description = "Contrastive search degeneration penalty in [0, 1] (default 0.6).")
  private Float alpha;

  @Option(names = "--k", paramLabel = "K", description = "Contrastive search candidates per step (default 4).")
  private Integer candidates;

  @Option(names = "--print-ids", description = "Print the generated token ids on one comma-separated line instead of text.")
  private boolean printIds;

  @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu", description = "cpu or gpu:N (default ${DEFAULT-VALUE}; a missing GPU falls back to the CPU).")
  private String device;

  @Override
  public Integer call() throws IOException {
    Decoding mode = checkOptions();
    Device dev = device(spec, device);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String kind = detect(spec, model);
    // states never need more than steps + 1 positions: cap the RoPE tables of HF checkpoints
    try (Decoder decoder = DecoderLoader.load(model, dev, steps + 1);
        Tokenizer tokenizer = openTokenizer(kind)) {
      int vocab = decoder.config().vocabSize();
      int[] ids = promptIds(tokenizer, kind, vocab);
      int maxSeqLen = decoder.config().maxSeqLen();
      int limit = mode == Decoding.contrastive ? maxSeqLen - 1 : maxSeqLen;
      if (steps > limit) {
        throw new ParameterException(spec.commandLine(), "--steps must be <= " + limit + " for this model" + (mode == Decoding.contrastive ? " with contrastive search" : "") + ", got " + steps);
      }
      if (ids.length > steps) {
        throw new ParameterException(spec.commandLine(), "--steps must be >= the prompt length " + ids.length + ", got " + steps);
      }
      int stop = kind.equals("llama2c") ? Llama2cTokenizer.BOS : tokenizer == null ? -1 : tokenizer.eosId();
      GenerationOptions options = new GenerationOptions(steps, true, stop);
      long start = System.nanoTime();
      int[] generated;
      String detail;
      switch (mode) {
        case contrastive -> {
          ContrastiveOptions c = new ContrastiveOptions(alpha == null ? 0.6f : alpha, candidates == null ? 4 : candidates);
          generated = new ContrastiveSearch(decoder).generate(ids, options, c, t -> {});
          detail = " alpha=" + c.alpha() + " k=" + c.k();
        }
        case sample -> {
          long s = seed == null ? System.currentTimeMillis() : seed;
          float t = temperature == null ? 1f : temperature;
          float p = topP == null ? 0.9f : topP;
          int k = topK == null ? 0 : topK;
          generated = new Generator(decoder).generate(ids, options, Sampler.of(t, k, p, s));
          detail = " temperature=" + t + " top-k=" + k + " top-p=" + p + " seed=" + s;
        }
        default -> {
          generated = new Generator(decoder).generate(ids, options, Sampler.greedy());
          detail = "";
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (printIds) {
        StringJoiner line = new StringJoiner(",");
        Arrays.stream(generated).forEach(t -> line.add(Integer.toString(t)));
        out.println(line);
      } else {
        out.println(new String(Generator.render(tokenizer, ids, generated), StandardCharsets.UTF_8));
      }
      out.flush();
      err.printf("generate: %s on %s, %s%s: %d prompt + %d new tokens in %.3f s (%.1f tokens/s)%n", kind, dev, mode, detail, ids.length, generated.length, seconds, generated.length / seconds);
      err.flush();
    }
    return 0;
  }

  /** Cross-option checks; returns the decoding mode. */
  private Decoding checkOptions() {
    if (prompt != null && promptIds != null) {
      throw new ParameterException(spec.commandLine(), "--prompt and --prompt-ids are mutually exclusive");
    }
    if (steps < 1) {
      throw new ParameterException(spec.commandLine(), "--steps must be >= 1, got " + steps);
    }
    Decoding mode = decoding != null ? decoding : temperature != null && temperature > 0f ? Decoding.sample : Decoding.greedy;
    boolean sampling = temperature != null || topK != null || topP != null || seed != null;
    if (sampling && mode != Decoding.sample && !(temperature != null && temperature == 0f && topK == null && topP == null && seed == null)) {
      throw new ParameterException(spec.commandLine(), "--temperature, --top-k, --top-p and --seed apply only to --decoding sample, got --decoding " + mode);
    }
    if ((alpha != null || candidates != null) && mode != Decoding.contrastive) {
      throw new ParameterException(spec.commandLine(), "--alpha and --k apply only to --decoding contrastive, got --decoding " + mode);
    }
    if (mode == Decoding.sample) {
      if (temperature != null && (!(temperature > 0f) || temperature.isInfinite())) {
        throw new ParameterException(spec.commandLine(), "--temperature must be > 0 for --decoding sample, got " + temperature);
      }
      if (topK != null && topK < 0) {
        throw new ParameterException(spec.commandLine(), "--top-k must be >= 0, got " + topK);
      }
      if (topP != null && !(topP > 0f && topP <= 1f)) {
        throw new ParameterException(spec.commandLine(), "--top-p must be in (0, 1], got " + topP);
      }
    }
    if (alpha != null && !(alpha >= 0f && alpha <= 1f)) {
      throw new ParameterException(spec.commandLine(), "--alpha must be in [0, 1], got " + alpha);
    }
    if (candidates != null && candidates < 1) {
      throw new ParameterException(spec.commandLine(), "--k must be >= 1, got " + candidates);
    }
    return mode;
  }

  private Tokenizer openTokenizer(String kind) throws IOException {
    Path path = tokenizerPath;
    if (path == null && !kind.equals("llama2c") && Files.isRegularFile(model.resolve("tokenizer.json"))) {
      path = model.resolve("tokenizer.json");
    }
    boolean needed = prompt != null || !printIds;
    if (path == null) {
      if (needed) {
        throw new ParameterException(spec.commandLine(), "--tokenizer is required with --prompt or without --print-ids" + (kind.equals("llama2c") ? "" : " (no tokenizer.json in " + model + ")"));
      }
      return null;
    }
    if (!Files.exists(path)) {
      throw new ParameterException(spec.commandLine(), "--tokenizer " + path + " does not exist");
    }
    if (Files.isDirectory(path) || path.getFileName().toString().endsWith(".json")) {
      return HfTokenizer.load(path);
    }
    return Llama2cTokenizer.load(path);
  }

  private int[] promptIds(Tokenizer tokenizer, String kind, int vocab) {
    int[] ids;
    if (promptIds != null) {
      try {
        ids = Arrays.stream(promptIds.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
      } catch (NumberFormatException e) {
        throw new ParameterException(spec.commandLine(), "--prompt-ids must be comma-separated integers, got \"" + promptIds + "\"");
      }
    } else if (prompt != null) {
      ids = tokenizer.encode(prompt, tokenizer.bosId() >= 0, false);
    } else if (kind.equals("llama2c")) {
      ids = new int[] {Llama2cTokenizer.BOS};
    } else if (tokenizer != null && tokenizer.bosId() >= 0) {
      ids = new int[] {tokenizer.bosId()};
    } else {
      throw new ParameterException(spec.commandLine(), "give --prompt or --prompt-ids: the vocabulary has no BOS token to start from");
    }
    if (ids.length == 0) {
      throw new ParameterException(spec.commandLine(), "the prompt is empty after tokenization; give --prompt-ids or another --prompt");
    }
    for (int id : ids) {
      if (id < 0 || id >= vocab) {
        throw new ParameterException(spec.commandLine(), "--prompt-ids must be in [0, " + vocab + "), got " + id);
      }
    }
    return ids;
  }

  /** Parses {@code cpu} / {@code gpu:N} and starts the engine on it (CPU fallback with a warning). */
  static Device device(CommandSpec spec, String device) {
    DeviceConfig config;
    try {
      config = new DeviceConfig(device, 0, 0);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--device must be cpu or gpu:N, got \"" + device + "\"");
    }
    return ModelRuntime.start(config);
  }

  /** The checkpoint kind, or a usage error naming the path. */
  static String detect(CommandSpec spec, Path model) {
    try {
      return DecoderLoader.detect(model);
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "--model " + Failures.oneLine(e.getMessage()));
    }
  }
}
