package dev.sibyl.app.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.coordinator.group.GroupCoordinatorConfig;
import org.apache.kafka.coordinator.share.ShareCoordinatorConfig;
import org.apache.kafka.coordinator.transaction.TransactionLogConfig;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.network.SocketServerConfigs;
import org.apache.kafka.raft.MetadataLogConfig;
import org.apache.kafka.raft.QuorumConfig;
import org.apache.kafka.server.config.KRaftConfigs;
import org.apache.kafka.server.config.ReplicationConfigs;
import org.apache.kafka.server.config.ServerLogConfigs;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft combined mode: {@code process.roles=broker,controller})
 * running inside this JVM, for development, demos and tests.
 *
 * <p>Data live under one directory that survives restarts: the storage is formatted (with a new
 * cluster id, kept in {@code meta.properties} there) only when it is not formatted yet. Every
 * replication factor and min ISR is 1, so transactions and consumer groups work on one node;
 * topics are not auto-created (use {@link #ensureTopics}).
 *
 * <p>While running, the broker holds a lock file ({@value #LOCK_FILE}) in its directory and writes
 * its bootstrap address to {@value #ADDRESS_FILE} there, so that another process can find it with
 * {@link #findRunning} instead of failing on the locked directory.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()} (idempotent). The broker listens on
 * the loopback interface only, unless a host is set.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  /** Default data directory, relative to the working directory. */
  public static final Path DEFAULT_DATA_DIR = Path.of("data", "kafka");

  /** Default listener host: loopback, so a development broker is not reachable from the network. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Lock file held while a broker runs on the directory. */
  public static final String LOCK_FILE = "sibyl-broker.lock";

  /** File holding the bootstrap address of the broker running on the directory. */
  public static final String ADDRESS_FILE = "bootstrap.servers";

  /** Written by the storage formatter; its presence means "formatted". */
  private static final String META_PROPERTIES = "meta.properties";

  private static final String CLUSTER_ID_PROPERTY = "cluster.id";
  private static final int NODE_ID = 1;
  private static final String BROKER_LISTENER = "PLAINTEXT";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  /** Pause between two readiness probes during start. */
  private static final long READY_POLL_MILLIS = 50;

  private final Path dataDir;
  private final String host;
  private final int requestedPort;
  private final long retentionMs;
  private final long retentionBytes;
  private final Duration startTimeout;

  private enum State { NEW, RUNNING, CLOSED }

  private State state = State.NEW;
  private KafkaRaftServer server;
  private FileChannel lockChannel;
  private FileLock lock;
  private String bootstrapServers;
  private String clusterId;
  private boolean formattedOnStart;
  private Duration startDuration;

  private EmbeddedKafkaBroker(Builder b) {
    this.dataDir = b.dataDir.toAbsolutePath().normalize();
    this.host = b.host;
    this.requestedPort = b.port;
    this.retentionMs = b.retentionMs;
    this.retentionBytes = b.retentionBytes;
    this.startTimeout = b.startTimeout;
  }

  /** A builder; every property has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The bootstrap address of a broker that another process (or another instance in this JVM) runs
   * on this directory right now.
   *
   * @param dataDir a broker data directory; need not exist
   * @return {@code host:port}, or empty when no broker holds the directory's lock
   * @throws UncheckedIOException when the lock or address file cannot be read
   */
  public static Optional<String> findRunning(Path dataDir) {
    Path lockFile = dataDir.resolve(LOCK_FILE);
    Path addressFile = dataDir.resolve(ADDRESS_FILE);
    if (!Files.exists(lockFile) || !Files.exists(addressFile)) {
      return Optional.empty();
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock probe;
      try {
        probe = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        probe = null; // held by this JVM
      }
      if (probe != null) {
        probe.release();
        return Optional.empty(); // stale address file of a broker that is gone
      }
      String address = Files.readString(addressFile, StandardCharsets.UTF_8).trim();
      return address.isEmpty() ? Optional.empty() : Optional.of(address);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot probe the broker lock in " + dataDir, e);
    }
  }

  /**
   * Formats the storage when needed, starts the broker and waits until it answers {@code
   * Admin.describeCluster()}.
   *
   * @throws IllegalStateException when already started or closed, or when another broker holds the
   *     directory
   * @throws KafkaException with the cause when formatting or starting fails or the broker does not
   *     answer within the start timeout; everything started so far is shut down again
   */
  public synchronized void start() {
    if (state != State.NEW) {
      throw new IllegalStateException("broker can be started once, it is " + state);
    }
    long begin = System.nanoTime();
    try {
      Files.createDirectories(dataDir);
      acquireLock();
      int brokerPort = requestedPort == 0 ? freePort() : requestedPort;
      // The controller's address must be known before start (it is the quorum's voter address).
      int controllerPort = freePort();
      Map<String, Object> props = serverProperties(brokerPort, controllerPort);
      KafkaConfig config = new KafkaConfig(props, false);
      Path metaProperties = dataDir.resolve(META_PROPERTIES);
      formattedOnStart = !Files.exists(metaProperties);
      if (formattedOnStart) {
        clusterId = Uuid.randomUuid().toString();
        format(clusterId);
      } else {
        clusterId = readClusterId(metaProperties);
      }
      server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      bootstrapServers = host + ":" + brokerPort;
      awaitReady(begin + startTimeout.toNanos());
      Files.writeString(dataDir.resolve(ADDRESS_FILE), bootstrapServers + "\n", StandardCharsets.UTF_8);
      state = State.RUNNING;
    } catch (IOException | RuntimeException e) {
      state = State.CLOSED;
      shutdownQuietly();
      if (e instanceof IllegalStateException || e instanceof KafkaException) {
        throw (RuntimeException) e;
      }
      throw new KafkaException("cannot start the embedded Kafka broker in " + dataDir + ": " + e.getMessage(), e);
    }
    startDuration = Duration.ofNanos(System.nanoTime() - begin);
    LOG.info(
        "embedded Kafka broker at {} ({} in {} ms, data {})",
        bootstrapServers,
        formattedOnStart ? "formatted and started" : "started",
        startDuration.toMillis(),
        dataDir);
  }

  /**
   * The address clients connect to.
   *
   * @return {@code host:port}
   * @throws IllegalStateException when the broker is not running
   */
  public synchronized String bootstrapServers() {
    requireRunning();
    return bootstrapServers;
  }

  /**
   * Kafka client properties for this broker ({@code bootstrap.servers} only), a new mutable map.
   *
   * @throws IllegalStateException when the broker is not running
   */
  public synchronized Map<String, Object> clientProperties() {
    requireRunning();
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return props;
  }

  /** The cluster id kept in the data directory; null before {@link #start()}. */
  public synchronized String clusterId() {
    return clusterId;
  }

  /** The data directory, absolute. */
  public Path dataDir() {
    return dataDir;
  }

  /** Whether the last {@link #start()} formatted the storage (a first start on the directory). */
  public synchronized boolean formattedOnStart() {
    return formattedOnStart;
  }

  /** Wall time of the last {@link #start()}, until the broker answered; null before. */
  public synchronized Duration startDuration() {
    return startDuration;
  }

  /**
   * Creates the topics that do not exist yet (replication factor 1); existing ones are left alone.
   *
   * @param partitions topic name to partition count, at least 1 each
   * @return the topics created by this call
   * @throws IllegalStateException when the broker is not running
   * @throws KafkaException naming the topic when creation fails
   */
  public Set<String> ensureTopics(Map<String, Integer> partitions) {
    return TopicAdmin.ensureTopics(clientProperties(), partitions, startTimeout);
  }

  /**
   * Shuts the broker down and waits for it; releases the directory. Safe to call more than once
   * and before {@link #start()}.
   */
  @Override
  public synchronized void close() {
    if (state == State.CLOSED) {
      return;
    }
    boolean wasRunning = state == State.RUNNING;
    state = State.CLOSED;
    long begin = System.nanoTime();
    shutdownQuietly();
    if (wasRunning) {
      LOG.info("embedded Kafka broker stopped in {} ms", (System.nanoTime() - begin) / 1_000_000);
    }
  }

  // ---------------------------------------------------------------- internals

  private Map<String, Object> serverProperties(int brokerPort, int controllerPort) {
    Map<String, Object> p = new HashMap<>();
    // One process is both the broker and the only controller (KRaft combined mode).
    p.put(KRaftConfigs.PROCESS_ROLES_CONFIG, "broker,controller");
    p.put(KRaftConfigs.NODE_ID_CONFIG, String.valueOf(NODE_ID));
    p.put(QuorumConfig.QUORUM_VOTERS_CONFIG, NODE_ID + "@" + host + ":" + controllerPort);
    p.put(
        SocketServerConfigs.LISTENERS_CONFIG,
        BROKER_LISTENER + "://" + host + ":" + brokerPort + ","
            + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
    p.put(SocketServerConfigs.ADVERTISED_LISTENERS_CONFIG, BROKER_LISTENER + "://" + host + ":" + brokerPort);
    p.put(KRaftConfigs.CONTROLLER_LISTENER_NAMES_CONFIG, CONTROLLER_LISTENER);
    p.put(ReplicationConfigs.INTER_BROKER_LISTENER_NAME_CONFIG, BROKER_LISTENER);
    p.put(
        SocketServerConfigs.LISTENER_SECURITY_PROTOCOL_MAP_CONFIG,
        BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    p.put(ServerLogConfigs.LOG_DIRS_CONFIG, dataDir.toString());
    p.put(MetadataLogConfig.METADATA_LOG_DIR_CONFIG, dataDir.toString());
    // A single node: every replication factor and min ISR must be 1, or writes (and transactions,
    // whose coordinator needs its own internal topic) would wait for replicas that never come.
    p.put(ReplicationConfigs.DEFAULT_REPLICATION_FACTOR_CONFIG, "1");
    p.put(ServerLogConfigs.MIN_IN_SYNC_REPLICAS_CONFIG, "1");
    p.put(GroupCoordinatorConfig.OFFSETS_TOPIC_REPLICATION_FACTOR_CONFIG, "1");
    p.put(TransactionLogConfig.TRANSACTIONS_TOPIC_REPLICATION_FACTOR_CONFIG, "1");
    p.put(TransactionLogConfig.TRANSACTIONS_TOPIC_MIN_ISR_CONFIG, "1");
    p.put(ShareCoordinatorConfig.STATE_TOPIC_REPLICATION_FACTOR_CONFIG, "1");
    p.put(ShareCoordinatorConfig.STATE_TOPIC_MIN_ISR_CONFIG, "1");
    // Few internal partitions: the defaults (50) slow down the first group or transaction.
    p.put(GroupCoordinatorConfig.OFFSETS_TOPIC_PARTITIONS_CONFIG, "1");
    p.put(TransactionLogConfig.TRANSACTIONS_TOPIC_PARTITIONS_CONFIG, "1");
    p.put(ShareCoordinatorConfig.STATE_TOPIC_NUM_PARTITIONS_CONFIG, "1");
    p.put(ServerLogConfigs.NUM_PARTITIONS_CONFIG, "1");
    // No waiting for more members to join: there is only ever a handful on a dev machine.
    p.put(GroupCoordinatorConfig.GROUP_INITIAL_REBALANCE_DELAY_MS_CONFIG, "0");
    p.put(GroupCoordinatorConfig.STREAMS_GROUP_INITIAL_REBALANCE_DELAY_MS_CONFIG, "0");
    p.put(ServerLogConfigs.AUTO_CREATE_TOPICS_ENABLE_CONFIG, "false");
    // Retention: replayed and simulated points carry event times far in the past, which a
    // time-based limit would delete at once; so by default only the size limit applies.
    p.put(ServerLogConfigs.LOG_RETENTION_TIME_MILLIS_CONFIG, String.valueOf(retentionMs));
    p.put(ServerLogConfigs.LOG_RETENTION_BYTES_CONFIG, String.valueOf(retentionBytes));
    p.put(ServerLogConfigs.LOG_SEGMENT_BYTES_CONFIG, String.valueOf(segmentBytes()));
    return p;
  }

  /** Segments small enough that the size limit can delete some (only whole segments go). */
  private long segmentBytes() {
    long max = 64L << 20;
    long min = 1L << 20; // the broker's lower bound
    return retentionBytes < 0 ? max : Math.min(max, Math.max(min, retentionBytes / 4));
  }

  private void format(String newClusterId) throws IOException {
    try {
      new Formatter()
          .setPrintStream(new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
          .setNodeId(NODE_ID)
          .setClusterId(newClusterId)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setMetadataLogDirectory(dataDir.toString())
          .addDirectory(dataDir.toString())
          .setReleaseVersion(MetadataVersion.latestProduction())
          .run();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new KafkaException("cannot format Kafka storage in " + dataDir + ": " + e.getMessage(), e);
    }
    LOG.info("formatted new Kafka storage in {} (cluster id {})", dataDir, newClusterId);
  }

  private String readClusterId(Path metaProperties) throws IOException {
    Properties meta = new Properties();
    try (InputStream in = Files.newInputStream(metaProperties)) {
      meta.load(in);
    }
    String id = meta.getProperty(CLUSTER_ID_PROPERTY);
    if (id == null || id.isBlank()) {
      throw new KafkaException(metaProperties + " has no " + CLUSTER_ID_PROPERTY
          + ": the directory is damaged; delete it to start afresh");
    }
    return id;
  }

  private void awaitReady(long deadlineNanos) {
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    Exception last = null;
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() < deadlineNanos) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        try {
          if (!admin.describeCluster().nodes().get(Math.max(1, left), TimeUnit.MILLISECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        }
        Thread.sleep(READY_POLL_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while waiting for the embedded Kafka broker", e);
    }
    throw new KafkaException("embedded Kafka broker did not answer within "
        + startTimeout.toSeconds() + " s" + (last != null ? ": " + last.getMessage() : ""), last);
  }

  private void acquireLock() throws IOException {
    lockChannel = FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      lockChannel = null;
      String address = readAddress().map(a -> " (its broker answers at " + a + ")").orElse("");
      throw new IllegalStateException("the Kafka data directory " + dataDir
          + " is in use by another broker" + address);
    }
  }

  private Optional<String> readAddress() {
    try {
      Path file = dataDir.resolve(ADDRESS_FILE);
      return Files.exists(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // only used to enrich an error message
    }
  }

  private void shutdownQuietly() {
    if (server != null) {
      try {
        server.shutdown();
        server.awaitShutdown();
      } catch (RuntimeException e) {
        LOG.warn("embedded Kafka broker did not shut down cleanly: {}", e.toString());
      }
      server = null;
    }
    if (lock != null) {
      try {
        Files.deleteIfExists(dataDir.resolve(ADDRESS_FILE));
        lock.release();
        lockChannel.close();
      } catch (IOException e) {
        LOG.warn("cannot release the broker lock in {}: {}", dataDir, e.toString());
      }
      lock = null;
      lockChannel = null;
    }
  }

  private int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      return socket.getLocalPort();
    }
  }

  private void requireRunning() {
    if (state != State.RUNNING) {
      throw new IllegalStateException("embedded Kafka broker is not running, it is " + state);
    }
  }

  /**
   * Builds an {@link EmbeddedKafkaBroker}. Defaults: data directory {@link #DEFAULT_DATA_DIR}, host
   * {@link #DEFAULT_HOST}, port 0 (a free port), no time-based retention, 1 GiB per partition,
   * start timeout 60 s.
   */
  public static final class Builder {

    private Path dataDir = DEFAULT_DATA_DIR;
    private String host = DEFAULT_HOST;
    private int port;
    private long retentionMs = -1L;
    private long retentionBytes = 1L << 30;
    private Duration startTimeout = Duration.ofSeconds(60);

    private Builder() {}

    /**
     * @param dataDir where the broker keeps its data; created when missing
     * @return this builder
     */
    public Builder optDataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /**
     * @param host the host name or address the listeners bind to and advertise
     * @return this builder
     */
    public Builder optHost(String host) {
      this.host = host;
      return this;
    }

    /**
     * @param port client listener port in [0, 65535]; 0 picks a free port
     * @return this builder
     */
    public Builder optPort(int port) {
      this.port = port;
      return this;
    }

    /**
     * @param retentionMs how long records are kept, in ms; -1 for no time limit
     * @return this builder
     */
    public Builder optRetentionMs(long retentionMs) {
      this.retentionMs = retentionMs;
      return this;
    }

    /**
     * @param retentionBytes size kept per partition before old segments are deleted; -1 for no
     *     limit
     * @return this builder
     */
    public Builder optRetentionBytes(long retentionBytes) {
      this.retentionBytes = retentionBytes;
      return this;
    }

    /**
     * @param startTimeout bound on {@link #start()} and on topic creation; positive
     * @return this builder
     */
    public Builder optStartTimeout(Duration startTimeout) {
      this.startTimeout = startTimeout;
      return this;
    }

    /**
     * @return a broker, not started
     * @throws IllegalArgumentException naming the property when a value is out of range
     */
    public EmbeddedKafkaBroker build() {
      sanityCheck();
      return new EmbeddedKafkaBroker(this);
    }

    private void sanityCheck() {
      if (dataDir == null) {
        throw new IllegalArgumentException("dataDir must not be null");
      }
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank, got '" + host + "'");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in [0,65535], got " + port);
      }
      if (retentionMs < -1 || retentionMs == 0) {
        throw new IllegalArgumentException("retentionMs must be -1 or positive, got " + retentionMs);
      }
      if (retentionBytes < -1 || retentionBytes == 0) {
        throw new IllegalArgumentException("retentionBytes must be -1 or positive, got " + retentionBytes);
      }
      if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive, got " + startTimeout);
      }
    }
  }
}
