package dev.sibyl.workers;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An inference worker: a gRPC server speaking the Open Inference Protocol (v2) over the models of
 * a {@link ModelHost}. Owns the host and the responder threads ({@code sibyl-worker-responder-N},
 * which encode and send answers): {@link #close()} stops accepting calls, lets calls in flight
 * finish (bounded), then closes the batchers and the responders.
 */
public final class WorkerServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerServer.class);

  /** Bound on letting calls in flight finish at close. */
  private static final long GRACE_MILLIS = 5_000;

  /** Largest request accepted: 64 MiB holds 8M FP64 values, far above a batch of windows. */
  private static final int MAX_INBOUND_BYTES = 64 << 20;

  /** Responder threads: encoding answers is light, one per core of a small machine. */
  private static final int RESPONDER_THREADS = 2;

  /**
   * Answers waiting for a responder. Beyond it the batcher thread sends the answer itself (back
   * pressure: slower, nothing dropped); a batcher's own queue bounds what can be waiting anyway.
   */
  private static final int RESPONDER_QUEUE = 4096;

  private final Server server;
  private final ModelHost host;
  private final InferenceService service;
  private final ExecutorService responder;

  private WorkerServer(Server server, ModelHost host, InferenceService service, ExecutorService responder) {
    this.server = server;
    this.host = host;
    this.service = service;
    this.responder = responder;
  }

  /**
   * Starts a worker.
   *
   * @param address where to listen; port 0 picks a free port (see {@link #port()}); not null
   * @param host the models; owned by the server from now on; not null
   * @param tls TLS files, or null for plaintext
   * @param version the version ServerMetadata reports; not null
   * @return the started worker
   * @throws IOException when the port cannot be bound or a TLS file cannot be read
   */
  public static WorkerServer start(
      InetSocketAddress address, ModelHost host, ServerTls tls, String version) throws IOException {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(host, "host");
    ExecutorService responder = responder();
    InferenceService service = new InferenceService(host, version, responder);
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(address)
            .maxInboundMessageSize(MAX_INBOUND_BYTES)
            .addService(service);
    if (tls != null) {
      SslContextBuilder ssl =
          SslContextBuilder.forServer(tls.certificateChain().toFile(), tls.privateKey().toFile());
      if (tls.clientCa() != null) {
        ssl.trustManager(tls.clientCa().toFile()).clientAuth(ClientAuth.REQUIRE);
      }
      builder.sslContext(GrpcSslContexts.configure(ssl).build());
    }
    Server server = builder.build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      host.close();
      responder.shutdownNow();
      throw e;
    }
    LOG.info(
        "worker listening on {}:{} ({}), models {}",
        address.getHostString(),
        server.getPort(),
        tls == null ? "plaintext" : tls.clientCa() == null ? "TLS" : "mutual TLS",
        host.names());
    return new WorkerServer(server, host, service, responder);
  }

  private static ExecutorService responder() {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(
        RESPONDER_THREADS,
        RESPONDER_THREADS,
        0,
        TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(RESPONDER_QUEUE),
        r -> {
          Thread t = new Thread(r, "sibyl-worker-responder-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        },
        new ThreadPoolExecutor.CallerRunsPolicy());
  }

  /** The port the server listens on. */
  public int port() {
    return server.getPort();
  }

  /** The models served. */
  public ModelHost host() {
    return host;
  }

  /** Blocks until the server has terminated (after {@link #close()}, e.g. from a shutdown hook). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Stops the worker abruptly, as a crash would: fails every queued request, cancels calls in
   * flight and drops the connections. For failover tests and drills.
   */
  public void kill() {
    service.drain();
    host.close();
    server.shutdownNow();
    try {
      server.awaitTermination(GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    responder.shutdownNow();
  }

  /**
   * Stops the worker: reports not ready, refuses new calls, waits up to 5 s for calls in flight,
   * then cancels what is left and closes the batchers. Idempotent.
   */
  @Override
  public void close() {
    service.drain();
    server.shutdown();
    try {
      if (!server.awaitTermination(GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(GRACE_MILLIS, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      host.close();
      // the batchers failed what was queued: let those answers go out, then stop
      responder.shutdown();
      try {
        responder.awaitTermination(GRACE_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      responder.shutdownNow();
    }
  }
}
