package dev.sibyl.schemas.serde;

import java.util.function.Supplier;
import java.io.EOFException;
import java.io.IOException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;

/** Reads the Avro binary body that follows either format's header, with precise errors. */
final class AvroBinary {

  private AvroBinary() {}

  /**
   * Decodes {@code data[offset..]} completely.
   *
   * @param reader resolves the writer schema to the reader schema; never null
   * @param data the whole record, header included; never null
   * @param offset where the body starts
   * @param what names the record for messages, e.g. "record with schema id 7 from topic t"; called
   *     only when decoding fails, so that the hot path formats nothing
   * @return the decoded datum; never null
   * @throws SerializationException when the body ends early ("truncated"), has bytes left over
   *     (the header names the wrong schema), or does not match the writer schema
   */
  static <T> T read(DatumReader<T> reader, byte[] data, int offset, Supplier<String> what) {
    int length = data.length - offset;
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, offset, length, null);
    T datum;
    try {
      datum = reader.read(null, decoder);
    } catch (EOFException e) {
      throw new SerializationException(
          "truncated " + what.get() + ": the Avro body (" + length + " bytes) ends before the record",
          e);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
      // Garbage bodies show up as impossible lengths, union or enum indexes.
      throw new SerializationException("cannot decode the Avro body of " + what.get() + ": " + e, e);
    }
    try {
      if (!decoder.isEnd()) {
        throw new SerializationException(
            "cannot decode " + what.get() + ": " + decoder.inputStream().available()
                + " bytes left after the record; the header names a schema other than the one"
                + " the record was written with");
      }
    } catch (IOException e) {
      // An in-memory decoder cannot fail here; report it rather than guess.
      throw new SerializationException("cannot check the end of " + what.get() + ": " + e, e);
    }
    return datum;
  }
}
