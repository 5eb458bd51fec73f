package dev.sibyl.app.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.InContextPrompt;
import dev.sibyl.models.eval.Predictor;
import dev.sibyl.models.eval.Protocol;
import dev.sibyl.models.eval.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of {@code sibyl evaluate} for AutoTimes beyond its values: in-context forecasting
 * (segments of a related series placed before every context, {@link InContextPrompt}) and the
 * rows' calendar times for an artifact trained with {@code timestamps=calendar}.
 *
 * <p>Where a window's prompt comes from: either fixed rows of the prompt file, the same for every
 * window ({@code --prompt-start}: e.g. the first rows of the training split, the reference's
 * "first time points of the series"), or the rows at the window's own time ({@code --prompt-lag}:
 * the rows ending that many rows before the forecast origin, the files' rows aligned by index,
 * e.g. ETTh2 beside ETTh1, which share their dates). Neither reads a row at or after a window's
 * forecast origin, so no future value reaches a forecast; a fixed prompt must end before the test
 * period for the same reason.
 */
final class InContextOptions {

  @Option(names = "--prompt-data", paramLabel = "CSV", description = "In-context forecasting (autotimes): the file of the related series whose segments go before every context; its columns are matched to the data's by name (or --prompt-column). May be --data itself (the series' own earlier rows).")
  private Path data;

  @Option(names = "--prompt-column", paramLabel = "NAME", description = "The one column of --prompt-data used as the prompt of every channel (default: the channel's own name).")
  private String column;

  @Option(names = "--prompt-segments", paramLabel = "N", description = "Segments (tokens) in the prompt (default 2, the reference's).")
  private Integer segments;

  @Option(names = "--prompt-start", paramLabel = "ROW", description = "A fixed prompt: rows [ROW, ROW + N x segment) of --prompt-data (0-based data rows), the same for every window; must end before the test period.")
  private Integer start;

  @Option(names = "--prompt-lag", paramLabel = "ROWS", description = "A prompt at each window's time: the N x segment rows of --prompt-data that end ROWS rows before the forecast origin (0: beside the context's newest rows; the files' rows aligned by index).")
  private Integer lag;

  @Option(names = "--prompt-placement", paramLabel = "extend|fixed", description = "extend (default): the prompt before the whole context (N + L/segment tokens); fixed: L/segment tokens in all, the context cut to its newest L/segment - N segments (the reference's protocol).")
  private String placement;

  /** The prompt file, once checked; null without a prompt. */
  private Table prompt;

  private int[] promptColumns;
  private long[] promptTimes;
  private long[] dataTimes;
  private int length;
  private int lookback;
  private InContextPrompt.Placement where;

  /** Whether a prompt was asked for. */
  boolean active() {
    return data != null;
  }

  /**
   * Checks the options against what is evaluated and reads the prompt file; call once before
   * any predictor runs.
   *
   * @param cl the command, for its errors
   * @param models the loaded models (null for a baseline)
   * @param table the evaluated data
   * @param protocol its splits
   * @param horizons the requested horizons
   * @throws ParameterException naming the option, with a one-line message
   */
  void check(CommandLine cl, List<WindowModel> models, Table table, Protocol protocol, List<Integer> horizons) throws IOException {
    lookback = protocol.lookback();
    boolean calendar = false;
    for (WindowModel m : models) {
      calendar |= m instanceof AutoTimes a && a.config().calendar();
    }
    if (calendar) {
      if (table.dates() == null) {
        throw new ParameterException(cl, "--data: the artifact writes calendar timestamps and " + table.name() + " has no date column");
      }
      dataTimes = times(cl, "--data", table);
    }
    if (data == null) {
      if (column != null || segments != null || start != null || lag != null || placement != null) {
        throw new ParameterException(cl, "--prompt-column, --prompt-segments, --prompt-start, --prompt-lag and --prompt-placement need --prompt-data");
      }
      return;
    }
    if (models.isEmpty() || !(models.get(0) instanceof AutoTimes model)) {
      throw new ParameterException(cl, "--prompt-data: in-context forecasting needs an autotimes artifact"
          + (models.isEmpty() ? "" : ", got " + models.get(0).family()));
    }
    int n = segments == null ? 2 : segments;
    if (n < 1) {
      throw new ParameterException(cl, "--prompt-segments must be >= 1, got " + n);
    }
    String p = placement == null ? "extend" : placement;
    if (!p.equals("extend") && !p.equals("fixed")) {
      throw new ParameterException(cl, "--prompt-placement must be extend or fixed, got '" + p + "'");
    }
    where = p.equals("fixed") ? InContextPrompt.Placement.FIXED : InContextPrompt.Placement.EXTEND;
    int tokens = model.config().segments();
    if (where == InContextPrompt.Placement.FIXED && n >= tokens) {
      throw new ParameterException(cl, "--prompt-segments: a fixed placement keeps " + tokens
          + " tokens, so the prompt must have fewer than " + tokens + " segments, got " + n);
    }
    if ((start == null) == (lag == null)) {
      throw new ParameterException(cl, "--prompt-data needs exactly one of --prompt-start (fixed rows) and --prompt-lag (rows at each window's time)");
    }
    if (!Files.isRegularFile(data)) {
      throw new ParameterException(cl, "--prompt-data: no such file: " + data);
    }
    prompt = Table.read(data);
    length = n * model.config().segmentLength();
    // 1. Columns: one for all channels, or each channel's namesake
    promptColumns = new int[table.channels()];
    List<String> names = Arrays.asList(prompt.columns());
    for (int c = 0; c < table.channels(); c++) {
      String name = column != null ? column : table.columns()[c];
      promptColumns[c] = names.indexOf(name);
      if (promptColumns[c] < 0) {
        throw new ParameterException(cl, (column != null ? "--prompt-column" : "--prompt-data") + ": "
            + prompt.name() + " has no column '" + name + "'; it has " + names);
      }
    }
    // 2. Rows: never at or after a forecast origin
    int firstOrigin = protocol.testStart() + lookback;
    if (start != null) {
      if (start < 0 || start + length > prompt.size()) {
        throw new ParameterException(cl, "--prompt-start: rows [" + start + ", " + (start + length) + ") do not fit "
            + prompt.name() + "'s " + prompt.size() + " rows");
      }
      if (start + length > firstOrigin) {
        throw new ParameterException(cl, "--prompt-start: rows [" + start + ", " + (start + length)
            + ") must end before the test period starts at row " + firstOrigin + " (no future data)");
      }
    } else {
      if (lag < 0) {
        throw new ParameterException(cl, "--prompt-lag must be >= 0 (the prompt ends before the forecast origin), got " + lag);
      }
      if (firstOrigin - lag - length < 0) {
        throw new ParameterException(cl, "--prompt-lag " + lag + ": the first test window's prompt would start at row "
            + (firstOrigin - lag - length) + ", before the file's first row");
      }
      int lastOrigin = protocol.testEnd() - horizons.stream().mapToInt(Integer::intValue).min().orElse(1);
      if (lastOrigin - lag > prompt.size()) {
        throw new ParameterException(cl, "--prompt-lag " + lag + ": the last test window needs " + prompt.name()
            + " up to row " + (lastOrigin - lag) + ", it has " + prompt.size() + " rows");
      }
      if (table.dates() != null && prompt.dates() != null && !table.dates()[0].equals(prompt.dates()[0])) {
        throw new ParameterException(cl, "--prompt-lag aligns rows by index, but " + table.name() + " starts at "
            + table.dates()[0] + " and " + prompt.name() + " at " + prompt.dates()[0]);
      }
    }
    if (calendar) {
      if (prompt.dates() == null) {
        throw new ParameterException(cl, "--prompt-data: the artifact writes calendar timestamps and " + prompt.name() + " has no date column");
      }
      promptTimes = times(cl, "--prompt-data", prompt);
    }
  }

  private static long[] times(CommandLine cl, String option, Table t) {
    try {
      return t.times();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, option + ": " + e.getMessage());
    }
  }

  /**
   * The predictor of a model: for AutoTimes, one that passes each window's times and prompt; for
   * any other family its plain {@link WindowModel#predict}.
   *
   * @param model the model
   * @return the predictor; it reads the state {@link #check} prepared
   */
  Predictor predictor(WindowModel model) {
    if (!(model instanceof AutoTimes a)) {
      return model::predict;
    }
    return new Predictor() {
      @Override
      public double[][][] predict(double[][][] windows, int horizon) {
        return a.predict(windows, horizon);
      }

      @Override
      public double[][][] predictAt(double[][][] windows, int firstRow, int horizon) {
        long[][] times = null;
        if (dataTimes != null) {
          times = new long[windows.length][];
          for (int b = 0; b < windows.length; b++) {
            times[b] = Arrays.copyOfRange(dataTimes, firstRow + b, firstRow + b + lookback);
          }
        }
        if (prompt == null) {
          return times == null ? a.predict(windows, horizon) : a.predict(windows, times, horizon);
        }
        return a.predictInContext(windows, times, horizon, prompts(windows, firstRow));
      }
    };
  }

  /** Each window's prompt: values per channel, times when the model writes calendar texts. */
  private InContextPrompt prompts(double[][][] windows, int firstRow) {
    double[][][] values = new double[windows.length][][];
    long[][] times = promptTimes == null ? null : new long[windows.length][];
    for (int b = 0; b < windows.length; b++) {
      // the window's forecast origin is row firstRow + b + L
      int from = start != null ? start : firstRow + b + lookback - lag - length;
      values[b] = new double[windows[b].length][length];
      for (int c = 0; c < windows[b].length; c++) {
        for (int k = 0; k < length; k++) {
          values[b][c][k] = prompt.rows()[from + k][promptColumns[c]];
        }
      }
      if (times != null) {
        times[b] = Arrays.copyOfRange(promptTimes, from, from + length);
      }
    }
    return new InContextPrompt(values, times, where);
  }

  /**
   * Adds the prompt's settings to the report.
   *
   * @param root the report's root
   */
  void report(ObjectNode root) {
    if (prompt == null) {
      return;
    }
    ObjectNode o = root.putObject("prompt");
    o.put("data", prompt.name());
    o.put("column", column == null ? "(each channel's own)" : column);
    o.put("segments", segments == null ? 2 : segments);
    o.put("rows", length);
    if (start != null) {
      o.put("start", start);
    } else {
      o.put("lag", lag);
    }
    o.put("placement", where.name().toLowerCase(Locale.ROOT));
  }
}
