package dev.sibyl.streams.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.streams.LastValueTestForecaster;
import dev.sibyl.streams.core.SeriesOperator.Rejection;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import org.junit.jupiter.api.Test;

class SeriesOperatorTest {

  private static final long STEP = 60_000;

  private final SeriesOperator operator = new SeriesOperator(new LastValueTestForecaster(4, 1.0), 4, 2, 3, 0);

  @Test
  void forecastsOnceTheWindowReachesMinHistoryThenEveryCadencePoints() {
    SeriesState state = new SeriesState(8);
    int forecasts = 0;
    for (int i = 0; i < 10; i++) {
      StepResult r = operator.onObservation(state, i * STEP, 5.0);
      if (r.forecast() != null) {
        forecasts++;
        assertThat(i).isIn(3, 5, 7, 9);
      }
    }
    assertThat(forecasts).isEqualTo(4);
    assertThat(state.size()).isEqualTo(8);
    assertThat(state.timestampsInOrder()[0]).isEqualTo(2 * STEP);
    assertThat(state.stepMillis()).isEqualTo(STEP);
  }

  @Test
  void anObservationOutsideTheIntervalIsScored() {
    SeriesState state = new SeriesState(8);
    for (int i = 0; i < 4; i++) {
      operator.onObservation(state, i * STEP, 5.0);
    }
    StepResult inside = operator.onObservation(state, 4 * STEP, 5.5);
    assertThat(inside.check()).isNotNull();
    assertThat(inside.check().score()).isNull();
    StepResult outside = operator.onObservation(state, 5 * STEP, 9.0);
    assertThat(outside.check().expected()).isEqualTo(5.0);
    assertThat(outside.check().upper()).isEqualTo(6.0);
    // 3 half-widths above the upper bound, on a series that has never left its interval: the
    // probability is at most 1e-3 (the rate floor) times a Gaussian tail far beyond 1e-7, so the
    // likelihood-based score saturates at 1
    assertThat(outside.check().score().distance()).isCloseTo(3.0, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(outside.check().score().score()).isEqualTo(1.0);
    assertThat(outside.check().score().severity()).isEqualTo(AnomalyScore.Severity.CRITICAL);
    assertThat(outside.check().score().run()).isEqualTo(1);
    assertThat(outside.check().score().reason())
        .contains("above the 90% interval by 3.00 half-widths")
        .contains("1 observation outside")
        .contains("given the series' recent excursions");
    assertThat(state.scorer().count()).isEqualTo(2);
  }

  @Test
  void latePointsAndDuplicatesAreRejectedWithoutChangingState() {
    SeriesState state = new SeriesState(8);
    operator.onObservation(state, 10 * STEP, 1.0);
    operator.onObservation(state, 11 * STEP, 2.0);
    StepResult late = operator.onObservation(state, 9 * STEP, 3.0);
    assertThat(late.rejection()).isEqualTo(Rejection.LATE);
    assertThat(late.reason()).contains("late");
    StepResult same = operator.onObservation(state, 11 * STEP, 2.0);
    assertThat(same.rejection()).isEqualTo(Rejection.DUPLICATE);
    assertThat(same.reason()).contains("same value");
    StepResult conflicting = operator.onObservation(state, 11 * STEP, 7.0);
    assertThat(conflicting.reason()).contains("with value 2.0, not 7.0");
    assertThat(state.size()).isEqualTo(2);
  }

  @Test
  void aLongGapResetsTheWindowAndTheForecast() {
    SeriesState state = new SeriesState(8);
    for (int i = 0; i < 4; i++) {
      operator.onObservation(state, i * STEP, 5.0);
    }
    assertThat(state.latestForecast()).isNotNull();
    // a gap of 3 steps is tolerated
    StepResult tolerated = operator.onObservation(state, 6 * STEP, 5.0);
    assertThat(tolerated.windowReset()).isFalse();
    StepResult reset = operator.onObservation(state, 100 * STEP, 5.0);
    assertThat(reset.windowReset()).isTrue();
    assertThat(reset.check()).isNull();
    assertThat(state.size()).isEqualTo(1);
    assertThat(state.latestForecast()).isNull();
  }

  @Test
  void noObservationIsCheckedDuringWarmUp() {
    SeriesOperator warming = new SeriesOperator(new LastValueTestForecaster(4, 1.0), 4, 2, 3, 6);
    SeriesState state = new SeriesState(8);
    for (int i = 0; i < 5; i++) {
      warming.onObservation(state, i * STEP, 5.0);
    }
    // a forecast exists (issued at 4 points) but the window holds 5 < 6 points: not checked
    assertThat(state.latestForecast()).isNotNull();
    assertThat(warming.onObservation(state, 5 * STEP, 5.0).check()).isNull();
    // but the scorer learns from the observations the forecast covered during the warm-up (points 4 and 5)
    assertThat(state.scorer().count()).isEqualTo(2);
    assertThat(warming.onObservation(state, 6 * STEP, 50.0).check().score()).isNotNull();
  }

  @Test
  void aLongGapEndsTheRunOfExcursionsButKeepsWhatTheScorerLearnt() {
    SeriesState state = new SeriesState(8);
    for (int i = 0; i < 4; i++) {
      operator.onObservation(state, i * STEP, 5.0);
    }
    operator.onObservation(state, 4 * STEP, 9.0); // outside [4, 6]
    assertThat(state.scorer().run()).isEqualTo(1);
    operator.onObservation(state, 100 * STEP, 5.0);
    assertThat(state.scorer().run()).isZero();
    assertThat(state.scorer().outsideCount()).isEqualTo(1);
  }

  @Test
  void theLikelihoodWeightMustBeAProbability() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new SeriesOperator(new LastValueTestForecaster(4, 1.0), 4, 2, 3, 0, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("likelihood alpha");
  }

  @Test
  void admitAloneAsksForTheForecastThatOnObservationWouldMake() {
    SeriesState viaAdmit = new SeriesState(8);
    SeriesState viaStep = new SeriesState(8);
    LastValueTestForecaster model = new LastValueTestForecaster(4, 1.0);
    for (int i = 0; i < 10; i++) {
      double value = i % 3;
      SeriesOperator.Admission admission = operator.admit(viaAdmit, i * STEP, value);
      StepResult step = operator.onObservation(viaStep, i * STEP, value);
      assertThat(admission.due() != null).isEqualTo(step.forecast() != null);
      if (admission.due() != null) {
        assertThat(admission.due().issuedAt()).isEqualTo(i * STEP);
        assertThat(admission.due().window().values()).containsExactly(viaStep.valuesInOrder());
        assertThat(operator.complete(viaAdmit, admission.due(), model.forecast(admission.due().window(), 4))).isTrue();
      }
      assertThat(viaAdmit.latestForecast()).usingRecursiveComparison().isEqualTo(viaStep.latestForecast());
      assertThat(viaAdmit.pointsSinceForecast()).isEqualTo(viaStep.pointsSinceForecast());
    }
  }

  @Test
  void aLateAnswerCountsThePointsThatCameMeanwhileAndAnOvertakenOneIsIgnored() {
    SeriesState state = new SeriesState(8);
    LastValueTestForecaster model = new LastValueTestForecaster(4, 1.0);
    SeriesOperator.Admission first = null;
    for (int i = 0; i < 4; i++) {
      first = operator.admit(state, i * STEP, 5.0);
    }
    assertThat(first.due()).isNotNull();
    // The series stays due while the answer is in flight.
    SeriesOperator.Admission second = operator.admit(state, 4 * STEP, 6.0);
    assertThat(second.due()).isNotNull();
    assertThat(operator.complete(state, second.due(), model.forecast(second.due().window(), 4))).isTrue();
    assertThat(operator.complete(state, first.due(), model.forecast(first.due().window(), 4))).isFalse();
    assertThat(state.latestForecast().issuedAt()).isEqualTo(4 * STEP);

    SeriesOperator.Admission third = operator.admit(state, 5 * STEP, 6.0);
    SeriesOperator.Admission fourth = operator.admit(state, 6 * STEP, 6.0);
    assertThat(third.due()).isNull();
    assertThat(fourth.due()).isNotNull();
    operator.admit(state, 7 * STEP, 6.0);
    operator.complete(state, fourth.due(), model.forecast(fourth.due().window(), 4));
    assertThat(state.pointsSinceForecast()).isEqualTo(1);
  }
}
