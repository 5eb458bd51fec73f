package dev.sibyl.streams.kafka;

import dev.sibyl.schemas.TelemetryPoint;

/**
 * A telemetry record after decoding and validation, carrying its original bytes so that a later
 * stage can still dead-letter it byte for byte.
 *
 * @param point the decoded, valid point
 * @param rawKey the record key as it arrived; may be null
 * @param rawValue the record value as it arrived
 */
record DecodedPoint(TelemetryPoint point, byte[] rawKey, byte[] rawValue) {}
