package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.controls.Dlinear;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mutual TLS with the test certificates in {@code src/test/resources/tls} (see its README). */
@Timeout(60)
class WorkerTlsTest {

  private static final int L = 96;
  private static final int H = 24;
  private static final String MODEL = "etth1-dlinear";

  @TempDir Path artifacts;

  private Dlinear model;
  private WorkerServer worker;

  @BeforeEach
  void start() throws Exception {
    model = Ett.dlinearArtifact(artifacts.resolve(MODEL), L, H, 11);
    worker =
        WorkerServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            ModelHost.load(artifacts, BatchingConfig.DEFAULTS),
            new ServerTls(tls("server.pem"), tls("server.key"), tls("ca.pem")),
            "test");
  }

  @AfterEach
  void stop() {
    worker.close();
  }

  @Test
  void mutualTlsHandshakeAndCall() throws Exception {
    try (RemotePool pool =
        pool(new ClientTls(tls("ca.pem"), tls("client.pem"), tls("client.key")))) {
      double[][][] w = Ett.windows(2, L, 40);
      assertThat(pool.predict(MODEL, w, H).get(20, TimeUnit.SECONDS))
          .isDeepEqualTo(model.predict(w, H));
    }
  }

  @Test
  void aPlaintextClientIsRefused() throws Exception {
    try (RemotePool pool = pool(null)) {
      assertThatThrownBy(() -> pool.predict(MODEL, Ett.windows(1, L, 0), H).get(20, TimeUnit.SECONDS))
          .cause()
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(InferenceException.Reason.UNAVAILABLE);
                // Refused by the handshake, not timed out.
                assertThat(e).hasMessageContaining("UNAVAILABLE").hasMessageNotContaining("DEADLINE");
              });
    }
  }

  @Test
  void aClientWithoutCertificateIsRefused() throws Exception {
    try (RemotePool pool = pool(new ClientTls(tls("ca.pem"), null, null))) {
      assertThatThrownBy(() -> pool.predict(MODEL, Ett.windows(1, L, 0), H).get(20, TimeUnit.SECONDS))
          .cause()
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(InferenceException.Reason.UNAVAILABLE);
                // Refused by the handshake, not timed out.
                assertThat(e).hasMessageContaining("UNAVAILABLE").hasMessageNotContaining("DEADLINE");
              });
    }
  }

  private RemotePool pool(ClientTls tls) throws Exception {
    return RemotePool.builder()
        .addEndpoint("localhost", worker.port())
        .optDeadline(Duration.ofSeconds(15))
        .optMaxAttempts(1)
        .optTls(tls)
        .build();
  }

  private static Path tls(String name) throws URISyntaxException {
    return Path.of(WorkerTlsTest.class.getResource("/tls/" + name).toURI());
  }
}
