package dev.sibyl.connectors.alerts.incident;

import java.util.Objects;

/**
 * A change of an incident that must be notified.
 *
 * @param action trigger (opened) or resolve
 * @param incident the incident after the change
 * @param origin the Kafka record that caused the change; for a resolve by quiet period or
 *     eviction, the latest record of the incident
 */
public record IncidentEvent(Action action, Incident incident, Origin origin) {

  /** The two notifications of an incident's life. */
  public enum Action {
    /** The incident opened. */
    TRIGGER,
    /** The incident ended. */
    RESOLVE
  }

  /** Checks that every part is present. */
  public IncidentEvent {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(incident, "incident");
    Objects.requireNonNull(origin, "origin");
  }
}
