package dev.sibyl.streams.kafka;

import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.core.SeriesStateCodec;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** The state-store serde of {@link SeriesState}, a thin adapter over {@link SeriesStateCodec}. */
final class SeriesStateSerde implements Serde<SeriesState> {

  private final SeriesStateCodec codec;

  SeriesStateSerde(int capacity) {
    this.codec = new SeriesStateCodec(capacity);
  }

  @Override
  public Serializer<SeriesState> serializer() {
    return (topic, state) -> state == null ? null : codec.encode(state);
  }

  @Override
  public Deserializer<SeriesState> deserializer() {
    return (topic, bytes) -> bytes == null ? null : codec.decode(bytes);
  }
}
