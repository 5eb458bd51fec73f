package dev.sibyl.connectors.alerts.incident;

import java.util.Objects;

/**
 * The series an incident belongs to: a source (a machine, a unit) and one of its channels.
 * Health incidents use the channel {@value #HEALTH_CHANNEL}.
 *
 * @param source the source id; never null
 * @param channel the channel name; never null
 */
public record SeriesKey(String source, String channel) {

  /** The channel name of a unit's health incident (degradation found by the prognostics model). */
  public static final String HEALTH_CHANNEL = "health";

  /** Checks that both parts are present. */
  public SeriesKey {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(channel, "channel");
  }

  @Override
  public String toString() {
    return source + "/" + channel;
  }
}
