package dev.sibyl.connectors.alerts.incident;

import dev.sibyl.schemas.Severity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One episode of one series being abnormal, as the notifiers see it: an immutable snapshot taken
 * when the incident was triggered or resolved.
 *
 * @param id the de-duplication key: the same for the trigger and the resolve of one episode, and
 *     different for the next episode of the same series; at most {@value #MAX_ID_LENGTH}
 *     characters (PagerDuty's limit)
 * @param series the series; never null
 * @param kind what opened it; never null
 * @param severity the highest severity seen in the episode; never null
 * @param openedAt event time of the record that opened it; never null
 * @param lastEventAt event time of the latest record that extended it; never null
 * @param count how many records the episode grouped (at least 1)
 * @param maxScore the highest anomaly score in the episode, in [0, 1] (for a degradation, one
 *     minus the lowest probability of being healthy)
 * @param summary one human-readable line describing the latest record; never null
 * @param details the latest record's fields as text, in a stable order; never null
 * @param resolvedAt when it was resolved (wall clock), or null while it is open
 * @param resolveReason why it was resolved, or null while it is open
 */
public record Incident(
    String id,
    SeriesKey series,
    IncidentKind kind,
    Severity severity,
    Instant openedAt,
    Instant lastEventAt,
    long count,
    double maxScore,
    String summary,
    Map<String, String> details,
    Instant resolvedAt,
    String resolveReason) {

  /** Longest de-duplication key; PagerDuty accepts at most 255 characters. */
  public static final int MAX_ID_LENGTH = 255;

  /** Copies the details map, keeping its order. */
  public Incident {
    details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /** Whether the incident is resolved. */
  public boolean resolved() {
    return resolvedAt != null;
  }

  /**
   * The de-duplication key of an episode: {@code sibyl/<source>/<channel>/<openedAt millis>}, or
   * {@code sibyl/sha256:<hex>} of that text when it would be longer than {@value #MAX_ID_LENGTH}.
   * Deterministic, so that a replayed opening record after a restart yields the same key and the
   * receivers de-duplicate it.
   *
   * @param series the series
   * @param openedAt event time of the opening record
   * @return the key
   */
  public static String idOf(SeriesKey series, Instant openedAt) {
    String id = "sibyl/" + series.source() + "/" + series.channel() + "/" + openedAt.toEpochMilli();
    if (id.length() <= MAX_ID_LENGTH) {
      return id;
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return "sibyl/sha256:" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
