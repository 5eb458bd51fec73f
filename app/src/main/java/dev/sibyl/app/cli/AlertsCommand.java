package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.connectors.alerts.config.AlertsConfig;
import dev.sibyl.connectors.alerts.config.SinkFactory;
import dev.sibyl.connectors.alerts.incident.IncidentTracker;
import dev.sibyl.connectors.alerts.kafka.AlertsRunner;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.PipelineConfig;
import java.io.PrintWriter;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl alerts}: notifies Alertmanager, Slack, PagerDuty or webhooks of the pipeline's
 * anomalies and health estimates, until Ctrl-C (or {@code --duration}). The sinks and rules are
 * the {@code alerts.*} settings of the {@code --config} file (see docs/alerts.md).
 */
@Command(
    name = "alerts",
    sortOptions = false,
    description = {
      "Notify the configured sinks (alerts.sinks: alertmanager, slack, pagerduty, webhook) of"
          + " incidents found in topic.anomalies and topic.health, until Ctrl-C (or --duration, --idle-timeout).",
      "One trigger per series and episode; the resolve after alerts.resolve.quiet.ms without flags,"
          + " when a flag comes more than alerts.resolve.event-gap.ms (event time) after the last, or when"
          + " a health estimate reports the source healthy. Undeliverable notifications go to"
          + " alerts.topic.dead-letters. See docs/alerts.md.",
      "Prints a summary line on stdout when it stops."
    })
public final class AlertsCommand implements Callable<Integer> {

  /** Bound on connecting to a receiver (the per-sink timeout.ms bounds the whole request). */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Records per poll unless kafka.max.poll.records says otherwise. */
  private static final int MAX_POLL_RECORDS = 100;

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop after this long (e.g. 10m; default: run until Ctrl-C).")
  private Duration duration;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop once no incident is open and no record has arrived for this long (drains the"
          + " topics, e.g. 30s; default: never).")
  private Duration idleTimeout;

  /** Runs the alerts runner; see the command description. */
  @Override
  public Integer call() {
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new ParameterException(spec.commandLine(), "--duration must be positive, got " + duration);
    }
    if (idleTimeout != null && (idleTimeout.isNegative() || idleTimeout.isZero())) {
      throw new ParameterException(spec.commandLine(), "--idle-timeout must be positive, got " + idleTimeout);
    }
    AppConfig config = kafka.apply(root.config());
    AlertsConfig alerts;
    try {
      alerts = new AlertsConfig(config.merged());
    } catch (ConfigException e) {
      // A settings mistake is a usage error: one line, exit 2, before any connection is made.
      throw new ParameterException(spec.commandLine(), "bad alerts settings: " + e.getMessage());
    }
    String anomalies = config.get(PipelineConfig.ANOMALIES_TOPIC_CONFIG, PipelineConfig.ANOMALIES_TOPIC_DEFAULT);
    String health = alerts.readHealth()
        ? config.get(PipelineConfig.HEALTH_TOPIC_CONFIG, PipelineConfig.HEALTH_TOPIC_DEFAULT)
        : null;
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "sibyl-alerts-timer");
      thread.setDaemon(true);
      return thread;
    });
    // The stop signal is the first resource so that it closes last, after the clients and broker.
    try (StopSignal stop = StopSignal.install();
        KafkaSession session = KafkaSession.open(config);
        KafkaConsumer<byte[], byte[]> consumer = consumer(session, alerts);
        KafkaProducer<String, DeadLetter> deadLetters = session.producer(DeadLetter.class)) {
      List<String> topics = new ArrayList<>(List.of(anomalies, alerts.deadLetterTopic()));
      if (health != null) {
        topics.add(health);
      }
      session.ensureTopics(topics);
      Map<String, Object> serdeConfig = session.clientProperties();
      AlertsRunner runner =
          AlertsRunner.builder()
              .setConsumer(consumer)
              .setDeadLetterProducer(deadLetters)
              .setAnomalyTopic(anomalies)
              .optHealthTopic(health)
              .setDeadLetterTopic(alerts.deadLetterTopic())
              .setDeserializers(
                  AvroSerdes.forType(AnomalyFlag.class, serdeConfig, false).deserializer(),
                  AvroSerdes.forType(HealthEstimate.class, serdeConfig, false).deserializer())
              .setTracker(new IncidentTracker(alerts.incidentPolicy()))
              .setSinks(new SinkFactory(http, Clock.systemUTC()).dispatchers(alerts))
              .optIdleTimeout(idleTimeout)
              .build();
      stop.onStop(runner::stop);
      if (duration != null) {
        timer.schedule(runner::stop, duration.toMillis(), TimeUnit.MILLISECONDS);
      }
      err.println("alerts: reading " + anomalies + (health == null ? "" : " and " + health) + " on "
          + session.bootstrapServers() + " for sinks " + alerts.sinks().stream().map(s -> s.name()).toList()
          + "; Ctrl-C stops");
      err.flush();
      runner.run();
      AlertsRunner.Stats stats = runner.stats();
      out.printf("alerts: %d records, %d triggers, %d resolves, %d notifications delivered, %d dead-lettered,"
              + " %d incidents open%n",
          stats.records(), stats.triggers(), stats.resolves(), stats.delivered(), stats.deadLettered(),
          stats.open());
      out.flush();
      return 0;
    } finally {
      timer.shutdownNow();
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(KafkaSession session, AlertsConfig alerts) {
    Map<String, Object> props = session.clientProperties();
    props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG); // a producer setting: "unused" warning otherwise
    props.put(ConsumerConfig.GROUP_ID_CONFIG, alerts.groupId());
    // Offsets are committed by the runner, after delivery or dead-lettering.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // A new group starts at the oldest flag (none is missed); kafka.auto.offset.reset=latest overrides.
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // The pipeline writes exactly-once: notify only of committed flags.
    props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // Rate-limited and retried sends block the poll loop: small batches keep one batch's
    // notifications well inside max.poll.interval.ms (kafka.max.poll.records overrides).
    props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
