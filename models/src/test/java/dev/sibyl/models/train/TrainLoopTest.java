package dev.sibyl.models.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainLoopTest {

  @Test
  void earlyStoppingWaitsPatienceEpochs() {
    EarlyStopping s = new EarlyStopping(3);

    assertThat(s.update(1, 1.0)).isTrue();
    assertThat(s.update(2, 0.5)).isTrue();
    assertThat(s.update(3, 0.6)).isFalse();
    assertThat(s.update(4, 0.5)).isFalse(); // equal is not better
    assertThat(s.shouldStop()).isFalse();
    assertThat(s.update(5, 0.7)).isFalse();

    assertThat(s.shouldStop()).isTrue();
    assertThat(s.bestEpoch()).isEqualTo(2);
    assertThat(s.best()).isEqualTo(0.5);
    assertThatThrownBy(() -> new EarlyStopping(0)).hasMessageContaining("patience must be >= 1, got 0");
  }

  @Test
  void type1ScheduleHalvesFromTheThirdEpoch() {
    assertThat(EarlyStopping.type1(0.004, 1)).isEqualTo(0.004);
    assertThat(EarlyStopping.type1(0.004, 2)).isEqualTo(0.004);
    assertThat(EarlyStopping.type1(0.004, 3)).isEqualTo(0.002);
    assertThat(EarlyStopping.type1(0.004, 5)).isEqualTo(0.0005);
  }

  @Test
  void batchesArePermutedAndTheRemainderDropped() {
    int[][] b = Batches.shuffled(10, 3, new Random(1));

    assertThat(b).hasNumberOfRows(3);
    int[] all = Arrays.stream(b).flatMapToInt(Arrays::stream).sorted().toArray();
    assertThat(all).doesNotHaveDuplicates().hasSize(9);
    assertThat(Batches.shuffled(2, 32, new Random(1))).hasNumberOfRows(1);
  }
}
