package dev.sibyl.schemas.serde;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Entry point for the project's Avro serdes. The wire format is chosen by configuration (see
 * {@link SerdeConfig}): with {@code schema.registry.url} set, the Confluent wire format (magic
 * byte 0, 4-byte schema id, Avro binary) against that registry; without it, Avro single-object
 * encoding (the schema's 64-bit fingerprint in every record), which needs no registry.
 */
public final class AvroSerdes {

  private AvroSerdes() {}

  /**
   * A serde for one generated record type.
   *
   * @param type the generated class, e.g. {@code TelemetryPoint.class}
   * @param configs serde configuration (see {@link SerdeConfig}); never null, may be empty
   * @param isKey whether the serde is used for record keys (affects the registry subject)
   * @return a configured serde; with a registry, serializer and deserializer share one client
   *     (and its cache)
   * @throws org.apache.kafka.common.config.ConfigException when the configuration is invalid,
   *     e.g. a TLS store that cannot be read
   * @throws IllegalArgumentException when a historical schema of the type (see {@link
   *     SchemaHistory}) cannot be read by its current schema
   */
  public static <T extends SpecificRecord> Serde<T> forType(
      Class<T> type, Map<String, ?> configs, boolean isKey) {
    SerdeConfig config = new SerdeConfig(configs);
    if (config.registryUrl().isEmpty()) {
      return Serdes.serdeFrom(new SingleObjectSerializer<>(type), new SingleObjectDeserializer<>(type));
    }
    SchemaRegistryClient registry = new SchemaRegistryClient(config);
    return Serdes.serdeFrom(
        new ConfluentAvroSerializer<>(type, registry, isKey, config.autoRegisterSchemas()),
        new ConfluentAvroDeserializer<>(type, registry));
  }
}
