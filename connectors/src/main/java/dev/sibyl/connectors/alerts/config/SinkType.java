package dev.sibyl.connectors.alerts.config;

import java.util.Locale;

/** The kinds of sink, by their {@code alerts.sink.<name>.type} value. */
public enum SinkType {
  /** Prometheus Alertmanager, API v2. */
  ALERTMANAGER,
  /** A Slack incoming webhook. */
  SLACK,
  /** PagerDuty Events API v2. */
  PAGERDUTY,
  /** sibyl's own JSON body to any URL. */
  WEBHOOK;

  /** The value as written in the settings. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
