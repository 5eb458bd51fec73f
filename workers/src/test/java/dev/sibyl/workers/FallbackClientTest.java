package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FallbackClientTest {

  private static final int L = 96;
  private static final int H = 24;

  private final Dlinear heavy = new DlinearFamily().create(Map.of(), L, H, 1);
  private final Dlinear cheap = new DlinearFamily().create(Map.of(), L, H, 2);

  @Test
  void aLivePoolAnswersNotDegraded() throws Exception {
    try (ModelHost host = ModelHost.of(Map.of("m", heavy), BatchingConfig.DEFAULTS);
        FallbackClient client = new FallbackClient(new InProcessClient(host), cheap)) {
      double[][][] w = Ett.windows(2, L, 3);
      FallbackClient.Answer a = client.predict("m", w, H).get(10, TimeUnit.SECONDS);
      assertThat(a.degraded()).isFalse();
      assertThat(a.forecast()).isDeepEqualTo(heavy.predict(w, H));
      // An unknown model is the caller's bug: no fallback.
      assertThatThrownBy(() -> client.predict("nope", w, H).get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(InferenceException.class);
    }
  }

  @Test
  void whenNoWorkerAnswersTheLocalModelDoesDegraded() throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    RemotePool pool =
        RemotePool.builder()
            .addEndpoint("127.0.0.1", dead)
            .optDeadline(Duration.ofSeconds(5))
            .build();
    try (FallbackClient client = new FallbackClient(pool, cheap)) {
      double[][][] w = Ett.windows(3, L, 9);
      FallbackClient.Answer a = client.predict("m", w, H).get(20, TimeUnit.SECONDS);
      assertThat(a.degraded()).isTrue();
      assertThat(a.forecast()).isDeepEqualTo(cheap.predict(w, H));
    }
  }
}
