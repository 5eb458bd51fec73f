package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Greedy and random samplers on hand-made logits. */
class SamplerTest {

  @Test
  void greedyTakesTheFirstMaximum() {
    assertThat(Sampler.greedy().sample(new float[] {0f, 3f, 1f, 3f})).isEqualTo(1);
    assertThat(Sampler.of(0f, 0, 1f, 1).sample(new float[] {5f, 3f})).isEqualTo(0);
  }

  @Test
  void topKAndTopPRestrictTheCandidates() {
    float[] logits = {2f, 1.9f, -5f, 1.8f};
    RandomSampler topTwo = new RandomSampler(1f, 2, 1f, 3);
    RandomSampler nucleus = new RandomSampler(1f, 0, 0.01f, 3);
    for (int i = 0; i < 200; i++) {
      assertThat(topTwo.sample(logits.clone())).isIn(0, 1);
      assertThat(nucleus.sample(logits.clone())).isEqualTo(0);
    }
  }

  @Test
  void sameSeedSameChoices() {
    float[] logits = {0f, 0f, 0f, 0f, 0f, 0f};
    RandomSampler a = new RandomSampler(1f, 0, 1f, 99);
    RandomSampler b = new RandomSampler(1f, 0, 1f, 99);
    int[] seen = new int[6];
    for (int i = 0; i < 600; i++) {
      int t = a.sample(logits.clone());
      assertThat(b.sample(logits.clone())).isEqualTo(t);
      seen[t]++;
    }
    assertThat(java.util.Arrays.stream(seen).min().getAsInt()).isGreaterThan(50);
  }

  @Test
  void rejectsSettingsOutOfRange() {
    assertThatThrownBy(() -> new RandomSampler(-1f, 0, 1f, 1))
        .hasMessageContaining("temperature must be positive and finite, got -1.0");
    assertThatThrownBy(() -> new RandomSampler(1f, -2, 1f, 1))
        .hasMessageContaining("topK must be >= 0, got -2");
    assertThatThrownBy(() -> new RandomSampler(1f, 0, 1.3f, 1))
        .hasMessageContaining("topP must be in (0, 1], got 1.3");
  }
}
