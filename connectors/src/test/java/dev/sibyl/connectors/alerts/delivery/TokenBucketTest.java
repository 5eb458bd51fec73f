package dev.sibyl.connectors.alerts.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void aFullBucketGivesTheBurstThenRefillsAtTheRate() {
    TokenBucket bucket = new TokenBucket(2.0, 3, now::get); // 2 per second, burst 3
    for (int i = 0; i < 3; i++) {
      assertThat(bucket.reserve(Duration.ZERO)).isZero();
    }
    assertThat(bucket.reserve(Duration.ZERO)).isEqualTo(Duration.ofMillis(-500));
    now.addAndGet(Duration.ofMillis(500).toNanos());
    assertThat(bucket.reserve(Duration.ZERO)).isZero();
    // Refill never exceeds the burst, however long the pause.
    now.addAndGet(Duration.ofHours(1).toNanos());
    for (int i = 0; i < 3; i++) {
      assertThat(bucket.reserve(Duration.ZERO)).isZero();
    }
    assertThat(bucket.reserve(Duration.ZERO).isNegative()).isTrue();
  }

  @Test
  void aReservationWithinTheWaitIsGrantedAndBorrowsTheToken() {
    TokenBucket bucket = new TokenBucket(1.0, 1, now::get);
    assertThat(bucket.reserve(Duration.ZERO)).isZero();
    assertThat(bucket.reserve(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
    // The borrowed token is gone: the next caller waits two seconds.
    assertThat(bucket.reserve(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(-2));
  }

  @Test
  void parametersAreChecked() {
    assertThatThrownBy(() -> new TokenBucket(0, 1, now::get))
        .hasMessage("ratePerSecond must be positive and finite, got 0.0");
    assertThatThrownBy(() -> new TokenBucket(1, 0, now::get)).hasMessage("burst must be at least 1, got 0");
  }
}
