package dev.sibyl.streams.flink;

import dev.sibyl.models.api.Prognostic;
import dev.sibyl.streams.core.HealthOperator;
import dev.sibyl.streams.core.HealthOperator.Step;
import dev.sibyl.streams.core.PointDecoder;
import dev.sibyl.streams.core.UnitHistory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prognostics branch, keyed by source as in the Streams topology: each valid point of a unit
 * goes through the {@link HealthOperator}, which emits a health estimate per cycle and a health flag
 * when the unit enters the alert stages; rejected points and model failures go to the dead letters,
 * stage {@value #STAGE_HEALTH}.
 *
 * <p>State per unit, as in the Streams store: a meta record (cycles, latest time, alerting, row
 * width) and one row per cycle by cycle number, so that a cycle costs one small row write and not
 * a copy of the history; the row the bound drops is removed. A history written for a model of
 * another width is discarded.
 */
public final class HealthFunction extends KeyedProcessFunction<String, Point, OutputRecord> {

  private static final long serialVersionUID = 1L;

  private static final Logger LOG = LoggerFactory.getLogger(HealthFunction.class);

  /** The dead-letter stage of this branch (the Streams pipeline's name). */
  static final String STAGE_HEALTH = "health";

  /** State names; part of every savepoint. */
  static final String META_STATE = "health-meta";

  static final String ROWS_STATE = "health-rows";

  private static final byte META_VERSION = 1;
  private static final int META_BYTES = 1 + 8 + 8 + 1 + 4;

  private final PrognosticLoader loader;
  private final int alertStates;
  private final int maxCycles;
  private final long ttlMillis;
  private final OutputEncoder encoder;
  private transient HealthOperator operator;
  private transient int width;
  private transient ValueState<byte[]> meta;
  private transient MapState<Long, byte[]> rows;

  /**
   * @param loader loads the prognostic model
   * @param alertStates {@code health.alert-states}
   * @param maxCycles {@code health.max-cycles}: rows kept per unit
   * @param ttlMillis state time-to-live of a quiet unit; 0 keeps it forever
   * @param encoder encodes the outputs
   */
  HealthFunction(PrognosticLoader loader, int alertStates, int maxCycles, long ttlMillis, OutputEncoder encoder) {
    this.loader = loader;
    this.alertStates = alertStates;
    this.maxCycles = maxCycles;
    this.ttlMillis = ttlMillis;
    this.encoder = encoder;
  }

  @Override
  public void open(OpenContext context) throws Exception {
    Prognostic prognostic = loader.load();
    operator = new HealthOperator(prognostic, alertStates);
    width = prognostic.inputColumns().size();
    ValueStateDescriptor<byte[]> metaDescriptor = new ValueStateDescriptor<>(META_STATE, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    MapStateDescriptor<Long, byte[]> rowsDescriptor = new MapStateDescriptor<>(ROWS_STATE, Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    if (ttlMillis > 0) {
      // Read-and-write refresh, as for the series state: old rows are only read while the unit lives.
      StateTtlConfig ttl =
          StateTtlConfig.newBuilder(Duration.ofMillis(ttlMillis))
              .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
              .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
              .build();
      metaDescriptor.enableTimeToLive(ttl);
      rowsDescriptor.enableTimeToLive(ttl);
    }
    meta = getRuntimeContext().getState(metaDescriptor);
    rows = getRuntimeContext().getMapState(rowsDescriptor);
    encoder.open();
  }

  @Override
  public void processElement(Point point, Context context, Collector<OutputRecord> out) throws Exception {
    Map<String, Double> values = new HashMap<>();
    for (int i = 0; i < point.channels().length; i++) {
      values.put(point.channels()[i], point.values()[i]);
    }
    UnitHistory history = load(point.source());
    long now = context.timerService().currentProcessingTime();
    Step step;
    try {
      step = operator.onPoint(history, point.timestamp(), values);
    } catch (RuntimeException e) {
      // The cycle is in the history already (the model failed on it): keep it, report the failure.
      LOG.warn("health model failed on unit {}", point.source(), e);
      save(history);
      out.collect(encoder.deadLetter(point.raw(), STAGE_HEALTH, "health model " + operator.modelFamily() + " failed: " + PointDecoder.describe(e), now));
      return;
    }
    switch (step.outcome()) {
      case NOT_A_UNIT -> {}
      case REJECTED -> out.collect(encoder.deadLetter(point.raw(), STAGE_HEALTH, step.reason(), now));
      case ASSESSED -> {
        save(history);
        out.collect(encoder.healthEstimate(point.source(), point.timestamp(), step.prognosis(), operator.modelFamily()));
        if (step.alertRaised()) {
          out.collect(encoder.healthFlag(point.source(), point.timestamp(), step, operator));
        }
      }
    }
  }

  private UnitHistory load(String source) throws Exception {
    byte[] bytes = meta.value();
    if (bytes == null) {
      return new UnitHistory(maxCycles);
    }
    ByteBuffer m = ByteBuffer.wrap(bytes);
    byte version = m.get();
    if (version != META_VERSION) {
      throw new IllegalStateException("unit history of " + source + " has unknown version " + version);
    }
    long cycles = m.getLong();
    long lastTimestamp = m.getLong();
    boolean alerting = m.get() != 0;
    if (m.getInt() != width) {
      rows.clear();
      return new UnitHistory(maxCycles); // another model's rows: start afresh
    }
    List<double[]> kept = new ArrayList<>();
    for (long n = Math.max(0, cycles - maxCycles); n < cycles; n++) {
      byte[] row = rows.get(n);
      if (row == null) {
        throw new IllegalStateException("unit history of " + source + " lacks cycle " + n + " (state corrupt)");
      }
      double[] r = new double[width];
      ByteBuffer.wrap(row).asDoubleBuffer().get(r);
      kept.add(r);
    }
    return UnitHistory.restored(maxCycles, kept, cycles, lastTimestamp, alerting);
  }

  private void save(UnitHistory history) throws Exception {
    long n = history.cycles() - 1;
    ByteBuffer row = ByteBuffer.allocate(8 * width);
    row.asDoubleBuffer().put(history.lastRow());
    rows.put(n, row.array());
    if (n - maxCycles >= 0) {
      rows.remove(n - maxCycles);
    }
    ByteBuffer m = ByteBuffer.allocate(META_BYTES);
    m.put(META_VERSION).putLong(history.cycles()).putLong(history.lastTimestamp());
    m.put((byte) (history.alerting() ? 1 : 0)).putInt(width);
    meta.update(m.array());
  }
}
