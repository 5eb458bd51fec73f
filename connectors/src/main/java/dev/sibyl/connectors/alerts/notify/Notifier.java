package dev.sibyl.connectors.alerts.notify;

import dev.sibyl.connectors.alerts.incident.IncidentEvent;

/**
 * One alert receiver (a sink). Rendering is kept apart from delivery so that the exact body can be
 * retried unchanged and, when it cannot be delivered, dead-lettered byte for byte.
 */
public interface Notifier {

  /** The sink's configured name, used in logs and dead-letter reasons. */
  String name();

  /**
   * The request body announcing an event, in the receiver's format.
   *
   * @param event a trigger or a resolve; never null
   * @return the body (UTF-8 JSON for every sink of this package); never null
   */
  byte[] render(IncidentEvent event);

  /**
   * Sends one rendered body, once (retries are the caller's).
   *
   * @param body what {@link #render} returned
   * @throws DeliveryException when the receiver did not accept it, saying whether a retry may help
   */
  void deliver(byte[] body) throws DeliveryException;
}
