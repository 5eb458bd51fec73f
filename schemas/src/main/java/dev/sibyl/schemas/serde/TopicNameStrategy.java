package dev.sibyl.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Confluent's default subject naming: {@code <topic>-value} for record values, {@code
 * <topic>-key} for keys. Every record type of a topic thus shares one subject, and the registry's
 * compatibility check guards the topic's evolution.
 */
public final class TopicNameStrategy {

  private TopicNameStrategy() {}

  /**
   * The subject of a topic's keys or values.
   *
   * @param topic the topic; must not be null
   * @param isKey true for the key subject
   * @return {@code topic + "-key"} or {@code topic + "-value"}
   * @throws SerializationException when topic is null (a serializer called without a topic
   *     cannot name its subject)
   */
  public static String subject(String topic, boolean isKey) {
    if (topic == null) {
      throw new SerializationException(
          "no topic given: the schema registry subject is named after the topic");
    }
    return topic + (isKey ? "-key" : "-value");
  }
}
