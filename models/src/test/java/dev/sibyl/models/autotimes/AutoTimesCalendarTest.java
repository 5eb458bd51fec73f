package dev.sibyl.models.autotimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.smetimes.SmeTimesConfig;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calendar timestamp texts ({@code timestamps=calendar}) on the real stories260K backbone at a
 * small scale (segments of 8, context 32 = 4 tokens): the texts, the bounded cache, training,
 * artifacts, sessions, and relative artifacts left as they were.
 */
class AutoTimesCalendarTest {

  private static final int S = 8;
  private static final int L = 32;
  private static final long HOUR = 3_600_000L;
  /** 2016-07-01 00:00:00 UTC, ETTh1's first row. */
  private static final long JULY_1 = LocalDateTime.parse("2016-07-01T00:00:00").toInstant(ZoneOffset.UTC).toEpochMilli();

  @TempDir Path dir;

  @BeforeAll
  static void oneThread() {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
  }

  private static Map<String, String> hp(String timestamps) {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, TinyLm.file(TinyLm.CHECKPOINT).toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.STREAM_MAX_SEGMENTS, "7");
    hp.put(AutoTimesConfig.TIMESTAMPS, timestamps);
    return hp;
  }

  private static double[] series(int n, double phase) {
    double[] s = new double[n];
    for (int t = 0; t < n; t++) {
      s[t] = Math.sin(2 * Math.PI * t / 16 + phase) + 0.002 * t + 0.1 * Math.sin(t * 0.37);
    }
    return s;
  }

  /** Hourly times from row {@code from} of a clock starting on 2016-07-01. */
  private static long[] hours(int from, int n) {
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = JULY_1 + (from + i) * HOUR;
    }
    return t;
  }

  @Test
  void theTextIsTheReferencesFromTheSegmentsFirstAndLastTimes() {
    assertThat(TimestampPrompt.calendar(JULY_1, JULY_1 + 95 * HOUR))
        .isEqualTo("This is Time Series from 2016-07-01 00:00:00 to 2016-07-04 23:00:00");
    assertThat(TimestampPrompt.text(2, 96)).isEqualTo("This is Time Series from 192 to 287");
    // the rollout continues the clock one step after the newest token
    SegmentSpans spans = SegmentSpans.of(new long[][] {hours(0, L)}, new long[][] {hours(-100, S)}, S);
    assertThat(spans.texts()[0]).isEqualTo("This is Time Series from 2016-06-26 20:00:00 to 2016-06-27 03:00:00");
    assertThat(spans.texts()[1]).isEqualTo("This is Time Series from 2016-07-01 00:00:00 to 2016-07-01 07:00:00");
    assertThat(spans.texts()[4]).isEqualTo("This is Time Series from 2016-07-02 00:00:00 to 2016-07-02 07:00:00");
    String[] slid = spans.slide().texts();
    assertThat(slid[0]).isEqualTo(spans.texts()[0]);
    assertThat(slid[1]).isEqualTo(spans.texts()[2]);
    assertThat(slid[4]).isEqualTo("This is Time Series from 2016-07-02 08:00:00 to 2016-07-02 15:00:00");
    assertThatThrownBy(() -> SegmentSpans.of(new long[][] {new long[L]}, null, S))
        .hasMessageContaining("the context times must increase");
  }

  @Test
  void theCacheEmbedsEachDistinctTextOnceAndEvictsTheLeastRecentlyUsed() {
    AutoTimes model = new AutoTimesFamily().create(hp("calendar"), L, S, 5);
    double[] s = series(L + S, 0);
    // two windows one segment apart share all but one of their 4 segment texts: 5 distinct
    double[][][] w = {{Arrays.copyOf(s, L)}, {Arrays.copyOfRange(s, S, L + S)}};
    long[][] t = {hours(0, L), hours(S, L)};
    double[][][] first = model.predict(w, t, S);
    assertThat(model.timestampTextsComputed()).isEqualTo(5);
    // again, and a rollout of one more segment (one new text: the predicted segment's)
    assertArrayEquals(first[1][0], model.predict(w, t, S)[1][0], 0.0);
    assertThat(model.timestampTextsComputed()).isEqualTo(5);
    model.predict(new double[][][] {w[1]}, new long[][] {t[1]}, 2 * S);
    assertThat(model.timestampTextsComputed()).isEqualTo(6);
    // the times change the forecast (the same values an hour later)
    assertThat(model.predict(new double[][][] {w[0]}, new long[][] {hours(1, L)}, S)[0][0][0]).isNotEqualTo(first[0][0][0]);
    // a bounded cache of 2 texts: the least recently used goes first
    TimestampEmbeddings small = new TimestampEmbeddings(model.backbone().decoder(), model.backbone().tokenizer(), S, 2);
    String a = TimestampPrompt.calendar(JULY_1, JULY_1 + 7 * HOUR);
    String b = TimestampPrompt.calendar(JULY_1 + 8 * HOUR, JULY_1 + 15 * HOUR);
    String c = TimestampPrompt.calendar(JULY_1 + 16 * HOUR, JULY_1 + 23 * HOUR);
    float[] ea = small.embed(new String[] {a, b, a}); // a batch: each distinct text once
    assertThat(small.computed()).isEqualTo(2);
    assertArrayEquals(Arrays.copyOf(ea, ea.length / 3), Arrays.copyOfRange(ea, 2 * ea.length / 3, ea.length), 0f);
    small.embed(new String[] {a}); // a hit: a is now the most recently used
    small.embed(new String[] {c}); // evicts b, used before a
    assertThat(small.size()).isEqualTo(2);
    float[] again = small.embed(new String[] {a});
    assertThat(small.computed()).isEqualTo(3);
    assertArrayEquals(Arrays.copyOf(ea, again.length), again, 0f);
    small.embed(new String[] {b});
    assertThat(small.computed()).isEqualTo(4);
    assertThatThrownBy(() -> new TimestampEmbeddings(model.backbone().decoder(), model.backbone().tokenizer(), S, 0))
        .hasMessageContaining("capacity >= 1, got 0");
  }

  @Test
  void aCalendarModelTrainsFromTheRowsTimesSavesLoadsAndRefusesWindowsWithoutTimes() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    double[] s = series(120, 0);
    double[][] rows = new double[s.length][];
    for (int i = 0; i < s.length; i++) {
      rows[i] = new double[] {s[i]};
    }
    TrainingData plain = new TrainingData("sine", rows, rows, L, S);
    Map<String, String> hp = hp("calendar");
    hp.remove(AutoTimesConfig.BACKBONE);
    TrainingOptions options = new TrainingOptions(2, 8, 0.01, 2, 7, checkpoint, hp);
    assertThatThrownBy(() -> new AutoTimesFamily().train(plain, options, new TrainingListener() {}))
        .hasMessageContaining("timestamps=calendar writes each segment's text from its rows' times: the data needs a date column");
    AutoTimes trained =
        (AutoTimes) new AutoTimesFamily().train(plain.withTimes(hours(0, 120), hours(0, 120)), options, new TrainingListener() {}).model();
    // every segment start of the training rows and of the validation windows, computed once each
    assertThat(trained.timestampTextsComputed()).isEqualTo(120 - L - S + 1 + (L / S - 1) * S);
    Manifest manifest = new Manifest(Artifacts.FORMAT_VERSION, trained.family(), trained.version(), trained.hyperparameters(),
        L, S, "ab", Map.of("mse", 0.5, "mae", 0.4), 1.0, "sine.csv", Artifacts.now());
    Path out = dir.resolve("calendar");
    Artifacts.save(out, manifest, trained);
    AutoTimes loaded = (AutoTimes) Artifacts.load(out).model();
    assertThat(loaded.hyperparameters()).containsEntry(AutoTimesConfig.TIMESTAMPS, "calendar");
    double[][][] w = {{series(L, 0.4)}};
    long[][] t = {hours(500, L)};
    assertArrayEquals(trained.predict(w, t, 3 * S)[0][0], loaded.predict(w, t, 3 * S)[0][0], 0.0);
    // the pipeline's forecaster passes each window's timestamps
    Forecaster f = ForecasterRegistry.create("autotimes", Map.of("artifact", out.toString(), "calibration.size", "2"));
    double[] v = series(L + 2 + S, 0.3);
    ForecastResult early = f.forecast(new SeriesWindow(hours(0, v.length), v, HOUR), S);
    ForecastResult later = f.forecast(new SeriesWindow(hours(1000, v.length), v, HOUR), S);
    assertThat(Arrays.stream(early.mean()).allMatch(Double::isFinite)).isTrue();
    assertThat(Arrays.equals(early.mean(), later.mean())).isFalse();
    assertThatThrownBy(() -> loaded.predict(w, S))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("call predict(windows, times, horizon) with the windows' times");
    assertThatThrownBy(() -> loaded.predict(w, null, S)).hasMessageContaining("needs the windows' times");
    assertThatThrownBy(() -> loaded.predictInContext(w, t, S,
            new InContextPrompt(new double[][][] {{new double[S]}}, null, InContextPrompt.Placement.EXTEND)))
        .hasMessageContaining("needs the prompt's times");
    // with a prompt, every token's text comes from its own times: the prompt's times matter
    double[][][] p = {{series(S, 1)}};
    double[] before = loaded.predictInContext(w, t, S, new InContextPrompt(p, new long[][] {hours(100, S)}, InContextPrompt.Placement.EXTEND))[0][0];
    double[] after = loaded.predictInContext(w, t, S, new InContextPrompt(p, new long[][] {hours(300, S)}, InContextPrompt.Placement.EXTEND))[0][0];
    assertThat(Arrays.equals(before, after)).isFalse();
  }

  @Test
  void aCalendarSessionMatchesItsRecomputationAndTheKeyedForecasterUsesTheWindowsTimes() {
    AutoTimes model = new AutoTimesFamily().create(hp("calendar"), L, S, 5);
    double[] s = series(L + 5 * S, 0.7);
    long[] t = hours(40, s.length);
    try (AutoTimesSession session = model.openSession(Arrays.copyOf(s, L), Arrays.copyOf(t, L))) {
      assertArrayEquals(model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, new long[][] {Arrays.copyOf(t, L)}, 2 * S)[0][0],
          session.forecast(2 * S), 1e-4);
      for (int k = 0; k < 4; k++) { // the 4th append passes the bound of 7 and rebuilds
        session.append(Arrays.copyOfRange(s, L + k * S, L + (k + 1) * S), Arrays.copyOfRange(t, L + k * S, L + (k + 1) * S));
        assertArrayEquals(session.recomputed(), session.forecast(S), 1e-4, "after append " + (k + 1));
      }
      assertThat(session.rebuilds()).isEqualTo(1);
      double[] newest = Arrays.copyOfRange(s, 4 * S, L + 4 * S);
      long[] newestTimes = Arrays.copyOfRange(t, 4 * S, L + 4 * S);
      assertArrayEquals(model.predict(new double[][][] {{newest}}, new long[][] {newestTimes}, 3 * S)[0][0], session.forecast(3 * S), 1e-4);
      assertThatThrownBy(() -> session.append(new double[S]))
          .hasMessageContaining("needs the 8 times of the segment, got none");
    }
    try (AutoTimesStreaming streaming = new AutoTimesStreaming(model, 2)) {
      double[] f0 = streaming.forecast("a", new SeriesWindow(Arrays.copyOf(t, L), Arrays.copyOf(s, L), HOUR), 5);
      double[] full = model.predict(new double[][][] {{Arrays.copyOf(s, L)}}, new long[][] {Arrays.copyOf(t, L)}, 8)[0][0];
      assertArrayEquals(Arrays.copyOf(full, 5), f0, 1e-4);
      // 3 points after the boundary: the boundary's forecast with 3 steps dropped
      double[] f3 = streaming.forecast("a", new SeriesWindow(Arrays.copyOfRange(t, 3, L + 3), Arrays.copyOfRange(s, 3, L + 3), HOUR), 5);
      assertArrayEquals(Arrays.copyOfRange(full, 3, 8), f3, 1e-4);
      // a completed segment is appended with its times: equal to a full recomputation
      streaming.forecast("a", new SeriesWindow(Arrays.copyOfRange(t, S, L + S), Arrays.copyOfRange(s, S, L + S), HOUR), 5);
      AutoTimesSession session = streaming.session("a");
      assertThat(session.segments()).isEqualTo(L / S + 1);
      assertArrayEquals(session.recomputed(), session.forecast(S), 1e-4);
    }
  }

  @Test
  void aRelativeArtifactKeepsItsKeysAndPredictsAsWithoutTimes() throws Exception {
    Path checkpoint = TinyLm.file(TinyLm.CHECKPOINT);
    Map<String, String> hp = hp("relative");
    hp.put(AutoTimesConfig.BACKBONE_SHA256, PinnedBackbone.sha256(checkpoint));
    AutoTimes model = new AutoTimesFamily().create(hp, L, S, 5);
    // the manifest's keys are the ones artifacts were written with before calendar times
    assertThat(model.hyperparameters().keySet()).containsExactly(
        "segment.length", "mlp.hidden", "llm", "llm.layers", "timestamps", "train.stride",
        "validation.stride", "stream.max.segments", "backbone", "backbone.sha256", "tokenizer");
    Manifest manifest = new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(),
        L, S, "ab", Map.of("mse", 0.5, "mae", 0.4), 1.0, "sine.csv", Artifacts.now());
    Path out = dir.resolve("relative");
    Artifacts.save(out, manifest, model);
    AutoTimes loaded = (AutoTimes) Artifacts.load(out).model();
    double[][][] w = {{series(L, 0.1), series(L, 0.2)}};
    double[] plain = loaded.predict(w, 2 * S)[0][1];
    assertArrayEquals(model.predict(w, 2 * S)[0][1], plain, 0.0);
    // times are accepted and ignored; relative texts number the positions of the context
    assertArrayEquals(plain, loaded.predict(w, new long[][] {hours(0, L)}, 2 * S)[0][1], 0.0);
    assertThat(loaded.timestampTextsComputed()).isEqualTo(L / S);
    // SMETimes writes relative texts only and refuses calendar
    assertThatThrownBy(() -> SmeTimesConfig.parse(Map.of(AutoTimesConfig.TIMESTAMPS, "calendar"), 192, 96))
        .hasMessageContaining("'timestamps' must be relative or none, got 'calendar'");
    assertThatThrownBy(() -> AutoTimesConfig.parse(Map.of(AutoTimesConfig.TIMESTAMPS, "absolute"), 192, 96))
        .hasMessageContaining("must be relative, calendar or none, got 'absolute'");
  }
}
