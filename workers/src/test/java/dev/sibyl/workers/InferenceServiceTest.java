package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.workers.v2.ModelInferResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class InferenceServiceTest {

  /** The answer is encoded and sent on the responder executor, not on the batcher's thread. */
  @Test
  void answersAreSentOnTheResponderNotTheBatcherThread() throws Exception {
    List<String> ran = new CopyOnWriteArrayList<>();
    Executor responder = r -> new Thread(() -> {
      ran.add(Thread.currentThread().getName());
      r.run();
    }, "test-responder").start();
    ModelHost host = ModelHost.of(Map.<String, WindowModel>of("m", new DlinearFamily().create(Map.of(), 96, 24, 1)), BatchingConfig.DEFAULTS);
    try {
      InferenceService service = new InferenceService(host, "test", responder);
      CompletableFuture<String> sentOn = new CompletableFuture<>();
      CompletableFuture<ModelInferResponse> answer = new CompletableFuture<>();
      service.modelInfer(
          V2Codec.request("m", Ett.windows(1, 96, 0), 24),
          new StreamObserver<>() {
            @Override
            public void onNext(ModelInferResponse value) {
              sentOn.complete(Thread.currentThread().getName());
              answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
              answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      assertThat(V2Codec.forecast(answer.get(30, TimeUnit.SECONDS))[0]).hasNumberOfRows(7);
      assertThat(sentOn.get()).isEqualTo("test-responder");
      assertThat(ran).containsExactly("test-responder");
    } finally {
      host.close();
    }
  }
}
