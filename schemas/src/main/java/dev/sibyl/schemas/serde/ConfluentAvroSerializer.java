package dev.sibyl.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes the Confluent wire format (layout in {@link ConfluentWireFormat}): the generated class's
 * schema is registered (or, with {@code auto.register.schemas=false}, looked up) under the
 * subject {@link TopicNameStrategy#subject}, and its id precedes the Avro binary body.
 * Thread-safe; the registry is asked once per topic, the client caches the id.
 */
public final class ConfluentAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

  private final Schema schema;
  private final SpecificDatumWriter<T> writer;
  private final SchemaRegistryClient registry;
  private final boolean isKey;
  private final boolean autoRegister;

  /**
   * @param type the generated class; never null
   * @param registry the registry client; never null
   * @param isKey whether this serializes keys (selects the {@code -key} subject)
   * @param autoRegister whether to register the schema, or only look up its id
   */
  public ConfluentAvroSerializer(
      Class<T> type, SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
    SpecificData model = SpecificData.getForClass(Objects.requireNonNull(type, "type"));
    this.schema = model.getSchema(type);
    this.writer = new SpecificDatumWriter<>(schema, model);
    this.registry = Objects.requireNonNull(registry, "registry");
    this.isKey = isKey;
    this.autoRegister = autoRegister;
  }

  /**
   * Encodes one record.
   *
   * @param topic the topic, which names the subject; must not be null when data is not null
   * @param data the record; null gives null (a tombstone)
   * @return magic byte, 4-byte schema id, Avro binary body; or null for null data
   * @throws SerializationException when topic is null, the schema is not registered under the
   *     subject and auto-registration is off, or the record cannot be encoded (e.g. a null in a
   *     non-null field)
   * @throws SchemaRegistryException when the registry cannot be reached or refuses the schema
   *     (e.g. as incompatible with the subject's previous version)
   */
  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    String subject = TopicNameStrategy.subject(topic, isKey);
    int id = schemaId(subject);
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    ByteBuffer header = ByteBuffer.allocate(ConfluentWireFormat.HEADER_SIZE);
    ConfluentWireFormat.writeHeader(header, id);
    out.write(header.array(), 0, ConfluentWireFormat.HEADER_SIZE);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(data, encoder);
      encoder.flush();
    } catch (IOException | AvroRuntimeException | NullPointerException | ClassCastException e) {
      // Avro reports a null in a non-null field as NullPointerException, a wrong type as CCE.
      throw new SerializationException(
          "cannot encode " + schema.getFullName() + " for topic " + topic + ": " + e, e);
    }
    return out.toByteArray();
  }

  private int schemaId(String subject) {
    if (autoRegister) {
      return registry.register(subject, schema);
    }
    try {
      return registry.lookup(subject, schema);
    } catch (SchemaRegistryException e) {
      if (e.isNotFound()) {
        throw new SerializationException(
            "schema " + schema.getFullName() + " is not registered under subject " + subject
                + " and " + SerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG + "=false: " + e.getMessage(),
            e);
      }
      throw e;
    }
  }
}
