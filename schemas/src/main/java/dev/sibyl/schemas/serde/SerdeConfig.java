package dev.sibyl.schemas.serde;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/** Configuration of the Avro serdes. Keys follow Confluent's names where they exist. */
public final class SerdeConfig extends AbstractConfig {

  public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
  public static final String SCHEMA_REGISTRY_URL_DOC =
      "Base URL of a Confluent-compatible schema registry. Empty (the default) selects Avro"
          + " single-object encoding, which needs no registry.";

  private static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(
              SCHEMA_REGISTRY_URL_CONFIG,
              ConfigDef.Type.STRING,
              "",
              ConfigDef.Importance.HIGH,
              SCHEMA_REGISTRY_URL_DOC);

  /**
   * @param originals raw settings; unknown keys are ignored
   */
  public SerdeConfig(Map<String, ?> originals) {
    super(DEFINITION, originals, false);
  }

  /** The definition of every serde key, for documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  /** The registry base URL, or an empty string for registry-less single-object encoding. */
  public String registryUrl() {
    return getString(SCHEMA_REGISTRY_URL_CONFIG).trim();
  }
}
