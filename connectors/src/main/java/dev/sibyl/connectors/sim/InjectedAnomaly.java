package dev.sibyl.connectors.sim;

import java.time.Instant;

/**
 * One labelled point of an injected anomaly: one row of the labels CSV.
 *
 * @param source the source of the point; never null
 * @param channel the affected channel; never null
 * @param timestamp event time of the point; never null
 * @param kind the kind of anomaly; never null
 */
public record InjectedAnomaly(String source, String channel, Instant timestamp, AnomalyKind kind) {}
