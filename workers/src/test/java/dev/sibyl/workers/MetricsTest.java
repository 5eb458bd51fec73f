package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MetricsTest {

  private static final int L = 96;
  private static final int H = 24;

  @Test
  void theEndpointServesBatchSizesQueueDepthAndOutcomes() throws Exception {
    Dlinear model = new DlinearFamily().create(Map.of(), L, H, 3);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BatchingConfig config = new BatchingConfig(64, Duration.ofMillis(50), 1024);
    try (ModelHost host = ModelHost.of(Map.of("etth1", model), config, registry);
        MetricsEndpoint endpoint =
            MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry)) {
      DynamicBatcher batcher = host.batcher("etth1");
      List<CompletableFuture<double[][][]>> futures = new ArrayList<>();
      double[][][] windows = Ett.windows(64, L, 0);
      for (double[][] w : windows) {
        futures.add(batcher.submit(new double[][][] {w}, H));
      }
      batcher.submit(Ett.windows(1, 48, 0), H); // refused: wrong lookback
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> scrape =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(scrape.statusCode()).isEqualTo(200);
      String body = scrape.body();
      assertThat(body).contains("sibyl_worker_queue_depth{model=\"etth1\"}");
      assertThat(body).contains("sibyl_worker_requests_total{model=\"etth1\",outcome=\"ok\"} 64.0");
      assertThat(body).contains("sibyl_worker_requests_total{model=\"etth1\",outcome=\"invalid\"} 1.0");
      assertThat(body).contains("sibyl_worker_latency_seconds_count{model=\"etth1\"} 64");
      Matcher max = Pattern.compile("sibyl_worker_batch_size_max\\{model=\"etth1\"} (\\S+)").matcher(body);
      assertThat(max.find()).isTrue();
      assertThat(Double.parseDouble(max.group(1))).isGreaterThan(1);
      Matcher count = Pattern.compile("sibyl_worker_batch_size_count\\{model=\"etth1\"} (\\S+)").matcher(body);
      assertThat(count.find()).isTrue();
      assertThat(Double.parseDouble(count.group(1))).isLessThan(64);

      HttpResponse<String> other =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/x")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).isEqualTo(404);
    }
    // Closed batchers take their meters with them.
    assertThat(registry.scrape()).doesNotContain("sibyl_worker_queue_depth");
  }

  @Test
  void thePoolCountsFallbacks() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    int dead;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    try (RemotePool pool =
        RemotePool.builder().addEndpoint("127.0.0.1", dead).optMeterRegistry(registry).build()) {
      CompletableFuture<double[][][]> f = pool.predict("etth1", Ett.windows(1, L, 0), H);
      try {
        f.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException expected) {
        // the pool is down
      }
    }
    String body = registry.scrape();
    assertThat(body).contains("sibyl_client_fallbacks_total 1.0");
    assertThat(body).contains("sibyl_client_requests_total{outcome=\"unavailable\"} 1.0");
  }
}
