package dev.sibyl.workers;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.workers.v2.GRPCInferenceServiceGrpc;
import dev.sibyl.workers.v2.ModelInferRequest;
import dev.sibyl.workers.v2.ModelInferResponse;
import dev.sibyl.workers.v2.ModelMetadataRequest;
import dev.sibyl.workers.v2.ModelMetadataResponse;
import dev.sibyl.workers.v2.ModelReadyRequest;
import dev.sibyl.workers.v2.ModelReadyResponse;
import dev.sibyl.workers.v2.ServerLiveRequest;
import dev.sibyl.workers.v2.ServerLiveResponse;
import dev.sibyl.workers.v2.ServerMetadataRequest;
import dev.sibyl.workers.v2.ServerMetadataResponse;
import dev.sibyl.workers.v2.ServerReadyRequest;
import dev.sibyl.workers.v2.ServerReadyResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The Open Inference Protocol (v2) service over a {@link ModelHost}: maps messages to the model API
 * with {@link V2Codec}, queues inference on the model's {@link DynamicBatcher} and answers when the
 * batch has run, without holding a gRPC thread meanwhile. Answers are encoded and sent on the
 * responder executor, not on the batcher's thread: a batch of 64 answers costs a few milliseconds
 * of encoding, which the batcher would otherwise spend before it can gather the next batch.
 *
 * <p>Errors are gRPC statuses: an unknown model or version NOT_FOUND, a bad tensor, shape or
 * horizon INVALID_ARGUMENT, a full queue RESOURCE_EXHAUSTED, a closing worker UNAVAILABLE, a model
 * failure INTERNAL; each description says what was wrong.
 *
 * <p>A request with the parameter {@value V2Codec#SERIES_KEY} is keyed ({@link
 * DynamicBatcher#submitKeyed}); its answer has the same form as a stateless one.
 */
public final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

  /** The name this server gives in ServerMetadata. */
  public static final String SERVER_NAME = "sibyl-worker";

  private final ModelHost host;
  private final String version;
  private final Executor responder;
  private volatile boolean ready = true;

  /**
   * Creates the service.
   *
   * @param host the models; not null
   * @param version the server version for ServerMetadata; not null
   * @param responder runs the encoding and sending of inference answers; not null
   */
  public InferenceService(ModelHost host, String version, Executor responder) {
    this.host = Objects.requireNonNull(host, "host");
    this.version = Objects.requireNonNull(version, "version");
    this.responder = Objects.requireNonNull(responder, "responder");
  }

  /** Marks the server not ready (ServerReady and ModelReady answer false), as before shutdown. */
  void drain() {
    ready = false;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    out.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
    out.onCompleted();
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    out.onNext(ServerReadyResponse.newBuilder().setReady(ready).build());
    out.onCompleted();
  }

  @Override
  public void serverMetadata(
      ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    out.onNext(ServerMetadataResponse.newBuilder().setName(SERVER_NAME).setVersion(version).build());
    out.onCompleted();
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    DynamicBatcher b = host.batcher(request.getName());
    boolean modelReady =
        ready
            && b != null
            && (request.getVersion().isEmpty()
                || request.getVersion().equals(b.model().version()));
    out.onNext(ModelReadyResponse.newBuilder().setReady(modelReady).build());
    out.onCompleted();
  }

  @Override
  public void modelMetadata(
      ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    DynamicBatcher b;
    try {
      b = find(request.getName(), request.getVersion());
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    WindowModel m = b.model();
    // -1: any batch size, and any channel count for a channel-independent model.
    long channels = m.channels() > 0 ? m.channels() : -1;
    long horizon = m.autoregressive() ? -1 : m.horizon();
    out.onNext(
        ModelMetadataResponse.newBuilder()
            .setName(request.getName())
            .addVersions(m.version())
            .setPlatform("sibyl_" + m.family())
            .addInputs(
                ModelMetadataResponse.TensorMetadata.newBuilder()
                    .setName(V2Codec.INPUT)
                    .setDatatype(V2Codec.FP64)
                    .addShape(-1)
                    .addShape(channels)
                    .addShape(m.lookback()))
            .addOutputs(
                ModelMetadataResponse.TensorMetadata.newBuilder()
                    .setName(V2Codec.OUTPUT)
                    .setDatatype(V2Codec.FP64)
                    .addShape(-1)
                    .addShape(channels)
                    .addShape(horizon))
            .build());
    out.onCompleted();
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    DynamicBatcher b;
    V2Codec.Call call;
    KeyedRequest keyed;
    try {
      b = find(request.getModelName(), request.getModelVersion());
      call = V2Codec.decode(request);
      keyed = V2Codec.keyed(request, call.windows());
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    int horizon = call.horizon() > 0 ? call.horizon() : b.model().horizon();
    String modelVersion = b.model().version();
    (keyed == null ? b.submit(call.windows(), horizon) : b.submitKeyed(keyed, horizon))
        .whenCompleteAsync(
            (forecast, error) -> {
              if (error != null) {
                out.onError(status(error).asRuntimeException());
                return;
              }
              out.onNext(V2Codec.encode(call, request.getId(), modelVersion, forecast, horizon));
              out.onCompleted();
            },
            responder);
  }

  private DynamicBatcher find(String name, String requestedVersion) {
    DynamicBatcher b = host.batcher(name);
    if (b == null) {
      throw Status.NOT_FOUND
          .withDescription("unknown model '" + name + "'; this worker serves " + host.names())
          .asRuntimeException();
    }
    if (!requestedVersion.isEmpty() && !requestedVersion.equals(b.model().version())) {
      throw Status.NOT_FOUND
          .withDescription(
              "model '"
                  + name
                  + "' has version '"
                  + b.model().version()
                  + "', not '"
                  + requestedVersion
                  + "'")
          .asRuntimeException();
    }
    return b;
  }

  private static Status status(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof QueueFullException) {
      return Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
    }
    if (e instanceof WorkerClosedException) {
      return Status.UNAVAILABLE.withDescription(e.getMessage());
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
    }
    return Status.INTERNAL.withDescription("model failed: " + e);
  }
}
