package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.Prognostic.Prognosis;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.core.HealthOperator;
import dev.sibyl.streams.core.HealthOperator.Step;
import dev.sibyl.streams.core.UnitHistory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prognostics branch of the topology: each valid point of a unit (a source) goes through the
 * {@link HealthOperator}, which emits a {@link HealthEstimate} per cycle to the health topic and an
 * {@link AnomalyFlag} (channel {@value #HEALTH_CHANNEL}) when the unit enters the last degradation
 * stages. Rejected points and model failures go to the dead letters, stage {@code health}.
 *
 * <p>A health flag has no forecast to compare with: its {@code observed} and {@code expected} carry
 * the RUL mean, {@code lower} and {@code upper} the RUL interval, and its score is the posterior
 * mass on the alert stages.
 */
final class HealthProcessor implements Processor<Object, Object, Object, Object> {

  /** The channel name of the flags this processor raises. */
  static final String HEALTH_CHANNEL = "health";

  private static final Logger LOG = LoggerFactory.getLogger(HealthProcessor.class);

  private final HealthOperator operator;
  private final int width;
  private final int maxCycles;
  private final int maxCached;
  private ProcessorContext<Object, Object> context;
  private UnitHistoryStore store;

  HealthProcessor(HealthOperator operator, int width, int maxCycles, int maxCached) {
    this.operator = operator;
    this.width = width;
    this.maxCycles = maxCycles;
    this.maxCached = maxCached;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    // As in SeriesProcessor: a revived task starts from the restored store, not from old decodes.
    this.context = context;
    KeyValueStore<Bytes, byte[]> histories = context.getStateStore(ForecastTopology.UNIT_HISTORY_STORE);
    this.store = new UnitHistoryStore(histories, width, maxCycles, maxCached);
  }

  @Override
  public void process(Record<Object, Object> record) {
    DecodedPoint decoded = (DecodedPoint) record.value();
    TelemetryPoint point = decoded.point();
    String source = point.getSource();
    long timestamp = point.getTimestamp().toEpochMilli();
    UnitHistory history = store.load(source);
    Step step;
    try {
      step = operator.onPoint(history, timestamp, point.getValues());
    } catch (RuntimeException e) {
      // The cycle is in the history already (the model failed on it): keep it, report the failure.
      LOG.warn("health model failed on unit {}", source, e);
      store.saveCycle(source, history);
      deadLetter(record, decoded, "health model " + operator.modelFamily() + " failed: " + DecodeProcessor.describe(e));
      return;
    }
    switch (step.outcome()) {
      case NOT_A_UNIT -> {}
      case REJECTED -> deadLetter(record, decoded, step.reason());
      case ASSESSED -> {
        store.saveCycle(source, history);
        context.forward(record.withValue(toEstimate(source, timestamp, step.prognosis())), ForecastTopology.HEALTH_SINK);
        if (step.alertRaised()) {
          context.forward(record.withValue(toFlag(source, timestamp, step)), ForecastTopology.ANOMALY_SINK);
        }
      }
    }
  }

  private void deadLetter(Record<Object, Object> record, DecodedPoint decoded, String reason) {
    context.forward(
        record.withValue(DeadLetters.of(context, decoded.rawKey(), decoded.rawValue(), DeadLetters.STAGE_HEALTH, reason)),
        ForecastTopology.DEAD_LETTER_SINK);
  }

  private HealthEstimate toEstimate(String source, long timestamp, Prognosis prognosis) {
    List<Double> probabilities = new ArrayList<>(prognosis.stateProbabilities().length);
    for (double p : prognosis.stateProbabilities()) {
      probabilities.add(p);
    }
    return HealthEstimate.newBuilder()
        .setSource(source)
        .setTimestamp(Instant.ofEpochMilli(timestamp))
        .setStateProbabilities(probabilities)
        .setRulMean(prognosis.rulMean())
        .setRulLower(prognosis.rulLower())
        .setRulUpper(prognosis.rulUpper())
        .setModel(operator.modelFamily())
        .build();
  }

  private AnomalyFlag toFlag(String source, long timestamp, Step step) {
    Prognosis p = step.prognosis();
    int states = operator.states();
    // The last state is failure itself; the stages before it are the warning.
    Severity severity = step.mostProbableState() == states - 1 ? Severity.CRITICAL : Severity.HIGH;
    String reason =
        String.format(
            Locale.ROOT,
            "unit entered degradation state %d of %d (alert from state %d); RUL %.0f cycles [%.0f, %.0f]",
            step.mostProbableState() + 1, states, operator.alertFromState() + 1, p.rulMean(), p.rulLower(), p.rulUpper());
    return AnomalyFlag.newBuilder()
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
  }
}
