package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.BatchedForecaster;
import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.JointForecaster;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.ResultRecords;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.Admission;
import dev.sibyl.streams.core.SeriesOperator.AnomalyCheck;
import dev.sibyl.streams.core.SeriesState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The series step that forecasts the channels of a source in one model call, for two kinds of
 * model; each channel then emits its own {@link Forecast} and {@link AnomalyFlag}s as {@link
 * SeriesProcessor} does. Each channel keeps its own state in the same stores under the same keys,
 * and its order, gap, warm-up and scoring policy is {@link SeriesOperator}'s: {@link
 * SeriesOperator#admit} per channel, one model call, {@link SeriesOperator#complete} per channel
 * with its answer.
 *
 * <ul>
 *   <li>A multivariate model ({@link JointForecaster}, S-Mamba) reads its named channels together
 *       from one aligned window: the policy below.
 *   <li>A channel-independent model whose calls are costly ({@link BatchedForecaster}, Time-LLM):
 *       the channels that are due after a point are forecast in one {@link
 *       Forecaster#forecastBatch} call, each from its own window; every channel is its own series,
 *       as on the per-series path.
 * </ul>
 *
 * <h2>Policy for a multivariate model</h2>
 *
 * <ul>
 *   <li><b>Missing channels.</b> A point that lacks some of the model's channels is admitted on
 *       none of them and goes to the dead letters (stage {@code forecast}), the reason naming the
 *       missing channels. Admitting the others would give the source's channels windows with
 *       different timestamps, and the model reads them as one aligned window.
 *   <li><b>Other channels.</b> Channels the model does not read are not forecast: the model's
 *       channels of the point go on, and a dead letter (stage {@code forecast}) names the others,
 *       so that nothing is dropped silently.
 *   <li><b>Alignment.</b> The joint window is the stretch of latest timestamps that every channel's
 *       window shares. When that is shorter than the model's minimum history (channels whose state
 *       was built apart, e.g. by a per-series model before, or a point rejected on some channels
 *       only), no forecast is made and the reason is logged; the channels stay due, and the
 *       forecast comes once enough aligned points have arrived.
 *   <li><b>Cadence.</b> The joint forecast runs when any of the channels is due, and completes
 *       every channel, so their cadences run together from then on.
 *   <li><b>Model failure.</b> A dead letter (stage {@code forecast}); the points stay in the
 *       windows, and the next point is due again.
 * </ul>
 */
final class JointSeriesProcessor implements Processor<Object, Object, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(JointSeriesProcessor.class);

  private final Forecaster forecaster;
  private final JointForecaster joint; // null for a channel-independent model
  private final SeriesOperator operator;
  private final int lookback;
  private final int maxCachedSeries;
  private final double minScore;
  private ProcessorContext<Object, Object> context;
  private SeriesStateStore store;

  /**
   * @param forecaster the model of every source's channels: a {@link JointForecaster} or a {@link
   *     BatchedForecaster}
   * @param operator the per-channel policy, built on the same forecaster
   * @param lookback points kept per channel
   * @param maxCachedSeries decoded windows kept in memory
   * @param minScore the least score that raises a flag
   */
  JointSeriesProcessor(
      Forecaster forecaster, SeriesOperator operator, int lookback, int maxCachedSeries, double minScore) {
    this.forecaster = forecaster;
    this.joint = forecaster instanceof JointForecaster j ? j : null;
    this.operator = operator;
    this.lookback = lookback;
    this.maxCachedSeries = maxCachedSeries;
    this.minScore = minScore;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    // As in SeriesProcessor: init runs again on a revived task, whose stores were restored.
    this.context = context;
    KeyValueStore<Bytes, byte[]> points = context.getStateStore(ForecastTopology.SERIES_POINTS_STORE);
    KeyValueStore<Bytes, byte[]> metas = context.getStateStore(ForecastTopology.SERIES_META_STORE);
    KeyValueStore<Bytes, byte[]> forecasts = context.getStateStore(ForecastTopology.SERIES_FORECAST_STORE);
    this.store = new SeriesStateStore(points, metas, forecasts, lookback, maxCachedSeries);
  }

  @Override
  public void process(Record<Object, Object> record) {
    if (joint != null) {
      processJoint(record);
    } else {
      processBatch(record);
    }
  }

  /** A channel-independent model: every channel of the point, the due ones in one call. */
  private void processBatch(Record<Object, Object> record) {
    DecodedPoint decoded = (DecodedPoint) record.value();
    TelemetryPoint point = decoded.point();
    long timestamp = point.getTimestamp().toEpochMilli();
    // Channels in name order, so that output order does not depend on the map's hashing.
    List<String> channels = new ArrayList<>(new TreeSet<>(point.getValues().keySet()));
    List<String> problems = new ArrayList<>();
    String stage = DeadLetters.STAGE_ORDER;

    // 1. Admit each channel
    int c = channels.size();
    SeriesId[] series = new SeriesId[c];
    SeriesState[] states = new SeriesState[c];
    Admission[] admissions = new Admission[c];
    List<Integer> due = new ArrayList<>();
    for (int ch = 0; ch < c; ch++) {
      series[ch] = new SeriesId(point.getSource(), channels.get(ch));
      states[ch] = store.load(series[ch]);
      admissions[ch] = operator.admit(states[ch], timestamp, point.getValues().get(channels.get(ch)));
      if (admissions[ch].rejection() != null) {
        problems.add("channel '" + channels.get(ch) + "': " + admissions[ch].reason());
      } else if (admissions[ch].due() != null) {
        due.add(ch);
      }
    }

    // 2. One call for the due channels, each from its own window; complete each
    ForecastRequest[] requests = new ForecastRequest[c];
    ForecastResult[] results = new ForecastResult[c];
    boolean[] completed = new boolean[c];
    if (!due.isEmpty()) {
      List<SeriesWindow> windows = new ArrayList<>(due.size());
      for (int ch : due) {
        requests[ch] = admissions[ch].due();
        windows.add(requests[ch].window());
      }
      try {
        List<ForecastResult> out = forecaster.forecastBatch(windows, requests[due.get(0)].horizon());
        for (int i = 0; i < due.size(); i++) {
          int ch = due.get(i);
          results[ch] = out.get(i);
          completed[ch] = operator.complete(states[ch], requests[ch], results[ch]);
        }
      } catch (RuntimeException e) {
        // The points are fine and already appended; the model failed on these windows.
        List<String> names = due.stream().map(channels::get).toList();
        LOG.warn("forecaster failed on source {} (channels {})", point.getSource(), names, e);
        problems.add("channels " + names + ": forecaster " + operator.modelId() + " failed: " + DecodeProcessor.describe(e));
        stage = DeadLetters.STAGE_FORECAST;
      }
    }

    // 3. Per channel: save, flag, forecast
    emitChannels(record, series, states, admissions, requests, results, completed);
    if (!problems.isEmpty()) {
      deadLetter(record, decoded, stage, problems);
    }
  }

  /** A multivariate model: its channels of the point together (see the class comment). */
  private void processJoint(Record<Object, Object> record) {
    DecodedPoint decoded = (DecodedPoint) record.value();
    TelemetryPoint point = decoded.point();
    long timestamp = point.getTimestamp().toEpochMilli();
    Map<String, Double> values = point.getValues();
    List<String> channels = joint.channels();
    List<String> problems = new ArrayList<>();
    String stage = DeadLetters.STAGE_ORDER;

    // 1. The point's channels against the model's: a missing one stops the whole point
    List<String> missing = new ArrayList<>();
    for (String channel : channels) {
      if (!values.containsKey(channel)) {
        missing.add(channel);
      }
    }
    TreeSet<String> others = new TreeSet<>(values.keySet());
    others.removeAll(channels);
    if (!missing.isEmpty()) {
      problems.add(
          "missing channels " + missing + " of " + forecaster.family() + ", which forecasts " + channels
              + " jointly: no channel of the point was admitted");
    }
    if (!others.isEmpty()) {
      problems.add("channels " + others + " are not among " + forecaster.family() + "'s " + channels + ": not forecast");
    }
    if (!problems.isEmpty()) {
      stage = DeadLetters.STAGE_FORECAST;
    }
    if (!missing.isEmpty()) {
      deadLetter(record, decoded, stage, problems);
      return;
    }

    // 2. Admit each channel: order, gaps, the check against its latest forecast, the append
    int c = channels.size();
    SeriesId[] series = new SeriesId[c];
    SeriesState[] states = new SeriesState[c];
    Admission[] admissions = new Admission[c];
    ForecastRequest due = null;
    boolean rejected = false;
    for (int ch = 0; ch < c; ch++) {
      series[ch] = new SeriesId(point.getSource(), channels.get(ch));
      states[ch] = store.load(series[ch]);
      admissions[ch] = operator.admit(states[ch], timestamp, values.get(channels.get(ch)));
      if (admissions[ch].rejection() != null) {
        problems.add("channel '" + channels.get(ch) + "': " + admissions[ch].reason());
        rejected = true;
      } else if (due == null) {
        due = admissions[ch].due();
      }
    }

    // 3. One joint forecast when a channel is due and the windows are aligned; complete each channel
    ForecastRequest[] requests = new ForecastRequest[c];
    ForecastResult[] results = new ForecastResult[c];
    boolean[] completed = new boolean[c];
    boolean aligned = false;
    if (due != null && rejected) {
      // some channels took the point and some did not: their windows are no longer aligned
      LOG.warn(
          "no joint forecast for source {} at {}: the point was rejected on some of the channels {}",
          point.getSource(), timestamp, channels);
    } else if (due != null) {
      aligned = jointRequests(point.getSource(), states, due, requests);
    }
    if (aligned) {
      List<SeriesWindow> windows = new ArrayList<>(c);
      for (ForecastRequest request : requests) {
        windows.add(request.window());
      }
      try {
        List<ForecastResult> out = joint.forecastJoint(windows, due.horizon());
        for (int ch = 0; ch < c; ch++) {
          results[ch] = out.get(ch);
          completed[ch] = operator.complete(states[ch], requests[ch], results[ch]);
        }
      } catch (RuntimeException e) {
        // The points are fine and already appended; the model failed on these windows.
        LOG.warn("forecaster failed on source {} (channels {})", point.getSource(), channels, e);
        problems.add("channels " + channels + ": forecaster " + operator.modelId() + " failed: " + DecodeProcessor.describe(e));
        stage = DeadLetters.STAGE_FORECAST;
      }
    }

    // 4. Per channel, as on the per-series path: save, flag, forecast
    emitChannels(record, series, states, admissions, requests, results, completed);
    if (!problems.isEmpty()) {
      deadLetter(record, decoded, stage, problems);
    }
  }

  /** Saves each accepted channel's state, then emits its flag and its new forecast. */
  private void emitChannels(
      Record<Object, Object> record,
      SeriesId[] series,
      SeriesState[] states,
      Admission[] admissions,
      ForecastRequest[] requests,
      ForecastResult[] results,
      boolean[] completed) {
    for (int ch = 0; ch < series.length; ch++) {
      Admission admission = admissions[ch];
      if (admission.rejection() != null) {
        continue;
      }
      store.saveObservation(series[ch], states[ch], admission.windowReset(), completed[ch]);
      AnomalyCheck check = admission.check();
      if (check != null && check.score() != null && check.score().score() >= minScore) {
        emit(record, ResultRecords.flag(series[ch], check), ForecastTopology.ANOMALY_SINK);
      }
      if (completed[ch]) {
        emit(
            record,
            ResultRecords.forecast(series[ch], requests[ch], results[ch], operator.modelFamily(), operator.modelVersion(), false),
            ForecastTopology.FORECAST_SINK);
      }
    }
  }

  /**
   * Fills the request of each channel over the latest timestamps all windows share; false (logged)
   * when they share fewer than the model needs.
   */
  private boolean jointRequests(String source, SeriesState[] states, ForecastRequest due, ForecastRequest[] requests) {
    // the longest common suffix of the channels' timestamps, compared from the newest point back
    int shared = states[0].size();
    for (int ch = 1; ch < states.length; ch++) {
      shared = Math.min(shared, commonSuffix(states[0], states[ch]));
    }
    if (shared < joint.minHistory()) {
      LOG.warn(
          "no joint forecast for source {}: the windows of channels {} share their latest {} timestamps, {} needs {};"
              + " the forecast comes once enough points with all channels have arrived",
          source, joint.channels(), shared, joint.family(), joint.minHistory());
      return false;
    }
    for (int ch = 0; ch < states.length; ch++) {
      SeriesState state = states[ch];
      long[] timestamps = state.timestampsInOrder();
      double[] values = state.valuesInOrder();
      int from = state.size() - shared;
      requests[ch] =
          new ForecastRequest(
              new SeriesWindow(
                  Arrays.copyOfRange(timestamps, from, timestamps.length),
                  Arrays.copyOfRange(values, from, values.length),
                  due.window().stepMillis()),
              due.horizon());
    }
    return true;
  }

  /** How many of the newest timestamps two windows have in common. */
  private static int commonSuffix(SeriesState a, SeriesState b) {
    int n = 0;
    while (n < a.size() && n < b.size() && a.timestampAt(a.size() - 1 - n) == b.timestampAt(b.size() - 1 - n)) {
      n++;
    }
    return n;
  }

  private void deadLetter(Record<Object, Object> record, DecodedPoint decoded, String stage, List<String> problems) {
    emit(
        record,
        DeadLetters.of(context, decoded.rawKey(), decoded.rawValue(), stage, String.join("; ", problems)),
        ForecastTopology.DEAD_LETTER_SINK);
  }

  private void emit(Record<Object, Object> input, Object value, String sink) {
    context.forward(input.withValue(value), sink);
  }


}
