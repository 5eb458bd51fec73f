package dev.sibyl.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppConfigTest {

  @TempDir Path dir;

  @Test
  void everyKeyHasItsDefault() {
    AppConfig config = AppConfig.of(Map.of());

    assertThat(config.bootstrapServers()).isNull();
    assertThat(config.brokerEmbedded()).isTrue();
    assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(config.brokerDataDir()).isEqualTo(Path.of("./data/kafka"));
    assertThat(config.brokerHost()).isEqualTo("127.0.0.1");
    assertThat(config.brokerPort()).isZero();
    assertThat(config.brokerRetentionMs()).isEqualTo(-1L);
    assertThat(config.brokerRetentionBytes()).isEqualTo(1L << 30);
    assertThat(config.topicPartitions()).isEqualTo(3);
    assertThat(config.kafkaClientProperties()).isEmpty();
    assertThat(AppConfig.configDef().names())
        .containsExactlyInAnyOrder(
            AppConfig.BOOTSTRAP_SERVERS_CONFIG,
            AppConfig.DATA_DIR_CONFIG,
            AppConfig.BROKER_EMBEDDED_CONFIG,
            AppConfig.BROKER_HOST_CONFIG,
            AppConfig.BROKER_PORT_CONFIG,
            AppConfig.BROKER_RETENTION_MS_CONFIG,
            AppConfig.BROKER_RETENTION_BYTES_CONFIG,
            AppConfig.TOPIC_PARTITIONS_CONFIG);
  }

  @Test
  void environmentNamesMapToKeys() {
    assertThat(AppConfig.envToKey("SIBYL_KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("kafka.bootstrap.servers");
    assertThat(AppConfig.envToKey("SIBYL_TOPIC_DEAD__LETTERS")).isEqualTo("topic.dead-letters");
    assertThat(AppConfig.envToKey("SIBYL_SIBYL_DATA_DIR")).isEqualTo("sibyl.data.dir");
    assertThat(AppConfig.envToKey("SIBYL_JAVA_OPTS")).isNull();
    assertThat(AppConfig.envToKey("SIBYL_")).isNull();
    assertThat(AppConfig.envToKey("PATH")).isNull();
  }

  @Test
  void setBeatsEnvironmentBeatsFile() throws IOException {
    Path file = dir.resolve("sibyl.properties");
    Files.writeString(
        file,
        "topic.telemetry=from-file\nforecast.horizon=24\nkafka.security.protocol=SSL\nbroker.port=9000\n");
    Map<String, String> env =
        Map.of("SIBYL_TOPIC_TELEMETRY", "from-env", "SIBYL_BROKER_PORT", "9001", "HOME", "/x");

    AppConfig config = AppConfig.load(file, env, Map.of("broker.port", "9002"));

    assertThat(config.merged())
        .containsEntry("topic.telemetry", "from-env")
        .containsEntry("forecast.horizon", "24")
        .doesNotContainKey("home");
    assertThat(config.brokerPort()).isEqualTo(9002);
    assertThat(config.kafkaClientProperties()).isEqualTo(Map.of("security.protocol", "SSL"));
  }

  @Test
  void bootstrapServersTurnTheEmbeddedBrokerOffByDefault() {
    AppConfig config = AppConfig.of(Map.of("kafka.bootstrap.servers", "k1:9092"));

    assertThat(config.bootstrapServers()).isEqualTo("k1:9092");
    assertThat(config.brokerEmbedded()).isFalse();
    assertThat(config.kafkaClientProperties()).containsEntry("bootstrap.servers", "k1:9092");
    assertThat(config.withOverrides(Map.of("kafka.bootstrap.servers", "k2:9092")).bootstrapServers())
        .isEqualTo("k2:9092");
  }

  @Test
  void errorsAreOneLineAndNameTheKey() {
    assertThatThrownBy(() -> AppConfig.load(dir.resolve("nope.properties"), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file not found: " + dir.resolve("nope.properties"));
    assertThatThrownBy(() -> AppConfig.of(Map.of("broker.port", "70000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("broker.port");
    assertThatThrownBy(
            () -> AppConfig.of(Map.of("broker.embedded", "true", "kafka.bootstrap.servers", "k:1")))
        .hasMessage("broker.embedded=true contradicts kafka.bootstrap.servers=k:1: set only one of them");
    assertThatThrownBy(() -> AppConfig.of(Map.of("broker.retention.ms", "0")))
        .hasMessageContaining("must be -1 (no limit) or positive, got 0");
  }
}
