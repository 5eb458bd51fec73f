package dev.sibyl.streams.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The persisted form of {@link SeriesState}, in three kinds of record so that each observation
 * costs one store write of a few hundred bytes rather than a copy of the whole window:
 *
 * <ul>
 *   <li><b>point block</b>: up to {@value #BLOCK_POINTS} points of {@value #POINT_BYTES} bytes
 *       ({@code long timestamp, double value}); point number n is stored in slot {@code n mod
 *       capacity}, slots grouped by {@value #BLOCK_POINTS} into blocks, so that several points of a
 *       series that arrive within one commit interval cost one changelog record;
 *   <li><b>meta</b>, version {@value #META_VERSION}: {@code byte version, int capacity, long
 *       appended, int size, long stepMillis, int pointsSinceForecast}, then the anomaly scorer
 *       ({@code double outsideRate, continuationRate, meanDistance, long count, outsideCount,
 *       followers, run}, see {@link ExcursionLikelihood}), followed by the <i>current block</i>
 *       (the block holding the newest point). An observation thus costs one store write; the point store receives a block only
 *       when its last slot is filled, i.e. when it stops being the current block (see {@link
 *       #blockCompletedBy}). Readers take the current block from the meta record and every other
 *       block from the point store. Earlier releases wrote, and this codec still reads, version 2
 *       (no scorer: the series' scorer starts fresh) and version 1 (no scorer and no block: every
 *       block was written to the point store on every observation). A series with online
 *       intervals (the keyed path, see {@link OnlineIntervals}) is written as version {@value
 *       #META_VERSION_WITH_INTERVALS}: version 3's fields and scorer, then {@code double coverage,
 *       int horizon, int seedWindow, int furthest, horizon x (double halfWidth, seed)}, then the current block;
 *       every other series is still written as version 3, so that the other paths' records and
 *       readers are unchanged;
 *   <li><b>forecast</b>: {@code byte version, long issuedAt, long stepMillis, double coverage, int
 *       modelLength, modelLength bytes UTF-8, int horizon, horizon x (double mean, lower, upper)}.
 * </ul>
 *
 * All big-endian. Records carry a version byte; an unknown version or truncated bytes throw {@link
 * IllegalStateException}: state is written only by this codec, so either means a bug or a
 * downgrade, and the task must stop rather than forecast from garbage.
 */
public final class SeriesStateCodec {

  /** The version of the forecast records this codec writes (and of meta records before 2). */
  public static final byte VERSION = 1;

  /** The version of the meta records this codec writes: meta fields, scorer, current block. */
  public static final byte META_VERSION = 3;

  /** The version of the meta records that also carry the series' online intervals. */
  public static final byte META_VERSION_WITH_INTERVALS = 4;

  /** The version of the meta records with the current block but no scorer, still read. */
  public static final byte META_VERSION_WITHOUT_SCORER = 2;

  /** Size of one point in a block. */
  public static final int POINT_BYTES = 16;

  /** Points per block record. */
  public static final int BLOCK_POINTS = 16;

  private static final int META_BYTES = 1 + 4 + 8 + 4 + 8 + 4;

  private static final int SCORER_BYTES = 3 * 8 + 4 * 8;

  /** Coverage, horizon, seed window and furthest step before the per-step half-widths and seeds. */
  private static final int INTERVALS_HEAD_BYTES = 8 + 4 + 4 + 4;

  private SeriesStateCodec() {}

  /**
   * The bookkeeping of a series' window.
   *
   * @param capacity the ring capacity the points were stored with
   * @param appended points appended since the window started ({@link SeriesState#appended()})
   * @param size points held
   * @param stepMillis nominal spacing, 0 when unknown
   * @param pointsSinceForecast points since the latest forecast
   */
  public record Meta(int capacity, long appended, int size, long stepMillis, int pointsSinceForecast) {

    /** The meta record of a state. */
    public static Meta of(SeriesState state) {
      return new Meta(state.capacity(), state.appended(), state.size(), state.stepMillis(), state.pointsSinceForecast());
    }

    /** The storage slot of point number {@code n}. */
    public int slot(long n) {
      return (int) (n % capacity);
    }

    /** The block holding point number {@code n}. */
    public int block(long n) {
      return slot(n) / BLOCK_POINTS;
    }

    /** Blocks a window of this capacity uses. */
    public int blocks() {
      return (capacity + BLOCK_POINTS - 1) / BLOCK_POINTS;
    }

    /** The number of the newest point (below {@code appended}) stored in {@code slot}; may be negative. */
    long newestNumberInSlot(int slot) {
      long newest = appended - 1;
      return newest - Math.floorMod(newest - slot, (long) capacity);
    }
  }

  /**
   * Encodes the block of slots {@code [block * BLOCK_POINTS, min(capacity, (block + 1) *
   * BLOCK_POINTS))} from a state whose points are numbered as in {@code meta}. Slots holding no
   * point of the window are written as zeros; readers never look at them.
   */
  public static byte[] encodeBlock(SeriesState state, Meta meta, int block) {
    ByteBuffer out = ByteBuffer.allocate(blockSlots(meta, block) * POINT_BYTES);
    putBlock(out, state, meta, block);
    return out.array();
  }

  /** Slots in a block: {@value #BLOCK_POINTS}, fewer in the last block of a ring. */
  private static int blockSlots(Meta meta, int block) {
    return Math.min(BLOCK_POINTS, meta.capacity() - block * BLOCK_POINTS);
  }

  private static void putBlock(ByteBuffer out, SeriesState state, Meta meta, int block) {
    int firstSlot = block * BLOCK_POINTS;
    int slots = blockSlots(meta, block);
    long oldest = meta.appended() - meta.size();
    for (int j = 0; j < slots; j++) {
      long n = meta.newestNumberInSlot(firstSlot + j);
      if (n >= oldest) {
        int i = (int) (n - oldest);
        out.putLong(state.timestampAt(i)).putDouble(state.valueAt(i));
      } else {
        out.putLong(0).putDouble(0);
      }
    }
  }

  /** Timestamp at a slot of an encoded block. */
  public static long blockTimestamp(byte[] block, int slotInBlock) {
    checkSlot(block, slotInBlock);
    return ByteBuffer.wrap(block).getLong(slotInBlock * POINT_BYTES);
  }

  /** Value at a slot of an encoded block. */
  public static double blockValue(byte[] block, int slotInBlock) {
    checkSlot(block, slotInBlock);
    return ByteBuffer.wrap(block).getDouble(slotInBlock * POINT_BYTES + 8);
  }

  private static void checkSlot(byte[] block, int slotInBlock) {
    if (block.length % POINT_BYTES != 0 || (slotInBlock + 1) * POINT_BYTES > block.length) {
      throw new IllegalStateException(
          "point block of " + block.length + " bytes has no slot " + slotInBlock + " (truncated or corrupt)");
    }
  }

  /**
   * Encodes the bookkeeping of a window in the version-1 form (no current block), which earlier
   * releases wrote; kept so that tests can build such state and check that it is still read.
   */
  public static byte[] encodeMeta(Meta meta) {
    return putMetaFields(ByteBuffer.allocate(META_BYTES), VERSION, meta).array();
  }

  /**
   * Encodes the bookkeeping of a window together with the series' scorer and its current block, the
   * block of point number {@code meta.appended() - 1}, encoded as by {@link #encodeBlock}.
   *
   * @param state the state the meta describes, with at least one point
   */
  public static byte[] encodeMetaWithBlock(SeriesState state, Meta meta) {
    int block = meta.block(meta.appended() - 1);
    OnlineIntervals intervals = state.onlineIntervals();
    int intervalBytes = intervals == null ? 0 : INTERVALS_HEAD_BYTES + 16 * intervals.horizon();
    ByteBuffer out = ByteBuffer.allocate(META_BYTES + SCORER_BYTES + intervalBytes + blockSlots(meta, block) * POINT_BYTES);
    putMetaFields(out, intervals == null ? META_VERSION : META_VERSION_WITH_INTERVALS, meta);
    ExcursionLikelihood scorer = state.scorer();
    out.putDouble(scorer.outsideRate()).putDouble(scorer.continuationRate()).putDouble(scorer.meanDistance());
    out.putLong(scorer.count()).putLong(scorer.outsideCount()).putLong(scorer.followers()).putLong(scorer.run());
    if (intervals != null) {
      double[] q = intervals.halfWidths();
      double[] seeds = intervals.seeds();
      out.putDouble(intervals.coverage()).putInt(intervals.horizon()).putInt(intervals.seedWindow()).putInt(intervals.furthest());
      for (int k = 0; k < q.length; k++) {
        out.putDouble(q[k]).putDouble(seeds[k]);
      }
    }
    putBlock(out, state, meta, block);
    return out.array();
  }

  private static ByteBuffer putMetaFields(ByteBuffer out, byte version, Meta meta) {
    return out.put(version)
        .putInt(meta.capacity())
        .putLong(meta.appended())
        .putInt(meta.size())
        .putLong(meta.stepMillis())
        .putInt(meta.pointsSinceForecast());
  }

  /** Decodes the bookkeeping of a window from a meta record of version 1 to 4. */
  public static Meta decodeMeta(byte[] bytes) {
    if (bytes.length < META_BYTES) {
      throw new IllegalStateException("series meta is " + bytes.length + " bytes, expected at least " + META_BYTES + " (truncated or corrupt)");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte version = in.get();
    if (version != VERSION && version != META_VERSION_WITHOUT_SCORER && version != META_VERSION && version != META_VERSION_WITH_INTERVALS) {
      throw new IllegalStateException(
          "series meta of version " + version + " cannot be read by this version of Sibyl (it reads versions " + VERSION + " to "
              + META_VERSION_WITH_INTERVALS + ")");
    }
    Meta meta = new Meta(in.getInt(), in.getLong(), in.getInt(), in.getLong(), in.getInt());
    if (version == VERSION) {
      checkLength(bytes, META_BYTES, "series meta of version " + VERSION);
    } else if (meta.capacity() < 1 || meta.appended() < 1) {
      throw new IllegalStateException(
          "series meta of version " + version + " has capacity " + meta.capacity() + " and " + meta.appended() + " points appended (corrupt)");
    } else {
      checkLength(bytes, blockOffset(bytes) + blockSlots(meta, meta.block(meta.appended() - 1)) * POINT_BYTES, "series meta of version " + version);
    }
    return meta;
  }

  /** Where the current block starts in a meta record of version 2, 3 or 4 (at least META_BYTES long). */
  private static int blockOffset(byte[] bytes) {
    byte version = bytes[0];
    if (version == META_VERSION_WITHOUT_SCORER) {
      return META_BYTES;
    }
    if (version == META_VERSION) {
      return META_BYTES + SCORER_BYTES;
    }
    int head = META_BYTES + SCORER_BYTES;
    if (bytes.length < head + INTERVALS_HEAD_BYTES) {
      throw new IllegalStateException("series meta of version " + version + " is " + bytes.length + " bytes, too short for its intervals (truncated or corrupt)");
    }
    int horizon = ByteBuffer.wrap(bytes).getInt(head + 8);
    if (horizon < 1 || horizon > (bytes.length - head - INTERVALS_HEAD_BYTES) / 16) {
      throw new IllegalStateException("series meta of version " + version + " has intervals of " + horizon + " steps in " + bytes.length + " bytes (truncated or corrupt)");
    }
    return head + INTERVALS_HEAD_BYTES + 16 * horizon;
  }

  /**
   * Restores a series' scorer from its meta record; a record of version 1 or 2 predates the scorer,
   * which then starts fresh.
   *
   * @param bytes a meta record that {@link #decodeMeta} accepted
   * @param scorer the scorer to restore into
   */
  public static void decodeScorer(byte[] bytes, ExcursionLikelihood scorer) {
    if (bytes[0] != META_VERSION && bytes[0] != META_VERSION_WITH_INTERVALS) {
      scorer.clear();
      return;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, META_BYTES, SCORER_BYTES);
    scorer.restore(in.getDouble(), in.getDouble(), in.getDouble(), in.getLong(), in.getLong(), in.getLong(), in.getLong());
  }

  /**
   * The current block carried by a meta record: the encoded block of the newest point, or null
   * for a version-1 record (whose blocks are all in the point store).
   *
   * @param bytes a meta record that {@link #decodeMeta} accepted
   */
  public static byte[] currentBlock(byte[] bytes) {
    return bytes[0] == VERSION ? null : Arrays.copyOfRange(bytes, blockOffset(bytes), bytes.length);
  }

  /**
   * The online intervals carried by a meta record, or null for a record without them (version 1
   * to 3: the keyed path seeds them again at the series' next forecast).
   *
   * @param bytes a meta record that {@link #decodeMeta} accepted
   * @throws IllegalStateException when the intervals are out of range (corrupt)
   */
  public static OnlineIntervals decodeOnlineIntervals(byte[] bytes) {
    if (bytes[0] != META_VERSION_WITH_INTERVALS) {
      return null;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, META_BYTES + SCORER_BYTES, bytes.length - META_BYTES - SCORER_BYTES);
    double coverage = in.getDouble();
    int horizon = in.getInt();
    int seedWindow = in.getInt();
    int furthest = in.getInt();
    double[] q = new double[horizon];
    double[] seeds = new double[horizon];
    for (int k = 0; k < horizon; k++) {
      q[k] = in.getDouble();
      seeds[k] = in.getDouble();
    }
    return OnlineIntervals.restore(coverage, q, seeds, seedWindow, furthest);
  }

  /**
   * Whether appending point number {@code meta.appended() - 1} filled the last slot of its block,
   * so that the block stops being the current one and must be written to the point store.
   */
  public static boolean blockCompletedBy(Meta meta) {
    int slot = meta.slot(meta.appended() - 1);
    return slot % BLOCK_POINTS == BLOCK_POINTS - 1 || slot == meta.capacity() - 1;
  }

  /** Encodes a forecast. */
  public static byte[] encodeForecast(LatestForecast forecast) {
    byte[] model = forecast.model().getBytes(StandardCharsets.UTF_8);
    int horizon = forecast.mean().length;
    ByteBuffer out = ByteBuffer.allocate(1 + 8 + 8 + 8 + 4 + model.length + 4 + 24 * horizon);
    out.put(VERSION).putLong(forecast.issuedAt()).putLong(forecast.stepMillis()).putDouble(forecast.coverage());
    out.putInt(model.length).put(model).putInt(horizon);
    for (int k = 0; k < horizon; k++) {
      out.putDouble(forecast.mean()[k]).putDouble(forecast.lower()[k]).putDouble(forecast.upper()[k]);
    }
    return out.array();
  }

  /** Decodes a forecast. */
  public static LatestForecast decodeForecast(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      checkVersion(in.get(), "forecast");
      long issuedAt = in.getLong();
      long step = in.getLong();
      double coverage = in.getDouble();
      byte[] model = new byte[in.getInt()];
      in.get(model);
      int horizon = in.getInt();
      double[] mean = new double[horizon];
      double[] lower = new double[horizon];
      double[] upper = new double[horizon];
      for (int k = 0; k < horizon; k++) {
        mean[k] = in.getDouble();
        lower[k] = in.getDouble();
        upper[k] = in.getDouble();
      }
      return new LatestForecast(issuedAt, step, mean, lower, upper, coverage, new String(model, StandardCharsets.UTF_8));
    } catch (BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalStateException("stored forecast is truncated (" + bytes.length + " bytes)", e);
    }
  }

  private static void checkVersion(byte version, String what) {
    if (version != VERSION) {
      throw new IllegalStateException(
          what + " of version " + version + " cannot be read by this version of Sibyl (it reads version " + VERSION + ")");
    }
  }

  private static void checkLength(byte[] bytes, int expected, String what) {
    if (bytes.length != expected) {
      throw new IllegalStateException(what + " is " + bytes.length + " bytes, expected " + expected + " (truncated or corrupt)");
    }
  }
}
