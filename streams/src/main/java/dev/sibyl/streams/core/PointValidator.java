package dev.sibyl.streams.core;

import dev.sibyl.schemas.TelemetryPoint;
import java.time.Instant;
import java.util.Map;

/**
 * Checks a decoded {@link TelemetryPoint} before it touches any state. Every failure has a reason
 * that names the field and the bad value; the caller sends the record to the dead-letter topic.
 */
public final class PointValidator {

  private final long maxFutureMillis;

  /**
   * @param maxFutureMillis how far ahead of the wall clock a timestamp may be
   */
  public PointValidator(long maxFutureMillis) {
    this.maxFutureMillis = maxFutureMillis;
  }

  /**
   * @param key the record key (the source by convention); may be null
   * @param point the decoded value, non-null
   * @param nowMillis the wall clock
   * @return null when the point is valid, otherwise the reason it is not
   */
  public String problemWith(String key, TelemetryPoint point, long nowMillis) {
    String source = point.getSource();
    if (source == null || source.isBlank()) {
      return "missing field: source is empty";
    }
    if (!isIdentifier(source)) {
      return "bad field: source contains control characters";
    }
    if (key != null && !key.equals(source)) {
      return "key '" + key + "' does not match source '" + source + "' (the key must be the source so that a series stays on one partition)";
    }
    Instant timestamp = point.getTimestamp();
    if (timestamp == null) {
      return "missing field: timestamp";
    }
    if (timestamp.toEpochMilli() < 0) {
      return "bad field: timestamp " + timestamp.toEpochMilli() + " is before 1970";
    }
    if (timestamp.toEpochMilli() > nowMillis + maxFutureMillis) {
      return "bad field: timestamp " + timestamp + " is more than " + maxFutureMillis + " ms in the future";
    }
    Map<String, Double> values = point.getValues();
    if (values == null || values.isEmpty()) {
      return "missing field: values is empty";
    }
    for (Map.Entry<String, Double> entry : values.entrySet()) {
      if (entry.getKey() == null || entry.getKey().isEmpty() || !isIdentifier(entry.getKey())) {
        return "bad field: channel name '" + entry.getKey() + "' is empty or contains control characters";
      }
      Double value = entry.getValue();
      if (value == null || !Double.isFinite(value)) {
        return "bad value: channel '" + entry.getKey() + "' is " + value;
      }
    }
    return null;
  }

  private static boolean isIdentifier(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
