package dev.sibyl.streams.core;

/**
 * One series: a channel of a source. A source (the Kafka key) may carry several channels, all of
 * which land on the source's partition, so per-series state needs no repartitioning.
 *
 * @param source the device or entity id, non-empty
 * @param channel the channel name, non-empty
 */
public record SeriesId(String source, String channel) {

  /**
   * Separates source and channel in state-store keys. The unit separator cannot appear in the
   * identifiers the validator accepts, so the encoding is unambiguous.
   */
  public static final char SEPARATOR = '\u001f';

  /** The state-store key of this series: source, the unit separator, channel. */
  public String storeKey() {
    return source + SEPARATOR + channel;
  }
}
