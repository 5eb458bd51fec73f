package dev.sibyl.connectors.alerts.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private final RetryPolicy policy = new RetryPolicy(10, Duration.ofMillis(500), Duration.ofSeconds(5));

  @Test
  void backoffDoublesUpToTheMaximum() {
    assertThat(policy.backoff(1, null)).isEqualTo(Duration.ofMillis(500));
    assertThat(policy.backoff(2, null)).isEqualTo(Duration.ofSeconds(1));
    assertThat(policy.backoff(4, null)).isEqualTo(Duration.ofSeconds(4));
    assertThat(policy.backoff(5, null)).isEqualTo(Duration.ofSeconds(5));
    assertThat(policy.backoff(100, null)).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aLongerRetryAfterWinsButStaysCapped() {
    assertThat(policy.backoff(1, Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
    assertThat(policy.backoff(1, Duration.ofMillis(100))).isEqualTo(Duration.ofMillis(500));
    assertThat(policy.backoff(1, Duration.ofMinutes(1))).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void boundsAreChecked() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO))
        .hasMessage("maxAttempts must be at least 1, got 0");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofMillis(-1), Duration.ZERO))
        .hasMessage("initialBackoff must not be negative, got PT-0.001S");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessage("maxBackoff must be at least initialBackoff (PT2S), got PT1S");
  }
}
