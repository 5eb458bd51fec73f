package dev.sibyl.schemas.serde;

import java.io.IOException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Avro single-object encoding. Records written with an older schema version resolve to the
 * current one when that schema has been registered with {@link #addWriterSchema}.
 */
final class SingleObjectDeserializer<T extends SpecificRecord> implements Deserializer<T> {

  private final BinaryMessageDecoder<T> decoder;

  SingleObjectDeserializer(Class<T> type) {
    SpecificData model = SpecificData.getForClass(type);
    this.decoder = new BinaryMessageDecoder<>(model, model.getSchema(type));
  }

  /** Lets this deserializer read records written with an earlier version of the schema. */
  void addWriterSchema(org.apache.avro.Schema writerSchema) {
    decoder.addSchema(writerSchema);
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return decoder.decode(data);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot decode Avro single-object record from topic " + topic + ": " + e.getMessage(), e);
    }
  }
}
