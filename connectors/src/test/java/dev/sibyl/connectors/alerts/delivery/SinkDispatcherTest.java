package dev.sibyl.connectors.alerts.delivery;

import static dev.sibyl.connectors.alerts.AlertFixtures.flag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.connectors.alerts.RecordingServer;
import dev.sibyl.connectors.alerts.RecordingServer.Answer;
import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.incident.IncidentPolicy;
import dev.sibyl.connectors.alerts.incident.IncidentTracker;
import dev.sibyl.connectors.alerts.incident.Origin;
import dev.sibyl.connectors.alerts.notify.JsonEndpoint;
import dev.sibyl.connectors.alerts.sink.WebhookNotifier;
import dev.sibyl.schemas.Severity;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SinkDispatcherTest {

  private RecordingServer server;
  private IncidentEvent trigger;

  @BeforeEach
  void start() throws Exception {
    server = new RecordingServer();
    Duration quiet = Duration.ofMinutes(1);
    IncidentTracker tracker = new IncidentTracker(new IncidentPolicy(quiet, quiet, Severity.LOW, 10, 0.5));
    trigger = tracker.onFlag(flag("pump-1", "temp", 0, Severity.HIGH, 0.9), Origin.NONE, Instant.now()).get(0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private SinkDispatcher dispatcher(RetryPolicy retry, TokenBucket bucket, Duration maxRateWait) {
    JsonEndpoint endpoint =
        new JsonEndpoint(HttpClient.newHttpClient(), server.base().resolve("/hook"), Duration.ofSeconds(5), Map.of());
    return new SinkDispatcher(new WebhookNotifier("hook", endpoint), retry, bucket, maxRateWait);
  }

  private SinkDispatcher dispatcher(RetryPolicy retry) {
    return dispatcher(retry, new TokenBucket(1000, 100, System::nanoTime), Duration.ZERO);
  }

  @Test
  void retriesServerErrorsWithDoublingBackoffThenDelivers() {
    server.answer(503, 500);
    DeliveryOutcome outcome = dispatcher(new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(1))).deliver(trigger);
    assertThat(outcome.delivered()).isTrue();
    assertThat(outcome.attempts()).isEqualTo(3);
    assertThat(outcome.error()).isNull();
    List<RecordingServer.Request> requests = server.requests();
    assertThat(requests).hasSize(3);
    // The same body every time.
    assertThat(requests).extracting(RecordingServer.Request::body).containsOnly(requests.get(0).body());
    long firstGap = requests.get(1).nanos() - requests.get(0).nanos();
    long secondGap = requests.get(2).nanos() - requests.get(1).nanos();
    assertThat(Duration.ofNanos(firstGap)).isBetween(Duration.ofMillis(100), Duration.ofMillis(600));
    assertThat(Duration.ofNanos(secondGap)).isBetween(Duration.ofMillis(200), Duration.ofMillis(800));
  }

  @Test
  void givesUpAfterTheLastAttemptAndSaysWhy() {
    server.answer(503, 503, 503);
    DeliveryOutcome outcome = dispatcher(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(20))).deliver(trigger);
    assertThat(outcome.delivered()).isFalse();
    assertThat(outcome.attempts()).isEqualTo(3);
    assertThat(outcome.error()).isEqualTo(
        "sink hook: gave up after 3 attempts: POST " + server.base() + "/hook answered 503");
    assertThat(outcome.body()).isNotEmpty();
    assertThat(server.requests()).hasSize(3);
  }

  @Test
  void aClientErrorIsNotRetried() {
    server.answer(new Answer(400, "{\"status\":\"invalid event\",\"errors\":[\"'routing_key' is missing\"]}", Map.of()));
    DeliveryOutcome outcome = dispatcher(new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(20))).deliver(trigger);
    assertThat(outcome.delivered()).isFalse();
    assertThat(outcome.attempts()).isEqualTo(1);
    assertThat(outcome.error()).isEqualTo("sink hook: refused: POST " + server.base()
        + "/hook answered 400: {\"status\":\"invalid event\",\"errors\":[\"'routing_key' is missing\"]}");
    assertThat(server.requests()).hasSize(1);
  }

  @Test
  void tooManyRequestsWaitsForRetryAfterCappedByTheMaximumBackoff() {
    server.answer(new Answer(429, "rate limited", Map.of("Retry-After", "30")));
    DeliveryOutcome outcome = dispatcher(new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(400))).deliver(trigger);
    assertThat(outcome.delivered()).isTrue();
    List<RecordingServer.Request> requests = server.requests();
    Duration gap = Duration.ofNanos(requests.get(1).nanos() - requests.get(0).nanos());
    assertThat(gap).isBetween(Duration.ofMillis(400), Duration.ofMillis(1500)); // not 10 ms, not 30 s
  }

  @Test
  void anUnreachableReceiverIsRetriedThenReported() throws Exception {
    String base = server.base().toString();
    server.close(); // nothing listens there now
    JsonEndpoint endpoint =
        new JsonEndpoint(HttpClient.newHttpClient(), java.net.URI.create(base + "/hook"), Duration.ofSeconds(2), Map.of());
    SinkDispatcher dispatcher = new SinkDispatcher(new WebhookNotifier("hook", endpoint),
        new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(10)), new TokenBucket(1000, 10, System::nanoTime),
        Duration.ZERO);
    DeliveryOutcome outcome = dispatcher.deliver(trigger);
    assertThat(outcome.delivered()).isFalse();
    assertThat(outcome.attempts()).isEqualTo(2);
    assertThat(outcome.error()).startsWith("sink hook: gave up after 2 attempts: POST " + base + "/hook failed: ");
  }

  @Test
  void theRateLimitRefusesWhatWouldWaitTooLong() {
    AtomicLong now = new AtomicLong();
    // Burst 2, one per second; waits up to 500 ms.
    SinkDispatcher dispatcher = dispatcher(new RetryPolicy(1, Duration.ZERO, Duration.ZERO),
        new TokenBucket(1.0, 2, now::get), Duration.ofMillis(500));
    assertThat(dispatcher.deliver(trigger).delivered()).isTrue();
    assertThat(dispatcher.deliver(trigger).delivered()).isTrue();
    DeliveryOutcome third = dispatcher.deliver(trigger);
    assertThat(third.delivered()).isFalse();
    assertThat(third.attempts()).isZero();
    assertThat(third.error()).isEqualTo(
        "sink hook: rate limit: would wait 1000 ms for a token, more than the allowed 500 ms");
    assertThat(server.requests()).hasSize(2);
    now.addAndGet(Duration.ofMillis(700).toNanos()); // 0.7 token: the rest within 500 ms
    long start = System.nanoTime();
    assertThat(dispatcher.deliver(trigger).delivered()).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(server.requests()).hasSize(3);
  }
}
