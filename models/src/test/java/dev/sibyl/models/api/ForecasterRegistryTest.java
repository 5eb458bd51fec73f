package dev.sibyl.models.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.controls.HoltWinters;
import dev.sibyl.models.controls.SeasonalNaive;
import dev.sibyl.models.interval.SplitConformal;
import dev.sibyl.models.testing.Synthetic;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ForecasterRegistryTest {

  @Test
  void listsTheFamilies() {
    assertThat(ForecasterRegistry.families())
        .containsExactly(
            "ar", "autotimes", "dlinear", "holt-winters", "s-mamba", "seasonal-naive", "smetimes", "time-llm");
  }

  @Test
  void emptyOptionsGiveEveryDefault() {
    ForecasterOptions o = ForecasterOptions.defaults();

    assertThat(o.seasonLength()).isEqualTo(24);
    assertThat(o.coverage()).isEqualTo(0.95);
    assertThat(o.calibrationSize()).isEqualTo(48);
    assertThat(o.alpha()).isEmpty();
    assertThat(o.beta()).isEmpty();
    assertThat(o.gamma()).isEmpty();
    assertThat(o.damping()).isEqualTo(1.0);
    assertThat(ForecasterOptions.keys())
        .containsExactly(
            "season.length", "coverage", "calibration.size", "alpha", "beta", "gamma", "damping");
    assertThat(ForecasterOptions.describe())
        .contains("season.length (integer, default 24, range [1, 100000])")
        .contains("coverage (number, default 0.95, range (0, 1))")
        .contains("alpha (number, default per call, range (0, 1])");
  }

  @Test
  void createsEachFamilyWithDefaults() {
    double[] y = Synthetic.trendSeason(256, 10, 0.01, 2, 24, 0.5, 1);

    for (String family : ForecasterRegistry.families()) {
      if (family.equals("dlinear") || family.equals("time-llm")) {
        continue; // needs a trained artifact: TrainedForecastersTest, TimeLlmTest
      }
      if (family.equals("autotimes") || family.equals("smetimes")) {
        continue; // needs a trained artifact: AutoTimesTest, SmeTimesTest
      }
      if (family.equals("s-mamba")) {
        continue; // multivariate, needs an artifact: SMambaTest
      }
      Forecaster f = ForecasterRegistry.create(family, Map.of());
      ForecastResult r = f.forecast(Synthetic.window(y), 24);

      assertThat(f.family()).isEqualTo(family);
      assertThat(f.version()).isEqualTo("1");
      assertThat(r.horizon()).isEqualTo(24);
      assertThat(r.coverage()).isEqualTo(0.95);
    }
    assertThat(ForecasterRegistry.create("seasonal-naive", Map.of()).minHistory()).isEqualTo(25);
    assertThat(ForecasterRegistry.create("holt-winters", Map.of()).minHistory()).isEqualTo(3);
  }

  @Test
  void passesOptionsThrough() {
    Map<String, String> options = new HashMap<>();
    options.put("season.length", "12");
    options.put("coverage", " 0.8 ");
    options.put("calibration.size", "30");
    options.put("alpha", "0.4");
    options.put("damping", "0.9");

    SplitConformal f = (SplitConformal) ForecasterRegistry.create("holt-winters", options);

    assertThat(f.coverage()).isEqualTo(0.8);
    assertThat(f.calibrationSize()).isEqualTo(30);
    HoltWinters hw = (HoltWinters) f.model();
    assertThat(hw.seasonLength()).isEqualTo(12);
    assertThat(hw.damping()).isEqualTo(0.9);
    assertThat(hw.chooseParameters(Synthetic.trendSeason(100, 0, 0, 1, 12, 1, 2)).alpha())
        .isEqualTo(0.4);
    SplitConformal naive =
        (SplitConformal) ForecasterRegistry.create("seasonal-naive", Map.of("season.length", "7"));
    assertThat(((SeasonalNaive) naive.model()).seasonLength()).isEqualTo(7);
  }

  @Test
  void unknownFamilyListsTheKnownOnes() {
    assertThatThrownBy(() -> ForecasterRegistry.create("arima", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "unknown forecaster family 'arima'; known families: [ar, autotimes, dlinear, holt-winters, s-mamba, seasonal-naive, smetimes, time-llm]");
  }

  @Test
  void unknownOptionKeyIsNamed() {
    assertThatThrownBy(() -> ForecasterRegistry.create("holt-winters", Map.of("seasonality", "24")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "unknown option 'seasonality' for family holt-winters; known options: [alpha, beta,"
                + " calibration.size, coverage, damping, gamma, season.length]");
  }

  @Test
  void optionOfAnotherFamilyIsRejected() {
    assertThatThrownBy(() -> ForecasterRegistry.create("seasonal-naive", Map.of("alpha", "0.3")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "option 'alpha' does not apply to family seasonal-naive; its options:"
                + " [calibration.size, coverage, season.length]");
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "season.length|0|option 'season.length' must be an integer in [1, 100000], got '0'",
        "season.length|2.5|option 'season.length' must be an integer in [1, 100000], got '2.5'",
        "season.length|abc|option 'season.length' must be an integer in [1, 100000], got 'abc'",
        "coverage|1.3|option 'coverage' must be a number in (0, 1), got '1.3'",
        "coverage|0|option 'coverage' must be a number in (0, 1), got '0'",
        "coverage|NaN|option 'coverage' must be a number in (0, 1), got 'NaN'",
        "calibration.size|-1|option 'calibration.size' must be an integer in [1, 100000], got '-1'",
        "alpha|0|option 'alpha' must be a number in (0, 1], got '0'",
        "beta|1.01|option 'beta' must be a number in [0, 1], got '1.01'",
        "gamma|-0.2|option 'gamma' must be a number in [0, 1], got '-0.2'",
        "damping|0|option 'damping' must be a number in (0, 1], got '0'",
        "damping|x|option 'damping' must be a number in (0, 1], got 'x'"
      })
  void badValueNamesTheOptionTheValueAndTheRange(String key, String value, String message) {
    assertThatThrownBy(() -> ForecasterRegistry.create("holt-winters", Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void nullsAreRejected() {
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("coverage", null);

    assertThatThrownBy(() -> ForecasterRegistry.create(null, Map.of()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("family must not be null");
    assertThatThrownBy(() -> ForecasterRegistry.create("holt-winters", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("options must not be null (use an empty map)");
    assertThatThrownBy(() -> ForecasterRegistry.create("holt-winters", nullValue))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("option 'coverage' must not have a null value");
  }
}
