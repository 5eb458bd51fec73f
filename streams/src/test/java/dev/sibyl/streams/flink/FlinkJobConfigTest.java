package dev.sibyl.streams.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The Flink settings: every default, every cross-key check, and the job builder's checks. */
class FlinkJobConfigTest {

  @Test
  void defaults() {
    FlinkJobConfig config = new FlinkJobConfig(Map.of());
    assertThat(config.getInt(FlinkJobConfig.PARALLELISM_CONFIG)).isEqualTo(1);
    assertThat(config.getLong(FlinkJobConfig.CHECKPOINT_INTERVAL_CONFIG)).isEqualTo(5_000L);
    assertThat(config.getString(FlinkJobConfig.CHECKPOINT_DIR_CONFIG)).isEmpty();
    assertThat(config.getLong(FlinkJobConfig.OUT_OF_ORDERNESS_CONFIG)).isEqualTo(5_000L);
    assertThat(config.getLong(FlinkJobConfig.IDLENESS_CONFIG)).isEqualTo(30_000L);
    assertThat(config.getLong(FlinkJobConfig.STATE_TTL_CONFIG)).isEqualTo(7L * 24 * 3600 * 1000);
    assertThat(config.getInt(FlinkJobConfig.ASYNC_CAPACITY_CONFIG)).isEqualTo(256);
    assertThat(config.getLong(FlinkJobConfig.ASYNC_TIMEOUT_CONFIG)).isEqualTo(30_000L);
    assertThat(config.getInt(FlinkJobConfig.INFERENCE_THREADS_CONFIG)).isEqualTo(2);
    assertThat(config.inferenceMode()).isEqualTo(InferenceMode.DIRECT);
    assertThat(config.getList(FlinkJobConfig.INFERENCE_ENDPOINTS_CONFIG)).isEmpty();
    assertThat(config.getString(FlinkJobConfig.INFERENCE_MODEL_CONFIG)).isEmpty();
    assertThat(config.getLong(FlinkJobConfig.INFERENCE_CALL_TIMEOUT_CONFIG)).isEqualTo(2_000L);
    assertThat(config.getString(FlinkJobConfig.TRANSACTIONAL_ID_PREFIX_CONFIG)).isEqualTo("sibyl-flink");
    assertThat(config.getLong(FlinkJobConfig.TRANSACTION_TIMEOUT_CONFIG)).isEqualTo(60_000L);
    assertThat(config.getString(FlinkJobConfig.GROUP_ID_CONFIG)).isEqualTo("sibyl-flink");
  }

  @Test
  void remoteInferenceNeedsWorkersEachAsHostAndPort() {
    assertThatThrownBy(() -> new FlinkJobConfig(Map.of(FlinkJobConfig.INFERENCE_MODE_CONFIG, "remote")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("flink.inference.mode=remote needs at least one worker in flink.inference.endpoints");
    assertThatThrownBy(() -> new FlinkJobConfig(Map.of(FlinkJobConfig.INFERENCE_ENDPOINTS_CONFIG, "worker-1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("each worker must be host:port");
    assertThat(new FlinkJobConfig(Map.of(FlinkJobConfig.INFERENCE_MODE_CONFIG, "remote", FlinkJobConfig.INFERENCE_ENDPOINTS_CONFIG, "w1:8001,w2:8001"))
            .getList(FlinkJobConfig.INFERENCE_ENDPOINTS_CONFIG))
        .isEqualTo(List.of("w1:8001", "w2:8001"));
    assertThatThrownBy(() -> new FlinkJobConfig(Map.of(FlinkJobConfig.INFERENCE_MODE_CONFIG, "gpu")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("flink.inference.mode");
  }

  @Test
  void theTransactionTimeoutMustExceedTheCheckpointInterval() {
    assertThatThrownBy(
            () -> new FlinkJobConfig(Map.of(FlinkJobConfig.CHECKPOINT_INTERVAL_CONFIG, "60000", FlinkJobConfig.TRANSACTION_TIMEOUT_CONFIG, "60000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("flink.sink.transaction-timeout-ms (60000) must exceed flink.checkpoint.interval-ms (60000)");
  }

  @Test
  void theBuilderNamesWhatIsMissingOrWrong() {
    assertThatThrownBy(() -> FlinkForecastJob.builder().setKafkaProperties(Map.of("bootstrap.servers", "b:9092")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("settings are required");
    assertThatThrownBy(() -> FlinkForecastJob.builder().setSettings(Map.of()).setKafkaProperties(Map.of()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("bootstrap.servers");
    assertThatThrownBy(
            () -> FlinkForecastJob.builder()
                .setSettings(Map.of(FlinkJobConfig.INFERENCE_MODE_CONFIG, "in-process"))
                .setKafkaProperties(Map.of("bootstrap.servers", "b:9092"))
                .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flink.inference.mode=in-process needs a trained artifact in model.option.artifact");
    assertThat(FlinkForecastJob.builder().setSettings(Map.of()).setKafkaProperties(Map.of("bootstrap.servers", "b:9092")).build().topics().telemetry())
        .isEqualTo("sibyl.telemetry");
  }
}
