package dev.sibyl.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.streams.core.ExcursionLikelihood;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PipelineConfigTest {

  @Test
  void theLikelihoodWeightDefaultsAndIsValidated() {
    assertThat(new PipelineConfig(Map.of()).getDouble(PipelineConfig.LIKELIHOOD_ALPHA_CONFIG))
        .isEqualTo(ExcursionLikelihood.DEFAULT_LIKELIHOOD_ALPHA);
    assertThat(new PipelineConfig(Map.of(PipelineConfig.LIKELIHOOD_ALPHA_CONFIG, "0.05")).getDouble(PipelineConfig.LIKELIHOOD_ALPHA_CONFIG))
        .isEqualTo(0.05);
    for (String bad : new String[] {"0", "0.6", "-0.1", "often"}) {
      assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.LIKELIHOOD_ALPHA_CONFIG, bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(PipelineConfig.LIKELIHOOD_ALPHA_CONFIG);
    }
  }

  @Test
  void theInferenceSettingsDefaultToTheDirectPathAndCheckTheirTlsFilesGoTogether() {
    PipelineConfig defaults = new PipelineConfig(Map.of());
    assertThat(defaults.getString(PipelineConfig.INFERENCE_MODE_CONFIG)).isEqualTo(PipelineConfig.INFERENCE_MODE_DIRECT);
    assertThat(defaults.getList(PipelineConfig.INFERENCE_ENDPOINTS_CONFIG)).isEmpty();
    assertThat(defaults.getString(PipelineConfig.INFERENCE_MODEL_CONFIG)).isEmpty();
    assertThat(defaults.getInt(PipelineConfig.INFERENCE_MAX_BATCH_CONFIG)).isEqualTo(32);
    assertThat(defaults.getInt(PipelineConfig.INFERENCE_MAX_IN_FLIGHT_CONFIG)).isEqualTo(4);
    assertThat(defaults.getLong(PipelineConfig.INFERENCE_TIMEOUT_CONFIG)).isEqualTo(5000L);
    assertThat(defaults.getLong(PipelineConfig.INFERENCE_FLUSH_CONFIG)).isEqualTo(10L);
    assertThat(defaults.getString(PipelineConfig.INFERENCE_FALLBACK_CONFIG)).isEqualTo("seasonal-naive");
    assertThat(defaults.getInt(PipelineConfig.METRICS_PORT_CONFIG)).isZero();
    assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.INFERENCE_MODE_CONFIG, "remote")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(PipelineConfig.INFERENCE_MODE_CONFIG);
    assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.INFERENCE_TLS_CERT_CONFIG, "client.pem")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(PipelineConfig.INFERENCE_TLS_CERT_CONFIG + " and " + PipelineConfig.INFERENCE_TLS_KEY_CONFIG);
  }

  @Test
  void theKeyedPathSettingsDefaultAndAreValidated() {
    PipelineConfig defaults = new PipelineConfig(Map.of());
    assertThat(defaults.getInt(PipelineConfig.MAX_KEYED_SERIES_CONFIG)).isEqualTo(1024);
    assertThat(defaults.getDouble(PipelineConfig.ONLINE_INTERVAL_GAMMA_CONFIG)).isEqualTo(0.05);
    assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.MAX_KEYED_SERIES_CONFIG, "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(PipelineConfig.MAX_KEYED_SERIES_CONFIG);
    assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.ONLINE_INTERVAL_GAMMA_CONFIG, "1.5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(PipelineConfig.ONLINE_INTERVAL_GAMMA_CONFIG);
  }
}
