package dev.sibyl.connectors.alerts.incident;

/** What opened an incident. */
public enum IncidentKind {
  /** Observations outside the forecast interval ({@code AnomalyFlag} records). */
  ANOMALY,
  /** A unit whose probability of being healthy fell below the threshold ({@code HealthEstimate}). */
  DEGRADATION
}
