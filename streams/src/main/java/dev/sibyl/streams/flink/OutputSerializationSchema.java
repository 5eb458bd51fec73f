package dev.sibyl.streams.flink;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes an {@link OutputRecord} to the topic it names, with its key, value and timestamp. */
public final class OutputSerializationSchema implements KafkaRecordSerializationSchema<OutputRecord> {

  private static final long serialVersionUID = 1L;

  @Override
  public ProducerRecord<byte[], byte[]> serialize(OutputRecord record, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(record.topic(), null, record.timestamp(), record.key(), record.value());
  }
}
