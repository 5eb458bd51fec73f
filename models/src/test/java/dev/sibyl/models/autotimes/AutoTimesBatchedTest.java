package dev.sibyl.models.autotimes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sibyl.models.api.KeyedForecaster.ChannelsRequest;
import dev.sibyl.models.api.KeyedForecaster.Request;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.backbone.TinyLm;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cross-series batching of AutoTimes' KV caches ({@link AutoTimesStreaming#forecastAll}): on the
 * real stories260K backbone and ETTh1 columns, at a small scale (segments of 8, context 32, bound 7
 * segments), the batched answers equal one-series-at-a-time answers, also when the series' caches
 * hold different numbers of segments (with and without the LLM: each row's position also names
 * its timestamp text), when a series reaches its bound, when a key repeats, and
 * when the series outnumber the cache.
 */
class AutoTimesBatchedTest {

  private static final int S = 8;
  private static final int L = 32;
  private static final double TOLERANCE = 1e-4;

  /** ETTh1's seven columns, the first 200 rows; shape (7, 200). */
  private static double[][] columns;

  @BeforeAll
  static void setUp() throws IOException {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
    Path file = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "ett", "ETTh1.csv");
    columns = new double[7][200];
    try (BufferedReader in = Files.newBufferedReader(file)) {
      in.readLine();
      for (int t = 0; t < 200; t++) {
        String[] f = in.readLine().split(",");
        for (int c = 0; c < 7; c++) {
          columns[c][t] = Double.parseDouble(f[c + 1]);
        }
      }
    }
  }

  private static AutoTimes model() {
    return model(true);
  }

  /** The small model, with or without the LLM (without it, positions still name the timestamp texts). */
  private static AutoTimes model(boolean llm) {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.LLM, Boolean.toString(llm));
    hp.put(AutoTimesConfig.BACKBONE, TinyLm.file(TinyLm.CHECKPOINT).toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.STREAM_MAX_SEGMENTS, "7");
    return new AutoTimesFamily().create(hp, L, S, 11);
  }

  /** Column c's points [from, to), timestamps one minute apart from the series' start. */
  private static SeriesWindow window(int c, int from, int to) {
    long[] t = new long[to - from];
    for (int i = 0; i < t.length; i++) {
      t[i] = 60_000L * (from + i);
    }
    return new SeriesWindow(t, Arrays.copyOfRange(columns[c], from, to), 60_000L);
  }

  /** Each request through {@code reference}'s one-series path, in order. */
  private static List<double[]> oneByOne(AutoTimesStreaming reference, List<Request> requests, int horizon) {
    List<double[]> out = new ArrayList<>();
    for (Request r : requests) {
      out.add(reference.forecast(r.seriesKey(), r.window(), horizon));
    }
    return out;
  }

  private static void assertSame(List<double[]> expected, List<double[]> actual, String what) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), TOLERANCE, what + ", request " + i);
    }
  }

  @ParameterizedTest(name = "llm={0}")
  @ValueSource(booleans = {true, false})
  void batchedAnswersEqualOneSeriesAtATimeAcrossCacheLengthsAndTheBound(boolean llm) {
    AutoTimes model = model(llm);
    try (AutoTimesStreaming batched = new AutoTimesStreaming(model, 16);
        AutoTimesStreaming reference = new AutoTimesStreaming(model, 16)) {
      // 1. Three new series open in one pass; a fresh session is the stateless forecast
      List<Request> open = List.of(
          new Request("a", window(0, 0, L)), new Request("b", window(1, 0, L)), new Request("c", window(2, 5, L + 5)));
      List<double[]> first = batched.forecastAll(open, S);
      assertSame(oneByOne(reference, open, S), first, "open");
      double[][][] stateless = model.predict(new double[][][] {{open.get(0).window().values(), open.get(1).window().values(), open.get(2).window().values()}}, S);
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(stateless[0][i], first.get(i), TOLERANCE, "stateless " + i);
      }
      // 2. Different cache lengths in one batch: a +1 segment, b +2, c +3 points (none), d new
      List<Request> mixed = List.of(
          new Request("a", window(0, S, L + S)),
          new Request("b", window(1, 2 * S, L + 2 * S)),
          new Request("c", window(2, 8, L + 8)),
          new Request("d", window(3, 0, L)));
      assertSame(oneByOne(reference, mixed, S), batched.forecastAll(mixed, S), "mixed");
      assertEquals(L / S + 1, batched.session("a").segments());
      assertEquals(L / S + 2, batched.session("b").segments());
      assertEquals(L / S, batched.session("c").segments());
      assertArrayEquals(batched.session("b").recomputed(), batched.session("b").forecast(S), TOLERANCE);
      // 3. b passes its bound of 7 segments (a rebuild) while a appends; a horizon past one segment
      List<Request> bound = List.of(
          new Request("a", window(0, 2 * S, L + 2 * S)),
          new Request("b", window(1, 5 * S, L + 5 * S)),
          new Request("d", window(3, S + 3, L + S + 3)));
      assertSame(oneByOne(reference, bound, 2 * S + 5), batched.forecastAll(bound, 2 * S + 5), "bound");
      assertTrue(batched.session("b").rebuilds() >= 1);
      assertEquals(reference.session("b").segments(), batched.session("b").segments());
      // 4. A key twice in one call: answered in order, as two calls
      List<Request> twice = List.of(new Request("a", window(0, 3 * S, L + 3 * S)), new Request("a", window(0, 4 * S, L + 4 * S)));
      assertSame(oneByOne(reference, twice, S), batched.forecastAll(twice, S), "twice");
      assertEquals(4, batched.cachedSeries());
    }
  }

  @Test
  void moreSeriesThanTheCacheHoldsRunInRoundsAndEvictTheLeastRecentlyUsed() {
    AutoTimes model = model();
    try (AutoTimesStreaming batched = new AutoTimesStreaming(model, 2);
        AutoTimesStreaming reference = new AutoTimesStreaming(model, 2)) {
      List<Request> five = new ArrayList<>();
      for (int c = 0; c < 5; c++) {
        five.add(new Request("k" + c, window(c, c, L + c)));
      }
      assertSame(oneByOne(reference, five, S), batched.forecastAll(five, S), "five");
      assertEquals(2, batched.cachedSeries());
      assertNull(batched.session("k0"));
      // the evicted series rebuild from their windows, the cached ones append
      List<Request> again = List.of(new Request("k0", window(0, S, L + S)), new Request("k4", window(4, 4 + S, L + 4 + S)));
      assertSame(oneByOne(reference, again, S), batched.forecastAll(again, S), "again");
      assertEquals(L / S, batched.session("k0").segments());
      assertEquals(L / S + 1, batched.session("k4").segments());
    }
  }

  @Test
  void badRequestsFailBeforeAnyWork() {
    try (AutoTimesStreaming batched = new AutoTimesStreaming(model(), 4)) {
      assertThrows(IllegalArgumentException.class, () -> batched.forecastAll(List.of(new Request("a", window(0, 0, L))), 0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> batched.forecastAll(List.of(new Request("a", window(0, 0, L)), new Request("b", window(1, 0, L - 1))), S));
      assertTrue(e.getMessage().contains("minHistory"), e.getMessage());
      assertEquals(0, batched.cachedSeries());
      assertEquals(List.of(), batched.forecastAll(List.of(), S));
    }
  }

  /** Channels {@code from..from+count-1}, points [start, end), on one clock. */
  private static ChannelsRequest channels(String key, int from, int count, int start, int end) {
    double[][] v = new double[count][];
    for (int c = 0; c < count; c++) {
      v[c] = window(from + c, start, end).values();
    }
    return new ChannelsRequest(key, window(0, start, end).timestamps(), v, 60_000L);
  }

  /** Each channel of each request through {@code reference}'s one-series path, as "c:key". */
  private static List<double[]> perChannel(AutoTimesStreaming reference, List<ChannelsRequest> requests, int horizon) {
    List<double[]> out = new ArrayList<>();
    for (ChannelsRequest r : requests) {
      for (int c = 0; c < r.values().length; c++) {
        out.add(reference.forecast(c + ":" + r.seriesKey(), r.window(c), horizon));
      }
    }
    return out;
  }

  private static List<double[]> flat(List<double[][]> grouped) {
    List<double[]> out = new ArrayList<>();
    for (double[][] g : grouped) {
      out.addAll(Arrays.asList(g));
    }
    return out;
  }

  @Test
  void aSeriesWithSeveralChannelsKeepsOneSessionAndAnswersAsItsChannelsAlone() {
    AutoTimes model = model();
    try (AutoTimesStreaming batched = new AutoTimesStreaming(model, 16);
        AutoTimesStreaming reference = new AutoTimesStreaming(model, 64)) {
      // 1. Two series of 3 and 2 channels open: one session each, rows = channels
      List<ChannelsRequest> open = List.of(channels("m1", 0, 3, 0, L), channels("m2", 3, 2, 4, L + 4));
      assertSame(perChannel(reference, open, S), flat(batched.forecastChannels(open, S)), "open");
      assertEquals(2, batched.cachedSeries());
      assertEquals(3, batched.session("m1").rows());
      assertEquals(2, batched.session("m2").rows());
      AutoTimesSession m1 = batched.session("m1");
      // 2. m1 advances one segment and m2 two: one token each on the same sessions, a horizon past S
      List<ChannelsRequest> next = List.of(channels("m1", 0, 3, 0, L + S), channels("m2", 3, 2, 4, L + 4 + 2 * S));
      assertSame(perChannel(reference, next, 2 * S + 3), flat(batched.forecastChannels(next, 2 * S + 3)), "advance");
      assertTrue(m1 == batched.session("m1"), "the same session");
      assertEquals(L / S + 1, m1.segments());
      // 3. Between boundaries: no decoding, the cached forecast shifted
      List<ChannelsRequest> between = List.of(channels("m1", 0, 3, 3, L + S + 3));
      assertSame(perChannel(reference, between, S), flat(batched.forecastChannels(between, S)), "between");
      // 4. A value replaced at the boundary in one channel only: that series is rebuilt
      ChannelsRequest changed = channels("m1", 0, 3, 3, L + S + 3);
      changed.values()[2][L + S - 1 - 3] += 1;
      batched.forecastChannels(List.of(changed), S);
      assertTrue(m1 != batched.session("m1"), "rebuilt after a replaced value");
      // 5. The key's channel count changes: rebuilt with the new rows
      batched.forecastChannels(List.of(channels("m2", 3, 3, 4, L + 4 + 2 * S)), S);
      assertEquals(3, batched.session("m2").rows());
    }
  }

  @Test
  void stackedDecoderStatesMustAgreeInLayersAndBeSplitAtTheirOwnPositions() {
    AutoTimes model = model();
    try (AutoTimesSession a = model.openSession(Arrays.copyOf(columns[0], L));
        AutoTimesSession b = model.openSession(Arrays.copyOf(columns[1], L));
        DecoderState fresh = model.network().newState(2)) {
      b.append(Arrays.copyOfRange(columns[1], L, L + S));
      DecoderState sa = a.decoderState();
      DecoderState sb = b.decoderState();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecoderState.concat(List.of(sa, fresh)));
      assertTrue(e.getMessage().contains("layers cached"), e.getMessage());
      try (DecoderState both = DecoderState.concat(List.of(sa, sb))) {
        // a at 4 segments, b at 5: a's row is padded by one slot
        assertEquals(5, both.position());
        assertEquals(1, both.padding(0));
        assertEquals(0, both.padding(1));
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class, () -> both.splitInto(List.of(sa)));
        assertTrue(rows.getMessage().contains("1 rows"), rows.getMessage());
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class, () -> both.splitInto(List.of(fresh)));
        assertTrue(mixed.getMessage().contains("different positions"), mixed.getMessage());
      }
      assertThrows(IllegalArgumentException.class, () -> DecoderState.concat(List.of()));
    }
  }
}
