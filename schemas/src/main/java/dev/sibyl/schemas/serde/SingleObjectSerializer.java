package dev.sibyl.schemas.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/** Writes Avro single-object encoding: {@code C3 01}, the 8-byte schema fingerprint, the body. */
final class SingleObjectSerializer<T extends SpecificRecord> implements Serializer<T> {

  private final BinaryMessageEncoder<T> encoder;

  SingleObjectSerializer(Class<T> type) {
    SpecificData model = SpecificData.getForClass(type);
    this.encoder = new BinaryMessageEncoder<>(model, model.getSchema(type));
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    try {
      ByteBuffer buffer = encoder.encode(data);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot encode " + data.getSchema().getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
    }
  }
}
