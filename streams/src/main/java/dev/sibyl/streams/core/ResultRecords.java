package dev.sibyl.streams.core;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.Severity;
import dev.sibyl.streams.core.SeriesOperator.AnomalyCheck;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The output records of the series step, built the same way by every engine and path (Kafka
 * Streams direct, pooled and joint; the Flink job), so that their forecasts and flags agree field
 * for field.
 */
public final class ResultRecords {

  private ResultRecords() {}

  /**
   * A forecast record: point k (0-based) is for {@code issuedAt + (k + 1) * stepMillis}.
   *
   * @param series the series
   * @param issuedAt the newest observation the model saw, epoch milliseconds
   * @param stepMillis the series' nominal step
   * @param lookback points in the window the model saw
   * @param result the model's answer
   * @param model the model family
   * @param version the model version
   * @param degraded whether a fallback model answered
   * @return the record
   */
  public static Forecast forecast(
      SeriesId series,
      long issuedAt,
      long stepMillis,
      int lookback,
      ForecastResult result,
      String model,
      String version,
      boolean degraded) {
    List<ForecastPoint> points = new ArrayList<>(result.horizon());
    for (int k = 0; k < result.horizon(); k++) {
      points.add(
          new ForecastPoint(
              Instant.ofEpochMilli(issuedAt + (k + 1) * stepMillis), result.mean()[k], result.lower()[k], result.upper()[k]));
    }
    return Forecast.newBuilder()
        .setSource(series.source())
        .setChannel(series.channel())
        .setIssuedAt(Instant.ofEpochMilli(issuedAt))
        .setStepMillis(stepMillis)
        .setModel(model)
        .setModelVersion(version)
        .setLookback(lookback)
        .setCoverage(result.coverage())
        .setPoints(points)
        .setDegraded(degraded)
        .build();
  }

  /**
   * A forecast record for the answer to a request from {@link SeriesOperator#admit}.
   *
   * @param series the series
   * @param request what was asked: its window gives the issue time, step and lookback
   * @param result the model's answer
   * @param model the model family
   * @param version the model version
   * @param degraded whether a fallback model answered
   * @return the record
   */
  public static Forecast forecast(
      SeriesId series, ForecastRequest request, ForecastResult result, String model, String version, boolean degraded) {
    return forecast(
        series, request.issuedAt(), request.window().stepMillis(), request.window().size(), result, model, version, degraded);
  }

  /**
   * The flag of an observation that scored outside its forecast's interval.
   *
   * @param series the series
   * @param check the check; its score must not be null
   * @return the record
   */
  public static AnomalyFlag flag(SeriesId series, AnomalyCheck check) {
    return AnomalyFlag.newBuilder()
        .setSource(series.source())
        .setChannel(series.channel())
        .setTimestamp(Instant.ofEpochMilli(check.timestamp()))
        .setObserved(check.observed())
        .setExpected(check.expected())
        .setLower(check.lower())
        .setUpper(check.upper())
        .setScore(check.score().score())
        .setSeverity(Severity.valueOf(check.score().severity().name()))
        .setReason(check.score().reason())
        .setModel(check.model())
        .build();
  }
}
