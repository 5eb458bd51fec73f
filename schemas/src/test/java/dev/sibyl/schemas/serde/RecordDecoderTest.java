package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.schemas.TelemetryPoint;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RecordDecoderTest {

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

  private Map<String, Object> registryConfigs() {
    return Map.of(SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, server.url());
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> byte[] encode(T record, Map<String, ?> configs) {
    return AvroSerdes.forType((Class<T>) record.getClass(), configs, false)
        .serializer()
        .serialize("t", record);
  }

  @ParameterizedTest
  @MethodSource("records")
  void decodesSingleObjectRecordsOfEveryType(SpecificRecord record) {
    RecordDecoder decoder = RecordDecoder.fromConfigs(Map.of());

    assertThat(decoder.decode("t", encode(record, Map.of()))).isEqualTo(record);
  }

  @ParameterizedTest
  @MethodSource("records")
  void decodesConfluentRecordsOfEveryType(SpecificRecord record) {
    RecordDecoder decoder = RecordDecoder.fromConfigs(registryConfigs());

    assertThat(decoder.decode("t", encode(record, registryConfigs()))).isEqualTo(record);
  }

  @Test
  void decodesAVersion1TelemetryPoint() {
    Schema v1 = AvroTestBytes.historical("TelemetryPoint-v1.avsc");
    GenericRecord old = new GenericData.Record(v1);
    old.put("source", "pump-7");
    old.put("timestamp", 5L);
    old.put("values", Map.of("x", 1.0));

    SpecificRecord read = RecordDecoder.fromConfigs(Map.of()).decode("t", AvroTestBytes.singleObject(old));

    assertThat(read).isInstanceOfSatisfying(
        TelemetryPoint.class, point -> assertThat(point.getLabels()).isEmpty());
  }

  @Test
  void nullDecodesToNull() {
    assertThat(RecordDecoder.fromConfigs(Map.of()).decode("t", null)).isNull();
  }

  @Test
  void unknownBytesAreAClearError() {
    byte[] bytes = "{\"plain\": \"json\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    assertThatThrownBy(() -> RecordDecoder.fromConfigs(Map.of()).decode("raw", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessage(
            "unrecognised record bytes from topic raw: neither Avro single-object encoding"
                + " (starts C3 01) nor the Confluent wire format (starts 00); 17 bytes, starting"
                + " 7b 22 70 6c 61 69 6e 22 3a 20 22 6a 73 6f 6e 22 ...");
  }

  @Test
  void emptyBytesAreAClearError() {
    assertThatThrownBy(() -> RecordDecoder.fromConfigs(Map.of()).decode("raw", new byte[0]))
        .isInstanceOf(SerializationException.class)
        .hasMessageEndingWith("0 bytes, starting (empty)");
  }

  @Test
  void anUnknownFingerprintIsAClearError() {
    byte[] bytes = encode(SampleRecords.telemetryPoint(), Map.of());
    bytes[4] ^= 0x11;

    assertThatThrownBy(() -> RecordDecoder.fromConfigs(Map.of()).decode("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown schema fingerprint")
        .hasMessageEndingWith(
            "it is no version of the project's record types (TelemetryPoint, ForecastPoint,"
                + " Forecast, AnomalyFlag, HealthEstimate, DeadLetter)");
  }

  @Test
  void confluentRecordsNeedARegistry() {
    byte[] bytes = encode(SampleRecords.telemetryPoint(), registryConfigs());

    assertThatThrownBy(() -> RecordDecoder.fromConfigs(Map.of()).decode("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessage(
            "Confluent wire format record from topic t (schema id 1) cannot be decoded:"
                + " schema.registry.url is not set");
  }

  @Test
  void aRegisteredSchemaOutsideTheProjectIsAClearError() {
    Schema foreign =
        new Schema.Parser()
            .parse("{\"type\":\"record\",\"name\":\"Other\",\"namespace\":\"x\",\"fields\":[]}");
    int id = SchemaRegistryClient.fromConfigs(registryConfigs()).register("other-value", foreign);
    byte[] bytes = AvroTestBytes.confluent(id, new GenericData.Record(foreign));

    assertThatThrownBy(() -> RecordDecoder.fromConfigs(registryConfigs()).decode("other", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("schema id " + id + " from topic other is x.Other, none of the project's record types");
  }

  @Test
  void anUnknownSchemaIdIsAClearError() {
    byte[] bytes = {0, 0, 0, 0, 77, 2};

    assertThatThrownBy(() -> RecordDecoder.fromConfigs(registryConfigs()).decode("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("unknown schema id 77 in Confluent record from topic t");
  }

  @ParameterizedTest
  @MethodSource("records")
  void toJsonGivesOneLineOfJson(SpecificRecord record) throws Exception {
    String json = RecordDecoder.toJson(record);

    assertThat(json).doesNotContain("\n");
    JsonNode parsed = new ObjectMapper().readTree(json);
    assertThat(parsed.isObject()).isTrue();
    assertThat(parsed.size()).isEqualTo(record.getSchema().getFields().size());
  }

  @Test
  void toJsonWritesTimestampsAsEpochMillis() throws Exception {
    JsonNode parsed =
        new ObjectMapper().readTree(RecordDecoder.toJson(SampleRecords.telemetryPoint()));

    assertThat(parsed.get("source").asText()).isEqualTo("pump-7");
    assertThat(parsed.get("timestamp").asLong()).isEqualTo(SampleRecords.T0.toEpochMilli());
    assertThat(parsed.get("values").get("temperature").asDouble()).isEqualTo(71.5);
    assertThat(parsed.get("labels").get("site").asText()).isEqualTo("north");
  }
}
