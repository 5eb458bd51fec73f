package dev.sibyl.schemas.serde;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import dev.sibyl.schemas.TelemetryPoint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One filled-in record of each of the project's types, for round-trip tests. */
final class SampleRecords {

  static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);

  private SampleRecords() {}

  static TelemetryPoint telemetryPoint() {
    return TelemetryPoint.newBuilder()
        .setSource("pump-7")
        .setTimestamp(T0)
        .setValues(Map.of("temperature", 71.5, "pressure", 2.25))
        .setLabels(Map.of("site", "north"))
        .build();
  }

  static ForecastPoint forecastPoint(int step) {
    return ForecastPoint.newBuilder()
        .setTimestamp(T0.plusSeconds(60L * step))
        .setMean(10.0 + step)
        .setLower(9.0 + step)
        .setUpper(11.0 + step)
        .build();
  }

  static Forecast forecast() {
    return Forecast.newBuilder()
        .setSource("pump-7")
        .setChannel("temperature")
        .setIssuedAt(T0)
        .setStepMillis(60_000L)
        .setModel("ets")
        .setModelVersion("1.0")
        .setLookback(96)
        .setCoverage(0.95)
        .setPoints(List.of(forecastPoint(1), forecastPoint(2)))
        .setDegraded(true)
        .build();
  }

  static AnomalyFlag anomalyFlag() {
    return AnomalyFlag.newBuilder()
        .setSource("pump-7")
        .setChannel("temperature")
        .setTimestamp(T0)
        .setObserved(99.0)
        .setExpected(71.0)
        .setLower(68.0)
        .setUpper(74.0)
        .setScore(0.97)
        .setSeverity(Severity.HIGH)
        .setReason("outside the 95% interval")
        .setModel("ets")
        .build();
  }

  static HealthEstimate healthEstimate() {
    return HealthEstimate.newBuilder()
        .setSource("engine-3")
        .setTimestamp(T0)
        .setStateProbabilities(List.of(0.7, 0.2, 0.1))
        .setRulMean(120.0)
        .setRulLower(90.0)
        .setRulUpper(150.0)
        .setModel("hsmm")
        .build();
  }

  static DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setTopic("telemetry")
        .setPartition(3)
        .setOffset(42L)
        .setKey(ByteBuffer.wrap("pump-7".getBytes(StandardCharsets.UTF_8)))
        .setValue(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xFF}))
        .setError("bad magic byte")
        .setStage("deserialize")
        .setTime(T0)
        .build();
  }

  /** One record of every type in {@link RecordTypes#all()}. */
  static List<SpecificRecord> all() {
    return List.of(
        telemetryPoint(), forecastPoint(1), forecast(), anomalyFlag(), healthEstimate(), deadLetter());
  }
}
