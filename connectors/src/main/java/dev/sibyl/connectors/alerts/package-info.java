/**
 * Alerting: turns the pipeline's anomaly flags and health estimates into incidents and notifies
 * Prometheus Alertmanager, Slack, PagerDuty or a generic JSON webhook.
 *
 * <ul>
 *   <li>{@code incident}: grouping and de-duplication, one incident per series and episode, from
 *       open to resolved;
 *   <li>{@code notify}: the {@code Notifier} interface and the notification it sends;
 *   <li>{@code sink}: one notifier per external API, each building that API's exact payload;
 *   <li>{@code delivery}: retries with exponential backoff, per-sink rate limits, and the outcome
 *       that decides whether a notification is dead-lettered;
 *   <li>{@code config}: the {@code alerts.*} settings;
 *   <li>{@code kafka}: the runner that reads the topics, commits after delivery and writes dead
 *       letters.
 * </ul>
 */
package dev.sibyl.connectors.alerts;
