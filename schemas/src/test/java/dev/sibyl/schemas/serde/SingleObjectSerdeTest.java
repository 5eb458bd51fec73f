package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The registry-less default: Avro single-object encoding, through {@link AvroSerdes}. */
class SingleObjectSerdeTest {

  static List<SpecificRecord> records() {
    return SampleRecords.all();
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> Serde<T> serdeFor(T record) {
    return AvroSerdes.forType((Class<T>) record.getClass(), Map.of(), false);
  }

  @ParameterizedTest
  @MethodSource("records")
  <T extends SpecificRecord> void roundTripsEveryType(T record) {
    Serde<T> serde = serdeFor(record);

    byte[] bytes = serde.serializer().serialize("t", record);
    T back = serde.deserializer().deserialize("t", bytes);

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(back).isEqualTo(record);
  }

  @Test
  void nullIsATombstoneBothWays() {
    Serde<TelemetryPoint> serde = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false);

    assertThat(serde.serializer().serialize("t", null)).isNull();
    assertThat(serde.deserializer().deserialize("t", null)).isNull();
  }

  @Test
  void readsTelemetryPointWrittenWithVersion1() {
    Schema v1 = AvroTestBytes.historical("TelemetryPoint-v1.avsc");
    GenericRecord old = new GenericData.Record(v1);
    old.put("source", "pump-7");
    old.put("timestamp", SampleRecords.T0.toEpochMilli());
    old.put("values", Map.of("temperature", 70.0));
    byte[] bytes = AvroTestBytes.singleObject(old);

    TelemetryPoint read =
        AvroSerdes.forType(TelemetryPoint.class, Map.of(), false)
            .deserializer()
            .deserialize("telemetry", bytes);

    assertThat(read.getSource()).isEqualTo("pump-7");
    assertThat(read.getTimestamp()).isEqualTo(SampleRecords.T0);
    assertThat(read.getValues()).containsExactly(Map.entry("temperature", 70.0));
    assertThat(read.getLabels()).isEmpty();
  }

  @Test
  void readsForecastWrittenWithVersion1() {
    Schema v1 = AvroTestBytes.historical("Forecast-v1.avsc");
    Schema pointSchema = v1.getField("points").schema().getElementType();
    GenericRecord point = new GenericData.Record(pointSchema);
    point.put("timestamp", SampleRecords.T0.toEpochMilli() + 60_000L);
    point.put("mean", 1.0);
    point.put("lower", 0.5);
    point.put("upper", 1.5);
    GenericRecord old = new GenericData.Record(v1);
    old.put("source", "pump-7");
    old.put("channel", "temperature");
    old.put("issuedAt", SampleRecords.T0.toEpochMilli());
    old.put("stepMillis", 60_000L);
    old.put("model", "ets");
    old.put("modelVersion", "0.9");
    old.put("lookback", 48);
    old.put("coverage", 0.9);
    old.put("points", List.of(point));

    Forecast read =
        AvroSerdes.forType(Forecast.class, Map.of(), false)
            .deserializer()
            .deserialize("forecasts", AvroTestBytes.singleObject(old));

    assertThat(read.getDegraded()).isFalse();
    assertThat(read.getModelVersion()).isEqualTo("0.9");
    assertThat(read.getPoints())
        .containsExactly(new ForecastPoint(SampleRecords.T0.plusSeconds(60), 1.0, 0.5, 1.5));
  }

  @Test
  void rejectsABadMarker() {
    byte[] bytes = serializeTelemetry();
    bytes[1] = 0x02;

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessage(
            "bad single-object marker in record from topic telemetry: 0xC3 0x02, expected 0xC3"
                + " 0x01");
  }

  @Test
  void confluentBytesGetAHint() {
    byte[] bytes = {0, 0, 0, 0, 1, 2, 'a'};

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("bad single-object marker")
        .hasMessageContaining("look like the Confluent wire format: set schema.registry.url");
  }

  @Test
  void rejectsATruncatedHeader() {
    byte[] whole = serializeTelemetry();
    byte[] bytes = Arrays.copyOf(whole, 6);

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessage(
            "truncated single-object record from topic telemetry: 6 bytes, the header alone"
                + " (2-byte marker + 8-byte fingerprint) needs 10");
  }

  @Test
  void rejectsATruncatedBody() {
    byte[] whole = serializeTelemetry();
    byte[] bytes = Arrays.copyOf(whole, whole.length - 3);

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith(
            "truncated single-object dev.sibyl.schemas.TelemetryPoint record from topic"
                + " telemetry (fingerprint ")
        .hasMessageEndingWith("ends before the record");
  }

  @Test
  void rejectsAnUnknownFingerprint() {
    byte[] bytes = serializeTelemetry();
    bytes[5] ^= 0x55;

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("unknown schema fingerprint ")
        .hasMessageEndingWith(
            " in single-object record from topic telemetry: it is neither the current nor a"
                + " previous version of dev.sibyl.schemas.TelemetryPoint");
  }

  @Test
  void rejectsAnotherTypesRecord() {
    byte[] forecast =
        AvroSerdes.forType(Forecast.class, Map.of(), false)
            .serializer()
            .serialize("t", SampleRecords.forecast());

    assertThatThrownBy(() -> deserializeTelemetry(forecast))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown schema fingerprint");
  }

  private static byte[] serializeTelemetry() {
    return AvroSerdes.forType(TelemetryPoint.class, Map.of(), false)
        .serializer()
        .serialize("telemetry", SampleRecords.telemetryPoint());
  }

  private static TelemetryPoint deserializeTelemetry(byte[] bytes) {
    return AvroSerdes.forType(TelemetryPoint.class, Map.of(), false)
        .deserializer()
        .deserialize("telemetry", bytes);
  }
}
