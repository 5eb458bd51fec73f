package dev.sibyl.connectors.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.schemas.TelemetryPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TelemetrySimulatorTest {

  private static List<TelemetryPoint> run(TelemetrySimulator simulator) {
    List<TelemetryPoint> points = new ArrayList<>();
    simulator.forEach(points::add);
    return points;
  }

  @Test
  void sameSeedGivesTheSamePointsAndAnotherSeedDoesNot() {
    TelemetrySimulator.Builder builder =
        TelemetrySimulator.builder().setSources(3).optPointsPerSource(500).optAnomalyRate(0.02);
    List<TelemetryPoint> a = run(builder.optSeed(7).build());
    List<TelemetryPoint> b = run(builder.optSeed(7).build());
    List<TelemetryPoint> c = run(builder.optSeed(8).build());

    assertThat(a).hasSize(1500).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void eventTimeAdvancesByOneStepPerPointOfASourceInSourceOrder() {
    List<TelemetryPoint> points =
        run(
            TelemetrySimulator.builder()
                .setSources(2)
                .optPointsPerSource(3)
                .optStep(Duration.ofSeconds(30))
                .optStart(Instant.parse("2024-05-01T00:00:00Z"))
                .build());

    assertThat(points).extracting(TelemetryPoint::getSource)
        .containsExactly("sensor-001", "sensor-002", "sensor-001", "sensor-002", "sensor-001", "sensor-002");
    assertThat(points.get(4).getTimestamp()).isEqualTo(Instant.parse("2024-05-01T00:01:00Z"));
    assertThat(points.get(0).getValues()).containsOnlyKeys("temperature", "vibration", "pressure");
  }

  @Test
  void labelsMarkExactlyTheInjectedAnomalies() {
    TelemetrySimulator.Builder builder =
        TelemetrySimulator.builder().setSources(4).optPointsPerSource(3000).optSeed(11);
    List<TelemetryPoint> labelled = run(builder.optAnomalyRate(0.01).build());
    List<TelemetryPoint> clean = run(builder.optAnomalyRate(0.0).build());

    // Spikes: the labelled channel is far off the clean run (same draws up to the anomaly).
    int spikes = 0;
    int shifts = 0;
    int bursts = 0;
    for (TelemetryPoint point : labelled) {
      Optional<InjectedAnomaly> anomaly = TelemetrySimulator.injectedAnomaly(point);
      if (anomaly.isEmpty()) {
        assertThat(point.getLabels()).isEmpty();
        continue;
      }
      assertThat(anomaly.get().source()).isEqualTo(point.getSource());
      assertThat(anomaly.get().channel()).isIn("temperature", "vibration", "pressure");
      switch (anomaly.get().kind()) {
        case SPIKE -> spikes++;
        case LEVEL_SHIFT -> shifts++;
        case VARIANCE_BURST -> bursts++;
        default -> throw new AssertionError(anomaly);
      }
    }
    assertThat(spikes).isPositive();
    assertThat(shifts).isPositive();
    assertThat(bursts).isGreaterThan(spikes); // a burst labels 10 to 30 points
    assertThat(clean).allSatisfy(p -> assertThat(p.getLabels()).isEmpty());

    // Without anomalies every channel stays within 5 noise sd of its noise-free curve, so the
    // first spike of the labelled run stands out against the clean run's value at that point.
    TelemetryPoint firstSpike =
        labelled.stream()
            .filter(p -> "spike".equals(p.getLabels().get(TelemetrySimulator.ANOMALY_LABEL)))
            .findFirst()
            .orElseThrow();
    int index = labelled.indexOf(firstSpike);
    String channel = firstSpike.getLabels().get(TelemetrySimulator.ANOMALY_CHANNEL_LABEL);
    double sd =
        TelemetrySimulator.DEFAULT_CHANNELS.stream()
            .filter(c -> c.name().equals(channel))
            .findFirst()
            .orElseThrow()
            .noiseSd();
    double deviation =
        Math.abs(firstSpike.getValues().get(channel) - clean.get(index).getValues().get(channel));
    assertThat(deviation).isGreaterThan(3 * sd);
  }

  @Test
  void labelsCsvHasOneRowPerLabelledPoint(@TempDir Path dir) throws IOException {
    TelemetrySimulator simulator =
        TelemetrySimulator.builder().setSources(2).optPointsPerSource(2000).optAnomalyRate(0.01)
            .optAnomalyKinds(EnumSet.of(AnomalyKind.SPIKE)).build();
    Path csv = dir.resolve("labels.csv");
    long labelled = 0;
    try (AnomalyLabelsWriter writer = new AnomalyLabelsWriter(csv)) {
      for (TelemetryPoint point : simulator) {
        Optional<InjectedAnomaly> anomaly = TelemetrySimulator.injectedAnomaly(point);
        if (anomaly.isPresent()) {
          writer.write(anomaly.get());
          labelled++;
        }
      }
    }
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.get(0)).isEqualTo("source,channel,timestamp,kind");
    assertThat(lines).hasSize((int) labelled + 1);
    assertThat(labelled).isPositive();
    assertThat(lines.get(1)).matches("sensor-00\\d,(temperature|vibration|pressure),2024-.*Z,spike");
  }

  @Test
  void builderRejectsOutOfRangeValues() {
    assertThatThrownBy(() -> TelemetrySimulator.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sources must be at least 1, got 0");
    assertThatThrownBy(() -> TelemetrySimulator.builder().setSources(1).optAnomalyRate(1.5).build())
        .hasMessage("anomalyRate must be in [0,1], got 1.5");
    assertThatThrownBy(() -> TelemetrySimulator.builder().setSources(1).optPointsPerSource(0).build())
        .hasMessage("pointsPerSource must be at least 1, got 0");
    assertThatThrownBy(() -> TelemetrySimulator.builder().setSources(1).optStep(Duration.ZERO).build())
        .hasMessage("step must be positive, got PT0S");
    assertThatThrownBy(() -> TelemetrySimulator.builder().setSources(1).optPeriodSteps(1).build())
        .hasMessage("periodSteps must be at least 2, got 1");
    assertThatThrownBy(
            () -> TelemetrySimulator.builder().setSources(1)
                .optChannels(List.of(new ChannelSpec("a", 0, 1, 0, 1), new ChannelSpec("a", 0, 1, 0, 1)))
                .build())
        .hasMessageContaining("'a' appears twice");
    assertThatThrownBy(() -> new ChannelSpec("x", 0, 1, 0, 0))
        .hasMessage("noiseSd of channel x must be finite and > 0, got 0.0");
  }

  @Test
  void injectedAnomalyIgnoresUnlabelledPoints() {
    TelemetryPoint point = new TelemetryPoint("s", Instant.EPOCH, Map.of("v", 1.0), Map.of());
    assertThat(TelemetrySimulator.injectedAnomaly(point)).isEmpty();
  }
}
