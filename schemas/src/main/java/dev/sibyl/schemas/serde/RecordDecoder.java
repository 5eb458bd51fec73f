package dev.sibyl.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Decodes the bytes of any of the project's record types ({@link RecordTypes}) without being told
 * which, for tools such as {@code sibyl tail}. The first byte tells the formats apart:
 *
 * <ul>
 *   <li>{@code C3 01}: Avro single-object encoding; the fingerprint selects the type among the
 *       current schemas and their {@link SchemaHistory};
 *   <li>{@code 00}: the Confluent wire format; the schema id is looked up in the registry and the
 *       writer schema's full name selects the type (needs a registry client).
 * </ul>
 *
 * Thread-safe.
 */
public final class RecordDecoder {

  private static final int BYTES_SHOWN = 16;

  /** Fingerprint of every current and historical schema -> deserializer of its type. */
  private final Map<Long, SingleObjectDeserializer<?>> byFingerprint = new HashMap<>();

  private final Map<Class<?>, ConfluentAvroDeserializer<?>> byType = new HashMap<>();
  private final SchemaRegistryClient registry;

  /**
   * A decoder of both formats, or of single-object encoding only.
   *
   * @param registry the registry for Confluent-format records; null decodes single-object records
   *     only (Confluent records then fail with a message saying a registry URL is needed)
   * @throws IllegalStateException when two record types share a schema fingerprint (impossible
   *     for distinct names; it would mean a broken history resource)
   */
  public RecordDecoder(SchemaRegistryClient registry) {
    this.registry = registry;
    for (Class<? extends SpecificRecord> type : RecordTypes.all()) {
      addType(type);
    }
  }

  /**
   * A decoder configured like the serdes: with a registry client when {@code
   * schema.registry.url} is set.
   *
   * @param configs serde settings (see {@link SerdeConfig}); never null, may be empty
   * @return a decoder
   * @throws org.apache.kafka.common.config.ConfigException when the settings are invalid
   */
  public static RecordDecoder fromConfigs(Map<String, ?> configs) {
    SerdeConfig config = new SerdeConfig(configs);
    return new RecordDecoder(config.registryUrl().isEmpty() ? null : new SchemaRegistryClient(config));
  }

  private <T extends SpecificRecord> void addType(Class<T> type) {
    SingleObjectDeserializer<T> singleObject = new SingleObjectDeserializer<>(type);
    for (Long fingerprint : singleObject.fingerprints()) {
      SingleObjectDeserializer<?> previous = byFingerprint.put(fingerprint, singleObject);
      if (previous != null) {
        throw new IllegalStateException(
            String.format("schema fingerprint %016X belongs to two record types", fingerprint));
      }
    }
    if (registry != null) {
      byType.put(type, new ConfluentAvroDeserializer<>(type, registry));
    }
  }

  /**
   * Decodes one record of any of the project's types.
   *
   * @param topic the topic, for messages; may be null
   * @param data the record bytes; null (a tombstone) gives null
   * @return the record, an instance of one of {@link RecordTypes#all()}; null for null data
   * @throws SerializationException when the bytes are in neither format, are truncated, carry an
   *     unknown fingerprint or schema id, name a type outside the project, or are Confluent
   *     records while no registry is configured; the message says which
   * @throws SchemaRegistryException when the registry cannot be reached
   */
  public SpecificRecord decode(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (SingleObjectFormat.looksLike(data)) {
      long fingerprint = SingleObjectFormat.readFingerprint(data, topic);
      SingleObjectDeserializer<?> deserializer = byFingerprint.get(fingerprint);
      if (deserializer == null) {
        throw new SerializationException(
            String.format(
                "unknown schema fingerprint %016X in single-object record%s: it is no version of"
                    + " the project's record types (%s)",
                fingerprint, ConfluentWireFormat.from(topic), typeNames()));
      }
      return deserializer.deserialize(topic, data);
    }
    if (ConfluentWireFormat.looksLike(data)) {
      int id = ConfluentWireFormat.readSchemaId(data, topic);
      if (registry == null) {
        throw new SerializationException(
            "Confluent wire format record" + ConfluentWireFormat.from(topic) + " (schema id " + id
                + ") cannot be decoded: " + SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG
                + " is not set");
      }
      Schema writer = ConfluentAvroDeserializer.writerSchema(registry, id, topic);
      Class<? extends SpecificRecord> type =
          RecordTypes.forFullName(writer.getFullName())
              .orElseThrow(
                  () ->
                      new SerializationException(
                          "schema id " + id + ConfluentWireFormat.from(topic) + " is "
                              + writer.getFullName() + ", none of the project's record types ("
                              + typeNames() + ")"));
      return byType.get(type).deserialize(topic, data);
    }
    throw new SerializationException(
        "unrecognised record bytes" + ConfluentWireFormat.from(topic) + ": neither Avro"
            + " single-object encoding (starts C3 01) nor the Confluent wire format (starts 00); "
            + data.length + " bytes, starting " + hexPrefix(data));
  }

  /**
   * One line of JSON for a record, in Avro's JSON encoding: timestamps are epoch milliseconds,
   * a non-null union value is wrapped as {@code {"type": value}}, bytes are ISO-8859-1 strings.
   *
   * @param record the record; never null
   * @return JSON without line breaks; never null
   * @throws SerializationException when the record does not match its own schema (e.g. a null
   *     in a non-null field)
   */
  public static String toJson(SpecificRecord record) {
    Objects.requireNonNull(record, "record");
    Schema schema = record.getSchema();
    // The class's own model carries the logical-type conversions (Instant -> long millis).
    SpecificData model = SpecificData.getForClass(record.getClass());
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try {
      JsonEncoder encoder = EncoderFactory.get().jsonEncoder(schema, out, false);
      new SpecificDatumWriter<SpecificRecord>(schema, model).write(record, encoder);
      encoder.flush();
    } catch (IOException | AvroRuntimeException | NullPointerException | ClassCastException e) {
      throw new SerializationException(
          "cannot write " + schema.getFullName() + " as JSON: " + e, e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String typeNames() {
    return RecordTypes.all().stream().map(Class::getSimpleName).collect(Collectors.joining(", "));
  }

  private static String hexPrefix(byte[] data) {
    int shown = Math.min(data.length, BYTES_SHOWN);
    String hex = HexFormat.ofDelimiter(" ").formatHex(data, 0, shown);
    return (hex.isEmpty() ? "(empty)" : hex) + (data.length > shown ? " ..." : "");
  }
}
