package dev.sibyl.models.autotimes;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The timestamp text of a segment, AutoTimes' "timestamps as position embeddings" (Liu et al.,
 * NeurIPS 2024; reference {@code preprocess.py}: {@code "This is Time Series from {start} to
 * {end}"} for every segment of the data set, the times written {@code %Y-%m-%d %H:%M:%S}).
 *
 * <p>Two modes ({@code timestamps} hyperparameter). {@code calendar} writes the reference's text
 * from the calendar times of the segment's first and last points ({@link #calendar}), in UTC
 * (the pipeline's timestamps are epoch milliseconds, and ETT's dates carry no zone, so they are
 * read as UTC). {@code relative}, the default and the only mode before calendar times reached
 * the families, writes the times relative to the start of the context, in steps ({@link #text}):
 * segment {@code j} of length S covers {@code [j S, j S + S - 1]}; the text is then the same for
 * every window and changes only with the segment's place, which is a departure from the paper
 * that artifacts trained before calendar times keep.
 */
public final class TimestampPrompt {

  /** The reference's {@code strftime("%Y-%m-%d %H:%M:%S")}, in UTC. */
  private static final DateTimeFormatter CALENDAR =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private TimestampPrompt() {}

  /**
   * The relative text of a segment.
   *
   * @param index the segment's place from the start of the context, 0-based
   * @param segmentLength S, points per segment
   * @return the text, e.g. {@code This is Time Series from 96 to 191}
   */
  public static String text(int index, int segmentLength) {
    long start = (long) index * segmentLength;
    return "This is Time Series from " + start + " to " + (start + segmentLength - 1);
  }

  /**
   * The calendar text of a segment.
   *
   * @param startMillis the time of the segment's first point, epoch milliseconds
   * @param endMillis the time of its last point, epoch milliseconds
   * @return the text, e.g. {@code This is Time Series from 2016-07-01 00:00:00 to 2016-07-04
   *     23:00:00}
   */
  public static String calendar(long startMillis, long endMillis) {
    return "This is Time Series from "
        + CALENDAR.format(Instant.ofEpochMilli(startMillis))
        + " to "
        + CALENDAR.format(Instant.ofEpochMilli(endMillis));
  }
}
