package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WorkerBenchTest {

  /** A short run: every request answered, and concurrent series do share model calls. */
  @Test
  void measuresBothConfigurationsWithoutFailures() throws Exception {
    Dlinear model = new DlinearFamily().create(Map.of(), 96, 24, 1);
    double[][][] windows = Ett.windows(200, 96, 0);

    WorkerBench.Result one =
        WorkerBench.run(
            model, new BatchingConfig(1, Duration.ZERO, 256), windows, 24, 16,
            Duration.ofMillis(200), Duration.ofMillis(500));
    WorkerBench.Result dyn =
        WorkerBench.run(
            model, new BatchingConfig(64, Duration.ofMillis(5), 256), windows, 24, 16,
            Duration.ofMillis(200), Duration.ofMillis(500));

    assertThat(one.failed()).isZero();
    assertThat(dyn.failed()).isZero();
    assertThat(one.requests()).isPositive();
    assertThat(one.meanBatch()).isEqualTo(1.0);
    assertThat(dyn.meanBatch()).isGreaterThan(1.0);
    assertThat(dyn.p99Millis()).isGreaterThanOrEqualTo(dyn.p50Millis());
    assertThat(dyn.seconds()).isGreaterThanOrEqualTo(0.5);
    // the model thread worked in the measured time, one thread: at most the time itself
    assertThat(one.modelCpuMillis()).isPositive().isLessThan(one.seconds() * 1000 * 1.5 + 100);
    assertThat(one.modelCpuMillisPerRequest()).isEqualTo(one.modelCpuMillis() / one.requests());
  }
}
