package dev.sibyl.app.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sibyl.app.SibylMain;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.workers.BatchingConfig;
import dev.sibyl.workers.MetricsEndpoint;
import dev.sibyl.workers.ModelHost;
import dev.sibyl.workers.ServerTls;
import dev.sibyl.workers.WorkerDevice;
import dev.sibyl.workers.WorkerServer;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl worker}: an inference worker for one device. Serves every artifact directory under
 * {@code --artifacts} over gRPC with the Open Inference Protocol (v2), so that the sibyl client,
 * Triton's and KServe's clients, or any v2 client can call it; batches requests per model; serves
 * Prometheus metrics (queue depth, batch size, latency, outcomes) on {@code --metrics-port};
 * hot-reloads artifacts that appear, change or disappear under {@code --artifacts}; stops
 * gracefully on Ctrl-C (calls in flight finish, bounded at 5 s).
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Serve model artifacts over gRPC (Open Inference Protocol v2) with dynamic batching.")
public final class WorkerCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(names = "--port", paramLabel = "P", defaultValue = "8001", description = "gRPC port (default ${DEFAULT-VALUE}, Triton's; 0 picks a free one).")
  private int port;

  @Option(names = "--host", paramLabel = "ADDR", defaultValue = "0.0.0.0", description = "Address to listen on (default ${DEFAULT-VALUE}).")
  private String host;

  @Option(names = "--artifacts", required = true, paramLabel = "DIR", description = "Directory of artifact directories; each is served as a model named by its directory.")
  private Path artifacts;

  @Option(names = "--device", paramLabel = "cpu|gpu:N", defaultValue = "cpu", description = "The device of this worker (default ${DEFAULT-VALUE}); a GPU must be visible to the engine.")
  private String device;

  @Option(names = "--max-batch", paramLabel = "N", defaultValue = "64", description = "Windows per model call (default ${DEFAULT-VALUE}).")
  private int maxBatch;

  @Option(names = "--max-delay", paramLabel = "DURATION", defaultValue = "5ms", converter = DurationConverter.class, description = "Longest wait for a batch to fill (default ${DEFAULT-VALUE}).")
  private Duration maxDelay;

  @Option(names = "--queue", paramLabel = "N", defaultValue = "1024", description = "Requests waiting per model before RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
  private int queue;

  @Option(names = "--reload-interval", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class, description = "How often to look for new, changed or removed artifacts and hot-reload them (default ${DEFAULT-VALUE}; 0s turns it off).")
  private Duration reloadInterval;

  @Option(names = "--metrics-port", paramLabel = "P", defaultValue = "8002", description = "Prometheus endpoint port, path /metrics (default ${DEFAULT-VALUE}, Triton's; 0 picks a free one; -1 turns it off).")
  private int metricsPort;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Server certificate chain: serve TLS.")
  private Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Server private key (PKCS#8), with --tls-cert.")
  private Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM", description = "CA of client certificates: require mutual TLS.")
  private Path tlsClientCa;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "PyTorch intra-op threads (default ${DEFAULT-VALUE}; 0: the engine's default, one per core). On a small CPU machine more than one made the gRPC worker far slower: spinning OpenMP threads starve the gRPC threads.")
  private int threads;

  @Override
  public Integer call() throws Exception {
    // 1. Options
    if (threads < 0) {
      throw new ParameterException(spec.commandLine(), "--threads must be >= 0, got " + threads);
    }
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be in [0, 65535], got " + port);
    }
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new ParameterException(
          spec.commandLine(), "--metrics-port must be in [0, 65535] or -1 (off), got " + metricsPort);
    }
    if (reloadInterval.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--reload-interval must be >= 0, got " + reloadInterval);
    }
    if (!Files.isDirectory(artifacts)) {
      throw new ParameterException(spec.commandLine(), "--artifacts: not a directory: " + artifacts);
    }
    WorkerDevice workerDevice;
    BatchingConfig batching;
    try {
      workerDevice = WorkerDevice.parse(device);
      batching = new BatchingConfig(maxBatch, maxDelay, queue);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
    }
    if (tlsClientCa != null && tlsCert == null) {
      throw new ParameterException(spec.commandLine(), "--tls-client-ca needs --tls-cert and --tls-key");
    }
    // threads before the engine starts (resolving the device starts it); the models load onto the
    // device resolved here
    Device resolved = ModelRuntime.start(new DeviceConfig(workerDevice.toString(), threads, 0));
    if (workerDevice.isGpu() && !resolved.isGpu()) {
      throw new ParameterException(
          spec.commandLine(), "--device " + workerDevice + ": the engine sees " + Engine.getInstance().getGpuCount() + " GPU(s)");
    }
    ServerTls tls = tlsCert == null ? null : new ServerTls(tlsCert, tlsKey, tlsClientCa);

    // 2. Models
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ModelHost models = ModelHost.load(artifacts, batching, registry);
    if (models.names().isEmpty()) {
      models.close();
      throw new ParameterException(
          spec.commandLine(), "--artifacts: no artifact (a directory with a manifest.json) under " + artifacts);
    }

    if (!reloadInterval.isZero()) {
      models.watch(reloadInterval);
    }

    // 3. Serve until Ctrl-C
    PrintWriter err = spec.commandLine().getErr();
    String[] version = new SibylMain.VersionProvider().getVersion();
    try (StopSignal stop = StopSignal.install()) {
      WorkerServer worker = WorkerServer.start(new InetSocketAddress(host, port), models, tls, version[0]);
      MetricsEndpoint metrics = null;
      try {
        stop.onStop(worker::close);
        if (metricsPort >= 0) {
          metrics = MetricsEndpoint.start(new InetSocketAddress(host, metricsPort), registry);
        }
        err.println("worker on " + host + ":" + worker.port() + " (" + workerDevice + ", "
            + (tls == null ? "plaintext" : tlsClientCa == null ? "TLS" : "mutual TLS") + "), models "
            + models.names()
            + (metrics == null ? "" : ", metrics on " + host + ":" + metrics.port() + MetricsEndpoint.PATH)
            + "; Ctrl-C stops");
        err.flush();
        worker.awaitTermination();
      } finally {
        worker.close();
        if (metrics != null) {
          metrics.close();
        }
      }
    }
    return 0;
  }
}
