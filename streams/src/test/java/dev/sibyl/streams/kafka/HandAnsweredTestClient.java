package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.workers.InferenceClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A stand-in for an inference pool in tests: it answers nothing by itself, so that a test decides
 * when and how each request completes (with a real model's answer, or a failure), and sees every
 * request that was sent.
 */
final class HandAnsweredTestClient implements InferenceClient {

  /** One request as sent. */
  record Call(String model, double[][][] windows, int horizon, CompletableFuture<double[][][]> answer) {}

  private final List<Call> calls = new ArrayList<>();

  private int answerAtOnceFrom = Integer.MAX_VALUE;
  private WindowModel answerer;

  @Override
  public synchronized CompletableFuture<double[][][]> predict(String model, double[][][] windows, int horizon) {
    Call call = new Call(model, windows, horizon, new CompletableFuture<>());
    if (calls.size() >= answerAtOnceFrom) {
      call.answer().complete(answerer.predict(windows, horizon));
    }
    calls.add(call);
    return call.answer();
  }

  /** From the request with this index (0-based) on, answers with the model's forecast as it is sent. */
  synchronized void answerAtOnceFrom(int index, WindowModel model) {
    this.answerAtOnceFrom = index;
    this.answerer = model;
  }

  /** Every request sent so far, oldest first. */
  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Answers every open request with the model's forecast of its windows. */
  synchronized int answerAll(WindowModel model) {
    int answered = 0;
    for (Call call : calls) {
      if (!call.answer().isDone()) {
        call.answer().complete(model.predict(call.windows(), call.horizon()));
        answered++;
      }
    }
    return answered;
  }

  /** Fails every open request. */
  synchronized void failAll(RuntimeException error) {
    for (Call call : calls) {
      call.answer().completeExceptionally(error);
    }
  }

  @Override
  public void close() {
    // Nothing to release: the futures belong to the test.
  }
}
