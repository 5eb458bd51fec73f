package dev.sibyl.streams.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads every Kafka record as a {@link RawRecord}. It never fails: a value that is not telemetry is
 * found out by {@link DecodeFunction}, which dead-letters it, whereas a failure here would fail the
 * job on every restart (a poison pill).
 */
public final class RawRecordSchema implements KafkaRecordDeserializationSchema<RawRecord> {

  private static final long serialVersionUID = 1L;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
    out.collect(new RawRecord(record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(), record.value()));
  }

  @Override
  public TypeInformation<RawRecord> getProducedType() {
    return TypeInformation.of(RawRecord.class);
  }
}
