package dev.sibyl.streams.flink;

import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.core.PointDecoder;
import dev.sibyl.streams.core.PointValidator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * First step of the job: decodes a {@link RawRecord} into a valid {@link Point} with the project's
 * Avro deserializer (both wire formats) and {@link PointValidator}, through the {@link PointDecoder}
 * the Kafka Streams pipeline uses too; a refused record goes to the {@link #DEAD_LETTERS} side
 * output with its stage and reason.
 */
public final class DecodeFunction extends ProcessFunction<RawRecord, Point> {

  private static final long serialVersionUID = 1L;

  /** Dead letters of every stage, already encoded for the sink. */
  public static final OutputTag<OutputRecord> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  private final Map<String, String> serdeConfigs;
  private final long maxFutureMillis;
  private final OutputEncoder encoder;
  private transient PointDecoder decoder;

  /**
   * @param serdeConfigs Avro serde settings; may be empty
   * @param maxFutureMillis how far ahead of the wall clock a timestamp may be
   * @param encoder encodes dead letters
   */
  DecodeFunction(Map<String, String> serdeConfigs, long maxFutureMillis, OutputEncoder encoder) {
    this.serdeConfigs = Map.copyOf(serdeConfigs);
    this.maxFutureMillis = maxFutureMillis;
    this.encoder = encoder;
  }

  @Override
  public void open(OpenContext context) {
    decoder =
        new PointDecoder(
            AvroSerdes.forType(TelemetryPoint.class, serdeConfigs, false).deserializer(), new PointValidator(maxFutureMillis));
    encoder.open();
  }

  @Override
  public void processElement(RawRecord raw, Context context, Collector<Point> out) {
    long now = context.timerService().currentProcessingTime();
    PointDecoder.Decoded decoded = decoder.decode(raw.topic(), raw.key(), raw.value(), now);
    if (decoded.point() == null) {
      context.output(DEAD_LETTERS, encoder.deadLetter(raw, decoded.stage(), decoded.error(), now));
      return;
    }
    TelemetryPoint point = decoded.point();
    // Channels in name order, as the Streams series processor walks them.
    TreeMap<String, Double> sorted = new TreeMap<>(point.getValues());
    String[] channels = new String[sorted.size()];
    double[] values = new double[sorted.size()];
    int i = 0;
    for (Map.Entry<String, Double> channel : sorted.entrySet()) {
      channels[i] = channel.getKey();
      values[i] = channel.getValue();
      i++;
    }
    out.collect(new Point(point.getSource(), point.getTimestamp().toEpochMilli(), channels, values, raw));
  }
}
