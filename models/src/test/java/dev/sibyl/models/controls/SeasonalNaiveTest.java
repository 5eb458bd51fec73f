package dev.sibyl.models.controls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.api.Backtest;
import dev.sibyl.models.testing.RefitOnly;
import dev.sibyl.models.testing.Synthetic;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SeasonalNaiveTest {

  @Test
  void repeatsAPureSeasonalPatternExactly() {
    int m = 24;
    double[] pattern = new Random(7).doubles(m, -5, 5).toArray(); // (m)
    double[] y = new double[10 * m + 5]; // a window that does not end on a season boundary
    for (int t = 0; t < y.length; t++) {
      y[t] = pattern[t % m];
    }

    double[] forecast = new SeasonalNaive(m).forecast(y, 3 * m);

    for (int k = 1; k <= 3 * m; k++) {
      assertThat(forecast[k - 1]).as("step %d", k).isEqualTo(pattern[(y.length - 1 + k) % m]);
    }
  }

  @Test
  void followsTheTextbookFormulaBeyondOneSeason() {
    // y[T + k - m ceil(k/m)] with m = 3, T = 5
    double[] y = {1, 2, 3, 4, 5, 6};

    assertThat(new SeasonalNaive(3).forecast(y, 7)).containsExactly(4, 5, 6, 4, 5, 6, 4);
    assertThat(new SeasonalNaive(1).forecast(y, 3)).containsExactly(6, 6, 6);
  }

  @Test
  void onePassBacktestEqualsRefittingEveryPrefix() {
    double[] y = Synthetic.trendSeason(200, 10, 0.05, 3, 24, 1, 11);
    SeasonalNaive model = new SeasonalNaive(24);

    Backtest fast = model.backtest(y, 30, 0);
    Backtest slow = new RefitOnly(model).backtest(y, 30, 0);

    assertThat(fast.firstOrigin()).isEqualTo(24).isEqualTo(slow.firstOrigin());
    assertThat(fast.lastOrigin()).isEqualTo(200);
    assertThat(fast.forecasts()).isDeepEqualTo(slow.forecasts());
  }

  @Test
  void rejectsBadArguments() {
    SeasonalNaive model = new SeasonalNaive(4);

    assertThat(model.minHistory()).isEqualTo(4);
    assertThat(model.family()).isEqualTo("seasonal-naive");
    assertThatThrownBy(() -> new SeasonalNaive(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("seasonLength must be >= 1, got 0");
    assertThatThrownBy(() -> model.forecast(new double[3], 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs at least 4 values (minHistory), got 3");
    assertThatThrownBy(() -> model.forecast(new double[4], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("horizon must be >= 1, got 0");
    assertThatThrownBy(() -> model.backtest(new double[4], 1, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("firstOrigin must be in [0, 4], got 5");
    assertThatThrownBy(() -> model.forecast(null, 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("values must not be null");
  }
}
