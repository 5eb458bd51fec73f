package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.LatestForecast;
import dev.sibyl.streams.core.ResultRecords;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.Admission;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.workers.InferenceException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The series step of the topology when a trained window model runs on an inference pool ({@code
 * inference.mode=pool}): the same admission, checks and flags as {@link SeriesProcessor}, but the
 * due forecasts of a stream task are sent to the pool in batches, and no stream thread waits on a
 * request unless the task already has {@code inference.max-in-flight} of them unanswered.
 *
 * <h2>Design: pending forecasts in the state, answers forwarded on the stream thread</h2>
 *
 * Kafka Streams' exactly-once commits the input offsets, the store changelogs and the output
 * records of a task in one transaction, and only the stream thread may forward. So:
 *
 * <ol>
 *   <li><b>Due.</b> When {@link SeriesOperator#admit} finds a forecast due, the request (window
 *       snapshot, horizon, and the input record for a dead letter) is written to the {@value
 *       ForecastTopology#SERIES_PENDING_STORE} store in the same transaction as the point that made
 *       it due, and gathered in memory. Nothing waits.
 *   <li><b>Send.</b> Gathered forecasts go out as one request when {@code inference.max-batch} are
 *       due or at the next wall-clock punctuation ({@code inference.flush-ms}; Kafka Streams runs it
 *       between polls, so in effect once per poll), whichever is first. Each forecast contributes the
 *       model windows its split-conformal intervals need ({@link
 *       dev.sibyl.streams.core.PooledForecaster}). At most {@code inference.max-in-flight} requests
 *       are unanswered per task; at the bound the thread waits for the oldest, which is the
 *       back-pressure on a slow pool.
 *   <li><b>Answer.</b> Futures complete on the client's threads, which touch nothing else. The
 *       stream thread looks for completed ones in every {@code process} call and punctuation,
 *       computes the intervals, records the forecast as the series' latest ({@link
 *       SeriesOperator#complete}), forwards it and deletes its pending entry: all in the current
 *       transaction.
 *   <li><b>Restart.</b> A pending entry is deleted only in the transaction that forwards its answer
 *       (or its dead letter). If that transaction aborts, or the task moves to another instance, the
 *       entry is restored with the stores, and {@code init} gathers every entry again, to be sent
 *       from its stored window. If the transaction that created it aborts, the entry is rolled back
 *       with the point, and reprocessing the point creates it again. Requests still in flight from
 *       before are dropped: their answers belong to an incarnation whose writes were rolled back or
 *       are still pending. So each due forecast is emitted exactly once in committed output.
 * </ol>
 *
 * Why not drain every request before each commit: a processor cannot see the commit coming, so
 * draining would mean waiting in every punctuation, and a slow pool would stall the task; with
 * pending entries a commit may happen at any time. The cost: one entry write per due forecast (a
 * few kilobytes, the window), which the store cache collapses with its delete when the answer comes
 * within the commit interval, as it usually does, leaving one tombstone in the changelog.
 *
 * <h2>What differs from the direct path</h2>
 *
 * <ul>
 *   <li>The cadence counts points from the last forecast <i>sent</i>, not answered, so that the due
 *       points (and the forecasts) are those of the direct path however late answers come.
 *   <li>An observation is checked against the newest forecast <i>answered</i> by the time it is
 *       processed. With a pool that answers within milliseconds and series whose points are seconds
 *       apart that is the forecast made before it, as on the direct path; a fast replay may check a
 *       few points against the forecast before.
 *   <li>When the pool fails (unavailable, overloaded, no answer within {@code inference.timeout-ms}),
 *       the fallback forecaster answers on the stream thread, and the forecast carries the fallback's
 *       family and {@code degraded = true}; flags of observations checked against it name the
 *       fallback. A request the pool rejects (bad request, unknown model, model failure), or a
 *       fallback that fails, goes to the dead-letter topic (stage forecast) with the input record
 *       that made it due, and the series forecasts again at its next cadence.
 * </ul>
 */
final class PooledSeriesProcessor implements Processor<Object, Object, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(PooledSeriesProcessor.class);

  private final SeriesOperator operator;
  private final InferencePool pool;
  private final int lookback;
  private final int maxCachedSeries;
  private final double minScore;
  private final List<PendingForecast> gathered = new ArrayList<>();
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private ProcessorContext<Object, Object> context;
  private SeriesStateStore store;
  private KeyValueStore<Bytes, byte[]> pending;
  private Cancellable flush;

  /** One request to the pool: its forecasts, their plans, and the answer to come. */
  private record InFlight(
      List<PendingForecast> forecasts, List<double[][]> plans, CompletableFuture<double[][][]> answer, long sentNanos) {}

  PooledSeriesProcessor(SeriesOperator operator, InferencePool pool, int lookback, int maxCachedSeries, double minScore) {
    this.operator = operator;
    this.pool = pool;
    this.lookback = lookback;
    this.maxCachedSeries = maxCachedSeries;
    this.minScore = minScore;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    // Runs again when a task is revived after an aborted transaction: everything in memory
    // belongs to the old incarnation, and the stores have been restored.
    this.context = context;
    KeyValueStore<Bytes, byte[]> points = context.getStateStore(ForecastTopology.SERIES_POINTS_STORE);
    KeyValueStore<Bytes, byte[]> metas = context.getStateStore(ForecastTopology.SERIES_META_STORE);
    KeyValueStore<Bytes, byte[]> forecasts = context.getStateStore(ForecastTopology.SERIES_FORECAST_STORE);
    this.store = new SeriesStateStore(points, metas, forecasts, lookback, maxCachedSeries);
    this.pending = context.getStateStore(ForecastTopology.SERIES_PENDING_STORE);
    forget();
    // Nothing may be forwarded from init: the restored entries are sent from the first punctuation or record.
    try (KeyValueIterator<Bytes, byte[]> all = pending.all()) {
      while (all.hasNext()) {
        gather(PendingForecast.decode(all.next().value));
      }
    }
    if (!gathered.isEmpty()) {
      LOG.info("task {}: {} forecasts pending from before, sending them again", context.taskId(), gathered.size());
    }
    flush = context.schedule(pool.flush(), PunctuationType.WALL_CLOCK_TIME, now -> {
      handleAnswered();
      send();
    });
  }

  @Override
  public void process(Record<Object, Object> record) {
    handleAnswered();
    DecodedPoint decoded = (DecodedPoint) record.value();
    TelemetryPoint point = decoded.point();
    long timestamp = point.getTimestamp().toEpochMilli();
    List<String> problems = null; // made on the first problem: most points have none
    Map<String, Double> values = point.getValues();
    for (Map.Entry<String, Double> channel : values.size() == 1 ? values.entrySet() : new TreeMap<>(values).entrySet()) {
      SeriesId series = new SeriesId(point.getSource(), channel.getKey());
      SeriesState state = store.load(series);
      Admission admission = operator.admit(state, timestamp, channel.getValue());
      if (admission.rejection() != null) {
        problems = problems == null ? new ArrayList<>() : problems;
        problems.add("channel '" + series.channel() + "': " + admission.reason());
        continue;
      }
      ForecastRequest due = admission.due();
      if (due != null) {
        // The cadence counts from the forecast sent (see the class comment); admit leaves the series due.
        state.setPointsSinceForecast(0);
      }
      store.saveObservation(series, state, admission.windowReset(), false);
      if (admission.check() != null && admission.check().score() != null && admission.check().score().score() >= minScore) {
        context.forward(record.withValue(ResultRecords.flag(series, admission.check())), ForecastTopology.ANOMALY_SINK);
      }
      if (due != null) {
        RecordMetadata metadata = context.recordMetadata().orElse(null);
        PendingForecast entry =
            new PendingForecast(
                series,
                due,
                record.timestamp(),
                metadata == null ? "" : metadata.topic(),
                metadata == null ? -1 : metadata.partition(),
                metadata == null ? -1 : metadata.offset(),
                decoded.rawKey(),
                decoded.rawValue());
        pending.put(Bytes.wrap(entry.key()), entry.encode());
        gather(entry);
      }
    }
    if (problems != null) {
      context.forward(
          record.withValue(
              DeadLetters.of(context, decoded.rawKey(), decoded.rawValue(), DeadLetters.STAGE_ORDER, String.join("; ", problems))),
          ForecastTopology.DEAD_LETTER_SINK);
    }
    if (gathered.size() >= pool.maxBatch()) {
      send();
    }
  }

  @Override
  public void close() {
    // The entries stay pending in the stores; whoever owns the task next sends them again.
    forget();
    if (flush != null) {
      flush.cancel();
      flush = null;
    }
  }

  private void gather(PendingForecast entry) {
    gathered.add(entry);
    pool.metrics().queued(1);
  }

  /** Drops what is in memory: gathered forecasts and requests in flight. */
  private void forget() {
    pool.metrics().queued(-gathered.size());
    gathered.clear();
    pool.metrics().dropped(inFlight.size());
    inFlight.clear();
  }

  // ---- sending ----------------------------------------------------------------------------

  /** Sends every gathered forecast, in requests of at most max-batch forecasts of one horizon. */
  private void send() {
    while (!gathered.isEmpty()) {
      int horizon = gathered.get(0).request().horizon();
      List<PendingForecast> batch = new ArrayList<>();
      List<double[][]> plans = new ArrayList<>();
      int windows = 0;
      Iterator<PendingForecast> it = gathered.iterator();
      while (it.hasNext() && batch.size() < pool.maxBatch()) {
        PendingForecast entry = it.next();
        if (entry.request().horizon() != horizon) {
          continue;
        }
        it.remove();
        pool.metrics().queued(-1);
        double[][] plan;
        try {
          plan = pool.forecaster().plan(entry.request().window(), horizon); // (calls, lookback)
        } catch (RuntimeException e) {
          fail(entry, "cannot plan the pool request: " + DecodeProcessor.describe(e));
          continue;
        }
        batch.add(entry);
        plans.add(plan);
        windows += plan.length;
      }
      if (batch.isEmpty()) {
        continue;
      }
      awaitRoom();
      double[][][] request = new double[windows][1][]; // (windows, channels = 1, lookback)
      int row = 0;
      for (double[][] plan : plans) {
        for (double[] window : plan) {
          request[row++][0] = window;
        }
      }
      CompletableFuture<double[][][]> answer;
      try {
        answer = pool.client().predict(pool.model(), request, horizon);
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      // A bound on every request, so that waiting for the oldest is bounded too.
      answer = answer.orTimeout(pool.timeout().toMillis(), TimeUnit.MILLISECONDS);
      inFlight.addLast(new InFlight(batch, plans, answer, System.nanoTime()));
      pool.metrics().sent(batch.size(), windows);
    }
  }

  /** Waits, at the in-flight bound, for the oldest request, and handles what has come back. */
  private void awaitRoom() {
    handleAnswered();
    while (inFlight.size() >= pool.maxInFlight()) {
      InFlight oldest = inFlight.peekFirst();
      try {
        oldest.answer().get(pool.timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | CancellationException e) {
        // handled below with the future's outcome
      } catch (TimeoutException e) {
        oldest.answer().completeExceptionally(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the inference pool", e);
      }
      handleAnswered();
    }
  }

  // ---- answers ----------------------------------------------------------------------------

  /** Handles every request that has completed, oldest first. */
  private void handleAnswered() {
    Iterator<InFlight> it = inFlight.iterator();
    while (it.hasNext()) {
      InFlight request = it.next();
      if (request.answer().isDone()) {
        it.remove();
        pool.metrics().handled(request.sentNanos());
        handle(request);
      }
    }
  }

  private void handle(InFlight request) {
    double[][][] answer;
    try {
      answer = request.answer().join(); // (windows, 1, horizon)
    } catch (CompletionException | CancellationException e) {
      failed(request, e.getCause() == null ? e : e.getCause());
      return;
    }
    int row = 0;
    for (int i = 0; i < request.forecasts().size(); i++) {
      PendingForecast entry = request.forecasts().get(i);
      double[][] plan = request.plans().get(i);
      ForecastRequest due = entry.request();
      ForecastResult result;
      try {
        double[][] rows = new double[plan.length][]; // (calls, horizon)
        for (int c = 0; c < plan.length; c++) {
          rows[c] = answer[row + c][0];
        }
        result = pool.forecaster().finish(due.window(), due.horizon(), rows);
      } catch (RuntimeException e) {
        pool.metrics().failed("unreadable");
        fail(entry, "the pool's answer is unusable: " + DecodeProcessor.describe(e));
        row += plan.length;
        continue;
      }
      row += plan.length;
      emit(entry, result, pool.forecaster().family(), pool.forecaster().version(), false);
    }
    pool.metrics().emitted(request.forecasts().size());
  }

  /** A request failed: the fallback answers when the pool is at fault, otherwise dead letters. */
  private void failed(InFlight request, Throwable error) {
    boolean poolAtFault;
    String reason;
    if (error instanceof InferenceException ie) {
      poolAtFault = ie.fallBack();
      reason = ie.reason().name();
    } else if (error instanceof TimeoutException) {
      poolAtFault = true;
      reason = "timeout";
    } else {
      poolAtFault = false;
      reason = InferenceException.Reason.FAILED.name();
    }
    pool.metrics().failed(reason);
    String why =
        error instanceof TimeoutException
            ? "no answer from the inference pool within " + pool.timeout().toMillis() + " ms"
            : "inference pool: " + DecodeProcessor.describe(error);
    if (!poolAtFault || pool.fallback() == null) {
      LOG.warn("{} forecasts failed: {}", request.forecasts().size(), why);
      for (PendingForecast entry : request.forecasts()) {
        fail(entry, why);
      }
      return;
    }
    for (PendingForecast entry : request.forecasts()) {
      ForecastResult result;
      try {
        result = pool.fallback().forecast(entry.request().window(), entry.request().horizon());
      } catch (RuntimeException e) {
        fail(entry, why + "; fallback " + pool.fallback().family() + " failed: " + DecodeProcessor.describe(e));
        continue;
      }
      pool.metrics().fellBack(1);
      emit(entry, result, pool.fallback().family(), pool.fallback().version(), true);
    }
  }

  /** Records an answer as the series' latest forecast, forwards it and clears its entry. */
  private void emit(PendingForecast entry, ForecastResult result, String family, String version, boolean degraded) {
    SeriesId series = entry.series();
    SeriesState state = store.load(series);
    int since = state.pointsSinceForecast();
    if (operator.complete(state, entry.request(), result)) {
      // complete counts the cadence from this answer; here it counts from the last request sent.
      state.setPointsSinceForecast(since);
      if (degraded) {
        // Flags checked against this forecast name the model that made it.
        LatestForecast latest = state.latestForecast();
        state.setLatestForecast(
            new LatestForecast(
                latest.issuedAt(), latest.stepMillis(), latest.mean(), latest.lower(), latest.upper(), latest.coverage(), family + ":" + version));
      }
      store.saveForecast(series, state);
    }
    context.forward(
        new Record<Object, Object>(series.source(), ResultRecords.forecast(entry.series(), entry.request(), result, family, version, degraded), entry.recordTimestamp()),
        ForecastTopology.FORECAST_SINK);
    pending.delete(Bytes.wrap(entry.key()));
  }

  /** Dead-letters the input record that made a forecast due, and clears its entry. */
  private void fail(PendingForecast entry, String why) {
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setTopic(entry.topic())
            .setPartition(entry.partition())
            .setOffset(entry.offset())
            .setKey(entry.rawKey() == null ? null : ByteBuffer.wrap(entry.rawKey()))
            .setValue(entry.rawValue() == null ? null : ByteBuffer.wrap(entry.rawValue()))
            .setError("channel '" + entry.series().channel() + "': forecast " + operator.modelId() + " failed: " + why)
            .setStage(DeadLetters.STAGE_FORECAST)
            .setTime(Instant.ofEpochMilli(context.currentSystemTimeMs()))
            .build();
    context.forward(
        new Record<Object, Object>(entry.series().source(), letter, entry.recordTimestamp()), ForecastTopology.DEAD_LETTER_SINK);
    pending.delete(Bytes.wrap(entry.key()));
  }

}
