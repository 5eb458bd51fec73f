package dev.sibyl.streams.flink;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Prognostic.Prognosis;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.core.HealthOperator;
import dev.sibyl.streams.core.HealthOperator.Step;
import dev.sibyl.streams.core.ResultRecords;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator.AnomalyCheck;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Builds the job's output records (the same Avro records, fields and wire format as the Kafka
 * Streams pipeline writes) and encodes them into {@link OutputRecord}s for the sink.
 *
 * <p>Serializable settings only; the serializers are made by {@link #open()} in the task, since
 * Avro serializers (and a registry client) are not serializable.
 */
final class OutputEncoder implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The channel of health flags (the Streams health processor's). */
  static final String HEALTH_CHANNEL = "health";

  private final JobTopics topics;
  private final Map<String, String> serdeConfigs;
  private transient Serializer<Forecast> forecasts;
  private transient Serializer<AnomalyFlag> flags;
  private transient Serializer<DeadLetter> deadLetters;
  private transient Serializer<HealthEstimate> healthEstimates;

  /**
   * @param topics the output topics
   * @param serdeConfigs Avro serde settings (registry URL, ...); may be empty
   */
  OutputEncoder(JobTopics topics, Map<String, String> serdeConfigs) {
    this.topics = Objects.requireNonNull(topics, "topics");
    this.serdeConfigs = Map.copyOf(serdeConfigs);
  }

  /** Makes the serializers; called from the owning function's {@code open}. */
  void open() {
    forecasts = serializer(Forecast.class);
    flags = serializer(AnomalyFlag.class);
    deadLetters = serializer(DeadLetter.class);
    healthEstimates = serializer(HealthEstimate.class);
  }

  private <T extends SpecificRecord> Serializer<T> serializer(Class<T> type) {
    return AvroSerdes.forType(type, serdeConfigs, false).serializer();
  }

  /**
   * A dead letter for a record, as the Streams pipeline writes it.
   *
   * @param raw the record as read
   * @param stage the stage that refused it
   * @param error why
   * @param nowMillis the wall clock
   */
  OutputRecord deadLetter(RawRecord raw, String stage, String error, long nowMillis) {
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setTopic(raw.topic())
            .setPartition(raw.partition())
            .setOffset(raw.offset())
            .setKey(raw.key() == null ? null : ByteBuffer.wrap(raw.key()))
            .setValue(raw.value() == null ? null : ByteBuffer.wrap(raw.value()))
            .setError(error)
            .setStage(stage)
            .setTime(Instant.ofEpochMilli(nowMillis))
            .build();
    String topic = topics.deadLetters();
    return new OutputRecord(topic, raw.key(), deadLetters.serialize(topic, letter), raw.timestamp());
  }

  /**
   * A forecast of one series.
   *
   * @param source the unit
   * @param channel the channel
   * @param issuedAt the newest observation the model saw
   * @param stepMillis spacing of the forecast points
   * @param lookback points in the window the model saw
   * @param result the model's answer
   * @param model the model family
   * @param version the model version
   * @param degraded whether the fallback model answered
   * @param timestamp the output record's timestamp
   */
  OutputRecord forecast(
      String source,
      String channel,
      long issuedAt,
      long stepMillis,
      int lookback,
      ForecastResult result,
      String model,
      String version,
      boolean degraded,
      long timestamp) {
    Forecast forecast =
        ResultRecords.forecast(new SeriesId(source, channel), issuedAt, stepMillis, lookback, result, model, version, degraded);
    String topic = topics.forecasts();
    return new OutputRecord(topic, key(source), forecasts.serialize(topic, forecast), timestamp);
  }

  /**
   * An anomaly flag for an observation outside its forecast's interval.
   *
   * @param source the unit
   * @param channel the channel
   * @param check the check, with a score
   * @param timestamp the output record's timestamp
   */
  OutputRecord flag(String source, String channel, AnomalyCheck check, long timestamp) {
    AnomalyFlag flag = ResultRecords.flag(new SeriesId(source, channel), check);
    String topic = topics.anomalies();
    return new OutputRecord(topic, key(source), flags.serialize(topic, flag), timestamp);
  }

  /**
   * A health estimate of a unit, as the Streams health processor writes it.
   *
   * @param source the unit
   * @param timestamp the cycle's event time
   * @param prognosis the model's assessment
   * @param model the model family
   */
  OutputRecord healthEstimate(String source, long timestamp, Prognosis prognosis, String model) {
    List<Double> probabilities = new ArrayList<>(prognosis.stateProbabilities().length);
    for (double p : prognosis.stateProbabilities()) {
      probabilities.add(p);
    }
    HealthEstimate estimate =
        HealthEstimate.newBuilder()
            .setSource(source)
            .setTimestamp(Instant.ofEpochMilli(timestamp))
            .setStateProbabilities(probabilities)
            .setRulMean(prognosis.rulMean())
            .setRulLower(prognosis.rulLower())
            .setRulUpper(prognosis.rulUpper())
            .setModel(model)
            .build();
    String topic = topics.health();
    return new OutputRecord(topic, key(source), healthEstimates.serialize(topic, estimate), timestamp);
  }

  /**
   * A health flag: a unit entered the alert stages. As the Streams health processor writes it: the
   * RUL mean as observed and expected, its interval as the bounds, the alert-stage mass as score.
   *
   * @param source the unit
   * @param timestamp the cycle's event time
   * @param step the operator's step that raised the alert
   * @param operator the health operator (states, alert stages)
   */
  OutputRecord healthFlag(String source, long timestamp, Step step, HealthOperator operator) {
    Prognosis p = step.prognosis();
    int states = operator.states();
    // The last state is failure itself; the stages before it are the warning.
    Severity severity = step.mostProbableState() == states - 1 ? Severity.CRITICAL : Severity.HIGH;
    String reason =
        String.format(
            Locale.ROOT,
            "unit entered degradation state %d of %d (alert from state %d); RUL %.0f cycles [%.0f, %.0f]",
            step.mostProbableState() + 1, states, operator.alertFromState() + 1, p.rulMean(), p.rulLower(), p.rulUpper());
    AnomalyFlag flag =
        AnomalyFlag.newBuilder()
            .setSource(source)
            .setChannel(HEALTH_CHANNEL)
            .setTimestamp(Instant.ofEpochMilli(timestamp))
            .setObserved(p.rulMean())
            .setExpected(p.rulMean())
            .setLower(p.rulLower())
            .setUpper(p.rulUpper())
            .setScore(operator.alertProbability(p))
            .setSeverity(severity)
            .setReason(reason)
            .setModel(operator.modelFamily())
            .build();
    String topic = topics.anomalies();
    return new OutputRecord(topic, key(source), flags.serialize(topic, flag), timestamp);
  }

  private static byte[] key(String source) {
    return source.getBytes(StandardCharsets.UTF_8);
  }
}
