package dev.sibyl.schemas.serde;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The header of Avro single-object encoding (Avro specification, "Single-object encoding"):
 *
 * <pre>
 * offset  size  content
 *      0     2  marker C3 01 (format version 1)
 *      2     8  CRC-64-AVRO fingerprint of the writer schema's parsing canonical form,
 *               little-endian
 *     10     n  the record in Avro binary encoding, written with that schema
 * </pre>
 */
final class SingleObjectFormat {

  /** First marker byte. */
  static final byte MARKER_0 = (byte) 0xC3;

  /** Second marker byte: format version 1, the only version the specification defines. */
  static final byte MARKER_1 = (byte) 0x01;

  /** Bytes before the Avro body. */
  static final int HEADER_SIZE = 10;

  private SingleObjectFormat() {}

  /**
   * Whether bytes start with the single-object marker.
   *
   * @param data the record bytes; never null
   */
  static boolean looksLike(byte[] data) {
    return data.length >= 2 && data[0] == MARKER_0 && data[1] == MARKER_1;
  }

  /**
   * Reads the writer schema's fingerprint from a record's header.
   *
   * @param data the record bytes; never null
   * @param topic the topic, for the message; may be null
   * @return the 64-bit fingerprint
   * @throws SerializationException when the bytes are shorter than the header, or the marker is
   *     not {@code C3 01}
   */
  static long readFingerprint(byte[] data, String topic) {
    String from = ConfluentWireFormat.from(topic);
    if (data.length >= 1 && data[0] == ConfluentWireFormat.MAGIC_BYTE) {
      throw new SerializationException(
          "bad single-object marker in record" + from + ": first byte 0x00, expected 0xC3 (these"
              + " bytes look like the Confluent wire format: set "
              + SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG + " to read them)");
    }
    if (data.length >= 2 && !looksLike(data)) {
      throw new SerializationException(
          String.format(
              "bad single-object marker in record%s: 0x%02X 0x%02X, expected 0xC3 0x01",
              from, data[0] & 0xFF, data[1] & 0xFF));
    }
    if (data.length < HEADER_SIZE) {
      throw new SerializationException(
          "truncated single-object record" + from + ": " + data.length
              + " bytes, the header alone (2-byte marker + 8-byte fingerprint) needs "
              + HEADER_SIZE);
    }
    return ByteBuffer.wrap(data, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }
}
