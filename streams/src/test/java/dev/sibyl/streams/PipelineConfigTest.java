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
}
