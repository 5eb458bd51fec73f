package dev.sibyl.streams.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.streams.core.SeriesStateCodec.Meta;
import org.junit.jupiter.api.Test;

class SeriesStateCodecTest {

  @Test
  void recordsRoundTrip() {
    Meta meta = new Meta(256, 1000, 256, 60_000, 7);
    assertThat(SeriesStateCodec.decodeMeta(SeriesStateCodec.encodeMeta(meta))).isEqualTo(meta);
    assertThat(meta.slot(1000)).isEqualTo(1000 % 256);
    LatestForecast forecast = new LatestForecast(5, 60_000, new double[] {1, 2}, new double[] {0, 1}, new double[] {2, 3}, 0.9, "holt-winters:1");
    LatestForecast back = SeriesStateCodec.decodeForecast(SeriesStateCodec.encodeForecast(forecast));
    assertThat(back.issuedAt()).isEqualTo(5);
    assertThat(back.upper()).containsExactly(2, 3);
    assertThat(back.model()).isEqualTo("holt-winters:1");
  }

  @Test
  void blocksHoldTheWindowByPointNumber() {
    // capacity 20: slots 0..19 in blocks of 16 (block 1 holds slots 16..19)
    SeriesState state = new SeriesState(20);
    for (int n = 0; n < 45; n++) {
      state.append(1000L * n, n);
    }
    Meta meta = Meta.of(state); // appended 45, size 20: points 25..44
    byte[] block0 = SeriesStateCodec.encodeBlock(state, meta, 0);
    byte[] block1 = SeriesStateCodec.encodeBlock(state, meta, 1);
    assertThat(block0).hasSize(16 * SeriesStateCodec.POINT_BYTES);
    assertThat(block1).hasSize(4 * SeriesStateCodec.POINT_BYTES);
    for (long n = 25; n < 45; n++) {
      byte[] block = meta.block(n) == 0 ? block0 : block1;
      int slot = meta.slot(n) % SeriesStateCodec.BLOCK_POINTS;
      assertThat(SeriesStateCodec.blockValue(block, slot)).isEqualTo(n);
      assertThat(SeriesStateCodec.blockTimestamp(block, slot)).isEqualTo(1000L * n);
    }
  }

  @Test
  void unknownVersionsAndTruncatedBytesAreRejected() {
    byte[] meta = SeriesStateCodec.encodeMeta(new Meta(8, 1, 1, 0, 1));
    meta[0] = 9;
    assertThatThrownBy(() -> SeriesStateCodec.decodeMeta(meta)).hasMessageContaining("version 9");
    assertThatThrownBy(() -> SeriesStateCodec.decodeMeta(new byte[] {1, 0})).hasMessageContaining("truncated");
    assertThatThrownBy(() -> SeriesStateCodec.blockValue(new byte[40], 2)).hasMessageContaining("no slot 2");
    byte[] forecast = SeriesStateCodec.encodeForecast(new LatestForecast(5, 1, new double[] {1}, new double[] {0}, new double[] {2}, 0.9, "m"));
    assertThatThrownBy(() -> SeriesStateCodec.decodeForecast(java.util.Arrays.copyOf(forecast, forecast.length - 4)))
        .hasMessageContaining("truncated");
  }
  @Test
  void aCurrentMetaCarriesTheCurrentBlock() {
    SeriesState state = new SeriesState(20);
    for (int n = 0; n < 37; n++) {
      state.append(1000L * n, n);
    }
    Meta meta = Meta.of(state); // newest point 36 in slot 16: block 1, the short one (slots 16..19)
    byte[] bytes = SeriesStateCodec.encodeMetaWithBlock(state, meta);
    assertThat(bytes[0]).isEqualTo(SeriesStateCodec.META_VERSION);
    assertThat(SeriesStateCodec.decodeMeta(bytes)).isEqualTo(meta);
    assertThat(SeriesStateCodec.currentBlock(bytes)).isEqualTo(SeriesStateCodec.encodeBlock(state, meta, 1));
    assertThat(SeriesStateCodec.blockCompletedBy(meta)).isFalse();
    state.append(37_000, 37);
    state.append(38_000, 38);
    state.append(39_000, 39); // slot 19, the last of the ring
    assertThat(SeriesStateCodec.blockCompletedBy(Meta.of(state))).isTrue();
    state.append(40_000, 40); // slot 0
    assertThat(SeriesStateCodec.blockCompletedBy(Meta.of(state))).isFalse();
    // a version-1 meta has no block; a truncated current meta is rejected
    assertThat(SeriesStateCodec.currentBlock(SeriesStateCodec.encodeMeta(meta))).isNull();
    assertThatThrownBy(() -> SeriesStateCodec.decodeMeta(java.util.Arrays.copyOf(bytes, bytes.length - 1)))
        .hasMessageContaining("truncated");
  }

  @Test
  void theScorerRoundTripsThroughTheMetaRecord() {
    SeriesState state = new SeriesState(8);
    for (int n = 0; n < 30; n++) {
      state.append(1000L * n, n);
      state.scorer().update(n % 7 == 0 || n >= 27 ? 0.1 * n : 0, 0.05);
    }
    byte[] bytes = SeriesStateCodec.encodeMetaWithBlock(state, Meta.of(state));
    ExcursionLikelihood back = new ExcursionLikelihood();
    SeriesStateCodec.decodeScorer(bytes, back);
    ExcursionLikelihood written = state.scorer();
    assertThat(back.run()).isEqualTo(3);
    assertThat(new double[] {back.outsideRate(), back.continuationRate(), back.meanDistance()})
        .containsExactly(written.outsideRate(), written.continuationRate(), written.meanDistance());
    assertThat(new long[] {back.count(), back.outsideCount(), back.followers(), back.run()})
        .containsExactly(written.count(), written.outsideCount(), written.followers(), written.run());
    // the restored scorer scores the next observations exactly as the original
    for (double excursion : new double[] {0.4, 0, 0.9, 0.2}) {
      assertThat(back.update(excursion, 0.05)).isEqualTo(written.update(excursion, 0.05));
    }
  }

  @Test
  void aVersionTwoMetaIsReadWithAFreshScorer() {
    SeriesState state = new SeriesState(20);
    for (int n = 0; n < 37; n++) {
      state.append(1000L * n, n);
    }
    Meta meta = Meta.of(state);
    byte[] current = SeriesStateCodec.encodeMetaWithBlock(state, meta);
    // the version-2 layout: the meta fields (29 bytes) then the current block, no scorer
    int metaBytes = 1 + 4 + 8 + 4 + 8 + 4;
    byte[] block = SeriesStateCodec.currentBlock(current);
    byte[] v2 = java.nio.ByteBuffer.allocate(metaBytes + block.length)
        .put(java.util.Arrays.copyOf(current, metaBytes))
        .put(block)
        .array();
    v2[0] = SeriesStateCodec.META_VERSION_WITHOUT_SCORER;
    assertThat(SeriesStateCodec.decodeMeta(v2)).isEqualTo(meta);
    assertThat(SeriesStateCodec.currentBlock(v2)).isEqualTo(SeriesStateCodec.encodeBlock(state, meta, 1));
    ExcursionLikelihood scorer = new ExcursionLikelihood();
    scorer.update(0.5, 0.01);
    SeriesStateCodec.decodeScorer(v2, scorer);
    assertThat(scorer.count()).isZero();
    assertThat(scorer.outsideRate()).isZero();
    assertThatThrownBy(() -> SeriesStateCodec.decodeMeta(java.util.Arrays.copyOf(v2, v2.length + 56)))
        .hasMessageContaining("truncated or corrupt");
  }

  @Test
  void onlineIntervalsRoundTripInAVersionFourMetaAndAVersionThreeReadsWithout() {
    SeriesState state = new SeriesState(20);
    for (int n = 0; n < 37; n++) {
      state.append(1000L * n, n);
      state.scorer().update(n % 5 == 0 ? 0.3 : 0, 0.05);
    }
    Meta meta = Meta.of(state);
    // without intervals: version 3, as before (the other paths' records are unchanged)
    byte[] v3 = SeriesStateCodec.encodeMetaWithBlock(state, meta);
    assertThat(v3[0]).isEqualTo(SeriesStateCodec.META_VERSION);
    assertThat(SeriesStateCodec.decodeOnlineIntervals(v3)).isNull();
    // with intervals: version 4, whose meta, scorer and block read as version 3's
    OnlineIntervals intervals =
        OnlineIntervals.seed(new dev.sibyl.models.api.ForecastResult(new double[] {10, 11, 12}, new double[] {9, 9, 9}, new double[] {11, 13, 15}, 0.9), 40);
    intervals.observe(1, true, 0.1);
    intervals.observe(0, false, 0.1);
    state.setOnlineIntervals(intervals);
    byte[] v4 = SeriesStateCodec.encodeMetaWithBlock(state, meta);
    assertThat(v4[0]).isEqualTo(SeriesStateCodec.META_VERSION_WITH_INTERVALS);
    assertThat(v4).hasSize(v3.length + 20 + 3 * 16);
    assertThat(SeriesStateCodec.decodeMeta(v4)).isEqualTo(meta);
    assertThat(SeriesStateCodec.currentBlock(v4)).isEqualTo(SeriesStateCodec.currentBlock(v3));
    ExcursionLikelihood scorer = new ExcursionLikelihood();
    SeriesStateCodec.decodeScorer(v4, scorer);
    assertThat(scorer.count()).isEqualTo(state.scorer().count());
    OnlineIntervals back = SeriesStateCodec.decodeOnlineIntervals(v4);
    assertThat(back.coverage()).isEqualTo(0.9);
    assertThat(back.furthest()).isEqualTo(1);
    assertThat(back.seedWindow()).isEqualTo(40);
    assertThat(back.halfWidths()).containsExactly(intervals.halfWidths());
    assertThat(back.seeds()).containsExactly(1, 2, 3);
    // the restored state learns exactly as the original
    back.observe(2, true, 0.1);
    intervals.observe(2, true, 0.1);
    assertThat(back.halfWidths()).containsExactly(intervals.halfWidths());
    // a truncated or corrupt version 4 is refused
    assertThatThrownBy(() -> SeriesStateCodec.decodeMeta(java.util.Arrays.copyOf(v4, v4.length - 8)))
        .hasMessageContaining("truncated or corrupt");
    byte[] corrupt = v4.clone();
    java.nio.ByteBuffer.wrap(corrupt).putInt(29 + 56 + 8, 1000);
    assertThatThrownBy(() -> SeriesStateCodec.decodeMeta(corrupt)).hasMessageContaining("intervals of 1000 steps");
  }
}
