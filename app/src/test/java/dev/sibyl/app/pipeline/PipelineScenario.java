package dev.sibyl.app.pipeline;

import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** The input, settings and expected forecasts shared by the pipeline tests on real brokers. */
final class PipelineScenario {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final long STEP = 60_000;
  static final int POINTS_PER_SOURCE = 240;
  static final int SPIKE_AT = 200;

  private PipelineScenario() {}

  /** Topic names of one test, so that tests sharing the broker do not see each other's records. */
  static PipelineConfig config(String prefix) {
    Map<String, String> settings = new HashMap<>();
    settings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, prefix + ".telemetry");
    settings.put(PipelineConfig.FORECASTS_TOPIC_CONFIG, prefix + ".forecasts");
    settings.put(PipelineConfig.ANOMALIES_TOPIC_CONFIG, prefix + ".anomalies");
    settings.put(PipelineConfig.HEALTH_TOPIC_CONFIG, prefix + ".health");
    settings.put(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG, prefix + ".dead-letters");
    settings.put(PipelineConfig.LOOKBACK_CONFIG, "96");
    settings.put(PipelineConfig.HORIZON_CONFIG, "12");
    settings.put(PipelineConfig.CADENCE_CONFIG, "6");
    settings.put(PipelineConfig.MIN_SCORE_CONFIG, "0.9");
    return new PipelineConfig(settings);
  }

  static Forecaster model() {
    return ForecasterRegistry.create("holt-winters", Map.of("season.length", "24"));
  }

  /** Two sources, one with two channels; a daily cycle with noise; one spike on pump-1/temp. */
  static List<TelemetryPoint> telemetry() {
    Random random = new Random(11);
    List<TelemetryPoint> points = new ArrayList<>();
    for (int i = 0; i < POINTS_PER_SOURCE; i++) {
      double season = Math.sin(2 * Math.PI * i / 24.0);
      double temp = 60 + 5 * season + random.nextGaussian() * 0.3 + (i == SPIKE_AT ? 40 : 0);
      double rpm = 1500 + 100 * season + random.nextGaussian() * 5;
      Instant t = T0.plusMillis(i * STEP);
      points.add(new TelemetryPoint("pump-1", t, Map.of("temp", temp, "rpm", rpm), Map.of()));
      points.add(new TelemetryPoint("pump-2", t, Map.of("temp", 55 + 3 * season + random.nextGaussian() * 0.3), Map.of()));
    }
    return points;
  }

  /** (source/channel@issuedAt) of every forecast the pipeline must issue, computed by the operator core offline. */
  static Set<String> expectedForecasts(List<TelemetryPoint> points, PipelineConfig config) {
    SeriesOperator operator = new SeriesOperator(model(), 12, 6, 10, 72);
    Map<String, SeriesState> states = new HashMap<>();
    Set<String> expected = new HashSet<>();
    for (TelemetryPoint point : points) {
      for (Map.Entry<String, Double> channel : point.getValues().entrySet()) {
        String id = point.getSource() + "/" + channel.getKey();
        SeriesState state = states.computeIfAbsent(id, k -> new SeriesState(config.getInt(PipelineConfig.LOOKBACK_CONFIG)));
        if (operator.onObservation(state, point.getTimestamp().toEpochMilli(), channel.getValue()).forecast() != null) {
          expected.add(id + "@" + point.getTimestamp().toEpochMilli());
        }
      }
    }
    return expected;
  }

  static String idOf(Forecast f) {
    return f.getSource() + "/" + f.getChannel() + "@" + f.getIssuedAt().toEpochMilli();
  }
}
