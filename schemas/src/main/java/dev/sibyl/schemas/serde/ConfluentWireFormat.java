package dev.sibyl.schemas.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The Confluent wire format's header. A record's bytes are:
 *
 * <pre>
 * offset  size  content
 *      0     1  magic byte, always 0
 *      1     4  schema id, signed 32-bit big-endian, as assigned by the registry
 *      5     n  the record in Avro binary encoding, written with that schema
 * </pre>
 */
final class ConfluentWireFormat {

  /** The only magic byte defined so far. */
  static final byte MAGIC_BYTE = 0;

  /** Bytes before the Avro body: magic byte plus schema id. */
  static final int HEADER_SIZE = 5;

  private ConfluentWireFormat() {}

  /**
   * Writes the header into the first {@link #HEADER_SIZE} bytes of a buffer.
   *
   * @param buffer a big-endian buffer positioned at the start; its position advances by 5
   */
  static void writeHeader(ByteBuffer buffer, int schemaId) {
    buffer.put(MAGIC_BYTE).putInt(schemaId);
  }

  /**
   * Whether bytes start like a Confluent record (used to tell the formats apart).
   *
   * @param data the record bytes; never null
   */
  static boolean looksLike(byte[] data) {
    return data.length > 0 && data[0] == MAGIC_BYTE;
  }

  /**
   * Reads the schema id from a record's header.
   *
   * @param data the record bytes; never null
   * @param topic the topic, for the message; may be null
   * @return the schema id
   * @throws SerializationException when the bytes are shorter than the header, or the magic byte
   *     is not 0
   */
  static int readSchemaId(byte[] data, String topic) {
    if (data.length < HEADER_SIZE) {
      throw new SerializationException(
          "truncated Confluent record" + from(topic) + ": " + data.length
              + " bytes, the header alone (magic byte + 4-byte schema id) needs " + HEADER_SIZE);
    }
    if (data[0] != MAGIC_BYTE) {
      throw new SerializationException(
          String.format(
              "bad magic byte 0x%02X in Confluent record%s: expected 0x00%s",
              data[0] & 0xFF,
              from(topic),
              SingleObjectFormat.looksLike(data)
                  ? " (these bytes are Avro single-object encoding: is the producer running"
                      + " without " + SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG + "?)"
                  : ""));
    }
    return ByteBuffer.wrap(data, 1, 4).getInt();
  }

  /** " from topic t", or nothing without a topic. */
  static String from(String topic) {
    return topic == null ? "" : " from topic " + topic;
  }
}
