package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.workers.v2.GRPCInferenceServiceGrpc;
import dev.sibyl.workers.v2.InferParameter;
import dev.sibyl.workers.v2.InferTensorContents;
import dev.sibyl.workers.v2.ModelInferRequest;
import dev.sibyl.workers.v2.ModelInferResponse;
import dev.sibyl.workers.v2.ModelMetadataRequest;
import dev.sibyl.workers.v2.ModelMetadataResponse;
import dev.sibyl.workers.v2.ModelReadyRequest;
import dev.sibyl.workers.v2.ServerLiveRequest;
import dev.sibyl.workers.v2.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class WorkerServerTest {

  private static final int L = 96;
  private static final int H = 24;

  @TempDir Path artifacts;

  private Dlinear model;
  private WorkerServer worker;
  private ManagedChannel channel;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    model = Ett.dlinearArtifact(artifacts.resolve("etth1-dlinear"), L, H, 7);
    worker =
        WorkerServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            ModelHost.load(artifacts, BatchingConfig.DEFAULTS),
            null,
            "test");
    channel = NettyChannelBuilder.forAddress("127.0.0.1", worker.port()).usePlaintext().build();
    stub =
        GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    worker.close();
  }

  @Test
  void answersHealthAndMetadata() {
    assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("etth1-dlinear").build()).getReady())
        .isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()).getReady())
        .isFalse();

    ModelMetadataResponse meta =
        stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("etth1-dlinear").build());

    assertThat(meta.getPlatform()).isEqualTo("sibyl_dlinear");
    assertThat(meta.getVersionsList()).containsExactly("1");
    assertThat(meta.getInputs(0).getName()).isEqualTo("windows");
    assertThat(meta.getInputs(0).getShapeList()).containsExactly(-1L, -1L, (long) L);
    assertThat(meta.getOutputs(0).getName()).isEqualTo("forecast");
    assertThat(meta.getOutputs(0).getShapeList()).containsExactly(-1L, -1L, (long) H);
  }

  /** A request built field by field with the protocol's names, typed FP32 contents. */
  @Test
  void answersAHandBuiltV2RequestWithTypedContents() {
    double[][][] windows = Ett.windows(2, L, 100);
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (double[][] w : windows) {
      for (double[] ch : w) {
        for (double v : ch) {
          contents.addFp32Contents((float) v);
        }
      }
    }
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("etth1-dlinear")
            .setId("req-42")
            .putParameters("horizon", InferParameter.newBuilder().setInt64Param(12).build())
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("windows")
                    .setDatatype("FP32")
                    .addShape(2)
                    .addShape(7)
                    .addShape(L)
                    .setContents(contents))
            .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("forecast"))
            .build();

    ModelInferResponse response = stub.modelInfer(request);

    assertThat(response.getId()).isEqualTo("req-42");
    assertThat(response.getModelVersion()).isEqualTo("1");
    ModelInferResponse.InferOutputTensor out = response.getOutputs(0);
    assertThat(out.getName()).isEqualTo("forecast");
    assertThat(out.getDatatype()).isEqualTo("FP32");
    assertThat(out.getShapeList()).containsExactly(2L, 7L, 12L);
    assertThat(out.getContents().getFp32ContentsCount()).isEqualTo(2 * 7 * 12);
    // The worker saw the FP32-rounded inputs: compare with the model on those.
    double[][][] rounded = new double[2][7][L];
    for (int b = 0; b < 2; b++) {
      for (int c = 0; c < 7; c++) {
        for (int t = 0; t < L; t++) {
          rounded[b][c][t] = (float) windows[b][c][t];
        }
      }
    }
    double[][][] expected = model.predict(rounded, 12);
    assertThat(out.getContents().getFp32Contents(7 * 12 + 3 * 12 + 5))
        .isEqualTo((float) expected[1][3][5]);
  }

  /** Raw little-endian FP64 bytes in, raw FP64 out: exactly the model's doubles. */
  @Test
  void answersRawFp64ContentsExactly() {
    double[][][] windows = Ett.windows(3, L, 500);
    ByteBuffer buf = ByteBuffer.allocate(3 * 7 * L * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double[][] w : windows) {
      for (double[] ch : w) {
        for (double v : ch) {
          buf.putDouble(v);
        }
      }
    }
    buf.flip();
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("etth1-dlinear")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("windows")
                    .setDatatype("FP64")
                    .addShape(3)
                    .addShape(7)
                    .addShape(L))
            .addRawInputContents(ByteString.copyFrom(buf))
            .build();

    ModelInferResponse response = stub.modelInfer(request);

    assertThat(response.getOutputs(0).getShapeList()).containsExactly(3L, 7L, (long) H);
    ByteBuffer raw =
        response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    double[][][] expected = model.predict(windows, H);
    for (double[][] w : expected) {
      for (double[] ch : w) {
        for (double v : ch) {
          assertThat(raw.getDouble()).isEqualTo(v);
        }
      }
    }
    assertThat(V2Codec.forecast(response)).isDeepEqualTo(expected);
  }

  @Test
  void unknownModelIsNotFound() {
    assertThatThrownBy(() -> stub.modelInfer(V2Codec.request("nope", Ett.windows(1, L, 0), H)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("unknown model 'nope'; this worker serves [etth1-dlinear]");
            });
  }

  @Test
  void badShapeAndHorizonAreInvalidArgument() {
    assertThatThrownBy(
            () -> stub.modelInfer(V2Codec.request("etth1-dlinear", Ett.windows(1, 48, 0), H)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("dlinear needs windows of lookback 96, got 48");
            });
    assertThatThrownBy(
            () -> stub.modelInfer(V2Codec.request("etth1-dlinear", Ett.windows(1, L, 0), H + 1)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("trained for horizon 24");
            });
    ModelInferRequest wrongName =
        V2Codec.request("etth1-dlinear", Ett.windows(1, L, 0), H).toBuilder()
            .setInputs(
                0,
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("x")
                    .setDatatype("FP64")
                    .addShape(1)
                    .addShape(7)
                    .addShape(L))
            .build();
    assertThatThrownBy(() -> stub.modelInfer(wrongName))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).isEqualTo("expected input 'windows', got 'x'");
            });
  }
}
