package dev.sibyl.streams.core;

import dev.sibyl.models.api.BatchedForecaster;
import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.ForwardingWindowModel;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.JointForecaster;
import dev.sibyl.models.api.KeyedServing;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.api.TrainedForecasters;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.interval.SplitConformal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The forecaster of a trained window model cut in two halves, so that the model itself can run
 * elsewhere (an inference worker pool) while the stream side keeps the project's interval method:
 * {@link #plan} gives the model windows one forecast needs, and {@link #finish} turns the pool's
 * point forecasts of them into the {@link ForecastResult} that the in-process forecaster ({@link
 * TrainedForecasters#create}) would have given.
 *
 * <p>Why windows and not one window: the in-process forecaster is {@link SplitConformal} over
 * {@link TrainedForecasters#pointModel}, whose intervals come from the model's own backtest inside
 * the series window, i.e. one model call at the origin past the end plus one per calibration origin
 * (up to {@code calibration.size + horizon - 1} of them). A pool answers means only, so every one of
 * these calls goes to the pool, in one request, and the conformal quantiles are taken here.
 *
 * <p>How the two halves stay equal to the in-process path without copying it: both run the very
 * same {@code SplitConformal(pointModel(model))} code over a stand-in {@link WindowModel}. In
 * {@link #plan} the stand-in records each window the code asks for (standardised, as the point
 * model standardises it) and answers zeros; in {@link #finish} it answers each call, in the same
 * order, with the pool's forecast of that window. The calls depend on the series values only, never
 * on the answers, so the second pass asks exactly what the first recorded. The result equals the
 * in-process one up to the floating-point differences between the pool's batched model call and a
 * call on one window.
 *
 * <p>Immutable and thread-safe.
 */
public final class PooledForecaster {

  private final WindowModel model;
  private final double coverage;
  private final int calibrationSize;

  /**
   * @param model the trained model the pool serves (for its family, version, lookback and horizon;
   *     it is never called); channel-independent; not null
   * @param coverage nominal coverage of the intervals, in (0, 1)
   * @param calibrationSize calibration origins per step, at least 1
   * @throws IllegalArgumentException for a multivariate model or a bad coverage or size
   */
  public PooledForecaster(WindowModel model, double coverage, int calibrationSize) {
    this.model = Objects.requireNonNull(model, "model");
    // Checks the model, coverage and size as the in-process forecaster does.
    new SplitConformal(TrainedForecasters.pointModel(model), coverage, calibrationSize);
    this.coverage = coverage;
    this.calibrationSize = calibrationSize;
  }

  /**
   * The pooled twin of an in-process forecaster built by {@link TrainedForecasters#create}.
   *
   * @param model the model the forecaster was built on; not null
   * @param inProcess the forecaster, for its coverage and calibration size; a {@link SplitConformal}
   * @return the twin
   * @throws IllegalArgumentException when {@code inProcess} is not split-conformal
   */
  public static PooledForecaster twinOf(WindowModel model, Forecaster inProcess) {
    if (inProcess instanceof KeyedServing serving) {
      // the pool has no per-series state: the stateless forecaster's intervals
      return twinOf(model, serving.stateless());
    }
    if (inProcess instanceof SplitConformal conformal) {
      return new PooledForecaster(model, conformal.coverage(), conformal.calibrationSize());
    }
    if (inProcess instanceof BatchedForecaster batched) {
      // an LLM-backed model: the same per-series intervals, which the pool now batches instead
      return new PooledForecaster(model, batched.coverage(), batched.calibrationSize());
    }
    if (inProcess instanceof JointForecaster) {
      throw new IllegalArgumentException(
          model.family() + " reads the channels of a source together, and the pool is sent one series per request;"
              + " serve it with inference.mode=direct");
    }
    throw new IllegalArgumentException(
        "a pooled forecaster needs split-conformal intervals, got " + inProcess.getClass().getSimpleName());
  }

  /** The model's family, carried by the forecasts. */
  public String family() {
    return model.family();
  }

  /** The model's version, carried by the forecasts. */
  public String version() {
    return model.version();
  }

  /** L, the lookback of every window sent to the pool. */
  public int lookback() {
    return model.lookback();
  }

  /**
   * The model windows one forecast needs, in the order {@link #finish} expects their answers.
   *
   * @param window the series window of the forecast; not null
   * @param horizon steps to forecast, positive
   * @return shape (calls, lookback): standardised windows, one per model call
   * @throws IllegalArgumentException when the window is shorter than the forecaster's minimum
   */
  public double[][] plan(SeriesWindow window, int horizon) {
    StandIn recorder = new StandIn(model, null);
    forecaster(recorder).forecast(window, horizon);
    return recorder.windows.toArray(new double[0][]);
  }

  /**
   * The forecast with intervals, from the pool's answers to {@link #plan}'s windows.
   *
   * @param window the series window given to {@link #plan}; not null
   * @param horizon the horizon given to {@link #plan}
   * @param answers shape (calls, horizon): the model's forecast of each planned window, in order
   * @return the forecast, as the in-process forecaster computes it
   * @throws IllegalArgumentException when the answers do not match the plan in number or length
   */
  public ForecastResult finish(SeriesWindow window, int horizon, double[][] answers) {
    StandIn replay = new StandIn(model, answers);
    ForecastResult result = forecaster(replay).forecast(window, horizon);
    if (replay.calls != answers.length) {
      throw new IllegalArgumentException(
          "the plan had " + replay.calls + " model calls, got " + answers.length + " answers");
    }
    return result;
  }

  private SplitConformal forecaster(StandIn standIn) {
    return new SplitConformal(TrainedForecasters.pointModel(standIn), coverage, calibrationSize);
  }

  /**
   * A stand-in for the model inside the point model: records the windows it is asked (answers null)
   * or answers them in order. Used by one thread for one forecast.
   */
  private static final class StandIn extends ForwardingWindowModel {
    private final double[][] answers; // (calls, horizon), or null when recording
    private final List<double[]> windows = new ArrayList<>(); // (calls, lookback)
    private int calls;

    StandIn(WindowModel model, double[][] answers) {
      super(model);
      this.answers = answers;
    }

    @Override
    public double[][][] predict(double[][][] windows, int horizon) {
      // The point model asks one window at a time: shape (1, 1, lookback).
      double[][][] out = new double[1][1][];
      if (answers == null) {
        this.windows.add(windows[0][0]);
        out[0][0] = new double[horizon];
      } else {
        if (calls >= answers.length || answers[calls].length != horizon) {
          throw new IllegalArgumentException(
              "answer " + calls + " missing or not of horizon " + horizon + " (" + answers.length + " answers)");
        }
        out[0][0] = answers[calls].clone();
      }
      calls++;
      return out;
    }
  }
}
