package dev.sibyl.schemas.serde;

import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads the Confluent wire format (layout in {@link ConfluentWireFormat}) into a generated class.
 * The writer schema comes from the registry by the id in the header and is resolved to the
 * class's (reader) schema, so records written with an earlier compatible version decode, with
 * defaults for fields the writer lacked. Thread-safe.
 *
 * <p>Record-specific failures (bad magic byte, truncated bytes, an id the registry does not know,
 * a writer schema of another record type) are {@link SerializationException}s, which a stream's
 * dead-letter policy can route; a registry that cannot be reached is a {@link
 * SchemaRegistryException}.
 */
public final class ConfluentAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

  private final Schema readerSchema;
  private final SpecificData model;
  private final SchemaRegistryClient registry;
  /** Writer schema id -> reader resolving that writer to the reader schema. */
  private final BoundedCache<Integer, SpecificDatumReader<T>> readers;

  /**
   * @param type the generated class to read into; never null
   * @param registry the registry client; never null
   */
  public ConfluentAvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
    this.model = SpecificData.getForClass(Objects.requireNonNull(type, "type"));
    this.readerSchema = model.getSchema(type);
    this.registry = Objects.requireNonNull(registry, "registry");
    this.readers = new BoundedCache<>(SerdeConfig.DEFAULT_CACHE_CAPACITY);
  }

  /**
   * Decodes one record.
   *
   * @param topic the topic, for messages; may be null
   * @param data the record bytes; null (a tombstone) gives null
   * @return the record, or null for null data
   * @throws SerializationException for a bad magic byte, truncated bytes, an unknown schema id,
   *     or a writer schema the reader schema cannot resolve; the message says which
   * @throws SchemaRegistryException when the registry cannot be reached or refuses the request
   */
  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    int id = ConfluentWireFormat.readSchemaId(data, topic);
    SpecificDatumReader<T> reader = readers.computeIfAbsent(id, key -> readerFor(id, topic));
    return AvroBinary.read(
        reader,
        data,
        ConfluentWireFormat.HEADER_SIZE, () ->
        readerSchema.getFullName() + " record with schema id " + id + ConfluentWireFormat.from(topic));
  }

  private SpecificDatumReader<T> readerFor(int id, String topic) {
    Schema writer = writerSchema(registry, id, topic);
    SchemaCompatibility.SchemaPairCompatibility check =
        SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
    if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new SerializationException(
          "schema id " + id + ConfluentWireFormat.from(topic) + " is " + writer.getFullName()
              + ", which " + readerSchema.getFullName() + " cannot read: "
              + check.getDescription());
    }
    return new SpecificDatumReader<>(writer, readerSchema, model);
  }

  /**
   * The writer schema of an id, with an unknown id reported as a record problem.
   *
   * @throws SerializationException when the registry answers 404
   * @throws SchemaRegistryException for every other registry failure
   */
  static Schema writerSchema(SchemaRegistryClient registry, int id, String topic) {
    try {
      return registry.getById(id);
    } catch (SchemaRegistryException e) {
      if (e.isNotFound()) {
        throw new SerializationException(
            "unknown schema id " + id + " in Confluent record" + ConfluentWireFormat.from(topic)
                + ": " + e.getMessage(),
            e);
      }
      throw e;
    }
  }
}
