package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Confluent wire format against {@link InMemorySchemaRegistryServer}. */
class ConfluentAvroSerdeTest {

  private InMemorySchemaRegistryServer server;

  @BeforeEach
  void startServer() {
    server = InMemorySchemaRegistryServer.start();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  static List<SpecificRecord> records() {
    return SampleRecords.all();
  }

  private Map<String, Object> configs() {
    return Map.of(SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, server.url());
  }

  private SchemaRegistryClient client() {
    return SchemaRegistryClient.fromConfigs(configs());
  }

  @SuppressWarnings("unchecked")
  private <T extends SpecificRecord> Serde<T> serdeFor(T record, boolean isKey) {
    return AvroSerdes.forType((Class<T>) record.getClass(), configs(), isKey);
  }

  @ParameterizedTest
  @MethodSource("records")
  <T extends SpecificRecord> void roundTripsEveryType(T record) {
    byte[] bytes = serdeFor(record, false).serializer().serialize("t", record);
    // A second serde, as in another process: the schema comes from the registry by id.
    T back = serdeFor(record, false).deserializer().deserialize("t", bytes);

    assertThat(back).isEqualTo(record);
  }

  @Test
  void writesMagicByteSchemaIdAndRegistersUnderTheValueSubject() {
    TelemetryPoint point = SampleRecords.telemetryPoint();

    byte[] bytes = serdeFor(point, false).serializer().serialize("telemetry", point);

    int id = client().lookup("telemetry-value", TelemetryPoint.getClassSchema());
    assertThat(bytes[0]).isZero();
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
    assertThat(server.subjects()).containsExactly("telemetry-value");
  }

  @Test
  void keysUseTheKeySubject() {
    TelemetryPoint point = SampleRecords.telemetryPoint();

    serdeFor(point, true).serializer().serialize("telemetry", point);

    assertThat(server.subjects()).containsExactly("telemetry-key");
  }

  @Test
  void withoutAutoRegisterLooksTheIdUp() {
    int id = client().register("telemetry-value", TelemetryPoint.getClassSchema());
    Serde<TelemetryPoint> serde =
        AvroSerdes.forType(
            TelemetryPoint.class,
            Map.of(
                SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, server.url(),
                SerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, "false"),
            false);

    byte[] bytes = serde.serializer().serialize("telemetry", SampleRecords.telemetryPoint());

    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
    assertThat(server.requests()).last().extracting(r -> r.path())
        .isEqualTo("/subjects/telemetry-value");
  }

  @Test
  void withoutAutoRegisterAnUnregisteredSchemaIsAClearError() {
    Serde<TelemetryPoint> serde =
        AvroSerdes.forType(
            TelemetryPoint.class,
            Map.of(
                SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, server.url(),
                SerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, false),
            false);

    assertThatThrownBy(
            () -> serde.serializer().serialize("telemetry", SampleRecords.telemetryPoint()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(
            "schema dev.sibyl.schemas.TelemetryPoint is not registered under subject"
                + " telemetry-value and auto.register.schemas=false")
        .hasMessageContaining("HTTP 404 (error code 40401)");
  }

  @Test
  void readsTelemetryPointWrittenWithVersion1() {
    Schema v1 = AvroTestBytes.historical("TelemetryPoint-v1.avsc");
    // The old producer registered v1 under the subject and wrote with it.
    int v1Id = client().register("telemetry-value", v1);
    GenericRecord old = new GenericData.Record(v1);
    old.put("source", "pump-7");
    old.put("timestamp", SampleRecords.T0.toEpochMilli());
    old.put("values", Map.of("temperature", 70.0));
    byte[] oldBytes = AvroTestBytes.confluent(v1Id, old);
    Serde<TelemetryPoint> current = AvroSerdes.forType(TelemetryPoint.class, configs(), false);

    TelemetryPoint read = current.deserializer().deserialize("telemetry", oldBytes);
    // The new producer registers v2 under the same subject: the registry accepts it as compatible.
    byte[] newBytes = current.serializer().serialize("telemetry", SampleRecords.telemetryPoint());

    assertThat(read.getSource()).isEqualTo("pump-7");
    assertThat(read.getValues()).containsExactly(Map.entry("temperature", 70.0));
    assertThat(read.getLabels()).isEmpty();
    assertThat(ByteBuffer.wrap(newBytes, 1, 4).getInt()).isNotEqualTo(v1Id);
  }

  @Test
  void rejectsABadMagicByte() {
    byte[] bytes = serializeTelemetry();
    bytes[0] = 7;

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessage("bad magic byte 0x07 in Confluent record from topic telemetry: expected 0x00");
  }

  @Test
  void singleObjectBytesGetAHint() {
    byte[] bytes = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false)
        .serializer()
        .serialize("telemetry", SampleRecords.telemetryPoint());

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("bad magic byte 0xC3")
        .hasMessageContaining("Avro single-object encoding");
  }

  @Test
  void rejectsAnUnknownSchemaId() {
    byte[] bytes = serializeTelemetry();
    ByteBuffer.wrap(bytes).putInt(1, 4242);

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessage(
            "unknown schema id 4242 in Confluent record from topic telemetry: schema registry GET "
                + server.url()
                + "/schemas/ids/4242 answered HTTP 404 (error code 40403): Schema 4242 not found");
  }

  @Test
  void rejectsATruncatedHeader() {
    byte[] bytes = Arrays.copyOf(serializeTelemetry(), 3);

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessage(
            "truncated Confluent record from topic telemetry: 3 bytes, the header alone (magic"
                + " byte + 4-byte schema id) needs 5");
  }

  @Test
  void rejectsATruncatedBody() {
    byte[] whole = serializeTelemetry();
    byte[] bytes = Arrays.copyOf(whole, whole.length - 4);

    assertThatThrownBy(() -> deserializeTelemetry(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith(
            "truncated dev.sibyl.schemas.TelemetryPoint record with schema id ")
        .hasMessageContaining(" from topic telemetry: the Avro body (")
        .hasMessageEndingWith("bytes) ends before the record");
  }

  @Test
  void rejectsARecordOfAnotherType() {
    byte[] forecast =
        AvroSerdes.forType(Forecast.class, configs(), false)
            .serializer()
            .serialize("forecasts", SampleRecords.forecast());

    assertThatThrownBy(() -> deserializeTelemetry(forecast))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(
            "is dev.sibyl.schemas.Forecast, which dev.sibyl.schemas.TelemetryPoint cannot read");
  }

  @Test
  void anUnreachableRegistryIsNotASerializationException() {
    byte[] bytes = serializeTelemetry();
    Serde<TelemetryPoint> serde = AvroSerdes.forType(TelemetryPoint.class, configs(), false);
    server.close();

    assertThatThrownBy(() -> serde.deserializer().deserialize("telemetry", bytes))
        .isInstanceOf(SchemaRegistryException.class)
        .isNotInstanceOf(SerializationException.class)
        .hasMessageStartingWith("cannot reach schema registry: GET " + server.url());
  }

  @Test
  void nullIsATombstoneBothWays() {
    Serde<TelemetryPoint> serde = AvroSerdes.forType(TelemetryPoint.class, configs(), false);

    assertThat(serde.serializer().serialize("t", null)).isNull();
    assertThat(serde.deserializer().deserialize("t", null)).isNull();
    assertThat(server.requestCount()).isZero();
  }

  private byte[] serializeTelemetry() {
    return AvroSerdes.forType(TelemetryPoint.class, configs(), false)
        .serializer()
        .serialize("telemetry", SampleRecords.telemetryPoint());
  }

  private TelemetryPoint deserializeTelemetry(byte[] bytes) {
    return AvroSerdes.forType(TelemetryPoint.class, configs(), false)
        .deserializer()
        .deserialize("telemetry", bytes);
  }
}
