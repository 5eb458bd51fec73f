package dev.sibyl.schemas.serde;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Avro single-object encoding (layout in {@link SingleObjectFormat}) into a generated class.
 * The fingerprint in each record's header selects the writer schema: the current one or any
 * previous version from {@link SchemaHistory}, all known from construction on. Avro schema
 * resolution then fills fields the writer lacked with their defaults. Thread-safe.
 */
final class SingleObjectDeserializer<T extends SpecificRecord> implements Deserializer<T> {

  private final Schema readerSchema;
  private final SpecificData model;
  /** Writer schema fingerprint -> reader resolving that writer to the current schema. */
  private final Map<Long, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

  /**
   * @param type the generated class to read into; never null
   * @throws IllegalArgumentException when a historical schema cannot be resolved to the current
   *     one (an incompatible schema change)
   */
  SingleObjectDeserializer(Class<T> type) {
    this.model = SpecificData.getForClass(type);
    this.readerSchema = model.getSchema(type);
    addWriterSchema(readerSchema);
    for (Schema previous : SchemaHistory.previousVersions(type)) {
      addWriterSchema(previous);
    }
  }

  /**
   * Lets this deserializer read records written with another schema version.
   *
   * @param writerSchema the writer's schema; never null
   * @throws IllegalArgumentException when the current schema cannot read that writer's records
   */
  void addWriterSchema(Schema writerSchema) {
    SchemaCompatibility.SchemaPairCompatibility check =
        SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
    if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new IllegalArgumentException(
          "the current " + readerSchema.getFullName() + " cannot read records written with "
              + writerSchema + ": " + check.getDescription());
    }
    readers.put(
        SchemaNormalization.parsingFingerprint64(writerSchema),
        new SpecificDatumReader<>(writerSchema, readerSchema, model));
  }

  /** The fingerprints of every writer schema this deserializer reads. */
  Set<Long> fingerprints() {
    return Set.copyOf(readers.keySet());
  }

  /**
   * Decodes one record.
   *
   * @param topic the topic, for messages; may be null
   * @param data the record bytes; null (a tombstone) gives null
   * @return the record, or null for null data
   * @throws SerializationException when the marker is wrong, the bytes are truncated, or the
   *     fingerprint is none of this type's schema versions; the message says which
   */
  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    long fingerprint = SingleObjectFormat.readFingerprint(data, topic);
    SpecificDatumReader<T> reader = readers.get(fingerprint);
    if (reader == null) {
      throw new SerializationException(
          String.format(
              "unknown schema fingerprint %016X in single-object record%s: it is neither the"
                  + " current nor a previous version of %s",
              fingerprint, ConfluentWireFormat.from(topic), readerSchema.getFullName()));
    }
    return AvroBinary.read(
        reader,
        data,
        SingleObjectFormat.HEADER_SIZE, () ->
        String.format(
            "single-object %s record%s (fingerprint %016X)",
            readerSchema.getFullName(), ConfluentWireFormat.from(topic), fingerprint));
  }
}
