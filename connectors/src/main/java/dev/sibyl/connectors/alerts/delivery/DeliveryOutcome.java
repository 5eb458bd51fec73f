package dev.sibyl.connectors.alerts.delivery;

import dev.sibyl.connectors.alerts.incident.IncidentEvent;

/**
 * What became of one notification to one sink.
 *
 * @param sink the sink's name
 * @param event the event notified
 * @param body the exact body sent (or that would have been sent)
 * @param delivered whether the receiver accepted it
 * @param attempts requests made (0 when the rate limit refused it before any)
 * @param error why it was not delivered, naming the sink and the last answer; null when delivered
 */
public record DeliveryOutcome(
    String sink, IncidentEvent event, byte[] body, boolean delivered, int attempts, String error) {}
