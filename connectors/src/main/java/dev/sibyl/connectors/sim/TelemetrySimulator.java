package dev.sibyl.connectors.sim;

import dev.sibyl.schemas.TelemetryPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Generates synthetic telemetry for N sources, each with a few channels that follow a seasonal
 * curve plus a slow trend plus Gaussian noise, with injected anomalies that are labelled on the
 * points themselves.
 *
 * <p>Event time starts at {@link Builder#optStart} and advances by one step per point of a source
 * (default {@link #DEFAULT_STEP}), independent of the wall clock; pacing is the sender's business.
 * Points come step by step, sources in order within a step: {@code (t0, s0), (t0, s1), ..., (t1,
 * s0), ...}.
 *
 * <p>Anomalies: at each step, a source with no anomaly in progress starts one with probability
 * {@link Builder#optAnomalyRate}, of a random enabled kind on a random channel (so anomalies of one
 * source never overlap and each labelled point has exactly one kind and channel). Labelled points
 * carry {@value #ANOMALY_LABEL}{@code =<kind>} and {@value #ANOMALY_CHANNEL_LABEL}{@code
 * =<channel>}; {@link #injectedAnomaly} turns such a point back into a labels CSV row.
 *
 * <p>Determinism: each source draws from its own generator seeded from the seed and its index, so
 * the same seed and settings give the same points, whatever the number of points consumed.
 *
 * <p>An instance is an immutable description; each {@link #iterator()} starts a new, independent
 * run from step 0. Iterators are not thread-safe.
 */
public final class TelemetrySimulator implements Iterable<TelemetryPoint> {

  /** Label key naming the kind of an injected anomaly ({@link AnomalyKind#label()}). */
  public static final String ANOMALY_LABEL = "anomaly";

  /** Label key naming the channel an injected anomaly affects. */
  public static final String ANOMALY_CHANNEL_LABEL = "anomaly.channel";

  /** Default event-time step between two points of a source. */
  public static final Duration DEFAULT_STEP = Duration.ofSeconds(60);

  /** Default start of event time: fixed, so that runs are reproducible. */
  public static final Instant DEFAULT_START = Instant.parse("2024-01-01T00:00:00Z");

  /** Default probability that a source starts an anomaly at a step. */
  public static final double DEFAULT_ANOMALY_RATE = 0.002;

  /** Default channels: a machine's temperature (deg C), vibration (mm/s) and pressure (bar). */
  public static final List<ChannelSpec> DEFAULT_CHANNELS =
      List.of(
          new ChannelSpec("temperature", 65.0, 6.0, 0.0005, 0.4),
          new ChannelSpec("vibration", 2.5, 0.4, 0.00002, 0.05),
          new ChannelSpec("pressure", 5.0, 0.25, -0.00001, 0.02));

  /** Spike height, in noise standard deviations: uniform in [min, min + span). */
  private static final double SPIKE_MIN_SD = 8.0;

  private static final double SPIKE_SPAN_SD = 4.0;

  /** Level shift size, in noise standard deviations: uniform in [min, min + span). */
  private static final double SHIFT_MIN_SD = 5.0;

  private static final double SHIFT_SPAN_SD = 3.0;

  /** Noise multiplier during a variance burst, and the burst's length range in steps. */
  private static final double BURST_NOISE_FACTOR = 5.0;

  private static final int BURST_MIN_STEPS = 10;
  private static final int BURST_SPAN_STEPS = 21;

  /** Per-source variation of a channel's base level, in amplitudes. */
  private static final double SOURCE_BASE_SPREAD = 0.5;

  /** Relative weight of the second harmonic, which gives the day curve a non-sine shape. */
  private static final double SECOND_HARMONIC = 0.3;

  /** Odd 64-bit constant (golden ratio) that spreads source indices over the seed space. */
  private static final long SEED_MIX = 0x9E3779B97F4A7C15L;

  private final int sources;
  private final String sourcePrefix;
  private final List<ChannelSpec> channels;
  private final Duration step;
  private final long periodSteps;
  private final double anomalyRate;
  private final List<AnomalyKind> kinds;
  private final long seed;
  private final Instant start;
  private final long pointsPerSource;

  private TelemetrySimulator(Builder b) {
    this.sources = b.sources;
    this.sourcePrefix = b.sourcePrefix;
    this.channels = List.copyOf(b.channels);
    this.step = b.step;
    this.periodSteps = b.periodSteps > 0 ? b.periodSteps : Duration.ofDays(1).dividedBy(b.step);
    this.anomalyRate = b.anomalyRate;
    this.kinds = List.copyOf(b.kinds);
    this.seed = b.seed;
    this.start = b.start;
    this.pointsPerSource = b.pointsPerSource;
  }

  /** A builder; {@link Builder#setSources} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The source names, in emission order within a step. */
  public List<String> sourceNames() {
    List<String> names = new ArrayList<>(sources);
    for (int i = 0; i < sources; i++) {
      names.add(sourceName(i));
    }
    return names;
  }

  /** The channels of every source. */
  public List<ChannelSpec> channels() {
    return channels;
  }

  /** The seasonal period in steps (a day of event time unless set otherwise). */
  public long periodSteps() {
    return periodSteps;
  }

  /**
   * Points per source; {@link Long#MAX_VALUE} when unbounded.
   *
   * @return the number of steps a run lasts
   */
  public long pointsPerSource() {
    return pointsPerSource;
  }

  /**
   * A new run from step 0.
   *
   * @return an iterator over {@code sources * pointsPerSource} points (endless when unbounded)
   */
  @Override
  public Iterator<TelemetryPoint> iterator() {
    return new Run();
  }

  /**
   * The labels CSV row of a point, when the simulator labelled it as part of an anomaly.
   *
   * @param point any telemetry point; never null
   * @return the anomaly, or empty when the point carries no anomaly label
   * @throws IllegalArgumentException when the anomaly label holds an unknown kind
   */
  public static Optional<InjectedAnomaly> injectedAnomaly(TelemetryPoint point) {
    String kind = point.getLabels().get(ANOMALY_LABEL);
    if (kind == null) {
      return Optional.empty();
    }
    String channel = point.getLabels().getOrDefault(ANOMALY_CHANNEL_LABEL, "");
    return Optional.of(
        new InjectedAnomaly(
            point.getSource(), channel, point.getTimestamp(), AnomalyKind.fromLabel(kind)));
  }

  private String sourceName(int index) {
    return String.format("%s%03d", sourcePrefix, index + 1);
  }

  // ---------------------------------------------------------------- run state

  /** Mutable state of one run: the step and each source's generator and anomaly state. */
  private final class Run implements Iterator<TelemetryPoint> {

    private final SourceState[] states = new SourceState[sources];
    private long stepIndex;
    private int sourceIndex;

    Run() {
      for (int i = 0; i < sources; i++) {
        states[i] = new SourceState(sourceName(i), new Random(seed ^ ((i + 1) * SEED_MIX)));
      }
    }

    @Override
    public boolean hasNext() {
      return stepIndex < pointsPerSource;
    }

    @Override
    public TelemetryPoint next() {
      if (!hasNext()) {
        throw new NoSuchElementException("simulation ended after " + pointsPerSource + " steps");
      }
      TelemetryPoint point = states[sourceIndex].next(stepIndex);
      sourceIndex++;
      if (sourceIndex == sources) {
        sourceIndex = 0;
        stepIndex++;
      }
      return point;
    }
  }

  /** One source: its random generator, per-channel offsets and the anomaly in progress. */
  private final class SourceState {

    private final String name;
    private final Random random;
    private final double[] baseOffset;
    private final double[] phase;
    private final double[] levelShift;
    private AnomalyKind activeKind;
    private int activeChannel;
    private int activeStepsLeft;

    SourceState(String name, Random random) {
      this.name = name;
      this.random = random;
      int n = channels.size();
      this.baseOffset = new double[n];
      this.phase = new double[n];
      this.levelShift = new double[n];
      for (int c = 0; c < n; c++) {
        // Sources differ a little in level and in the time of day of their peak.
        baseOffset[c] = (random.nextDouble() * 2 - 1) * SOURCE_BASE_SPREAD * channels.get(c).amplitude();
        phase[c] = random.nextDouble() * periodSteps;
      }
    }

    TelemetryPoint next(long k) {
      // Decide the anomaly of this step before drawing noise, so the draw order never varies.
      maybeStartAnomaly();
      Map<String, Double> values = new LinkedHashMap<>();
      Map<String, String> labels = new LinkedHashMap<>();
      for (int c = 0; c < channels.size(); c++) {
        ChannelSpec spec = channels.get(c);
        double angle = 2 * Math.PI * (k + phase[c]) / periodSteps;
        double seasonal = Math.sin(angle) + SECOND_HARMONIC * Math.sin(2 * angle);
        double normal = spec.base() + baseOffset[c] + spec.amplitude() * seasonal + spec.trendPerStep() * k;
        double noiseSd = spec.noiseSd();
        double extra = 0.0;
        if (activeKind != null && activeChannel == c) {
          switch (activeKind) {
            case SPIKE -> extra = sign() * (SPIKE_MIN_SD + SPIKE_SPAN_SD * random.nextDouble()) * noiseSd;
            case VARIANCE_BURST -> noiseSd *= BURST_NOISE_FACTOR;
            case LEVEL_SHIFT -> { } // applied once when the anomaly started
            default -> throw new IllegalStateException("unsupported anomaly kind " + activeKind);
          }
          labels.put(ANOMALY_LABEL, activeKind.label());
          labels.put(ANOMALY_CHANNEL_LABEL, spec.name());
        }
        values.put(spec.name(), normal + levelShift[c] + extra + noiseSd * random.nextGaussian());
      }
      if (activeKind != null && --activeStepsLeft == 0) {
        activeKind = null;
      }
      return TelemetryPoint.newBuilder()
          .setSource(name)
          .setTimestamp(start.plus(step.multipliedBy(k)))
          .setValues(values)
          .setLabels(labels)
          .build();
    }

    private void maybeStartAnomaly() {
      if (activeKind != null || kinds.isEmpty() || random.nextDouble() >= anomalyRate) {
        return;
      }
      activeKind = kinds.get(random.nextInt(kinds.size()));
      activeChannel = random.nextInt(channels.size());
      activeStepsLeft = 1;
      switch (activeKind) {
        case SPIKE -> { }
        case LEVEL_SHIFT ->
            levelShift[activeChannel] +=
                sign() * (SHIFT_MIN_SD + SHIFT_SPAN_SD * random.nextDouble())
                    * channels.get(activeChannel).noiseSd();
        case VARIANCE_BURST -> activeStepsLeft = BURST_MIN_STEPS + random.nextInt(BURST_SPAN_STEPS);
        default -> throw new IllegalStateException("unsupported anomaly kind " + activeKind);
      }
    }

    private double sign() {
      return random.nextBoolean() ? 1.0 : -1.0;
    }
  }

  // ---------------------------------------------------------------- builder

  /**
   * Builds a {@link TelemetrySimulator}. Required: {@link #setSources}. Defaults: channels {@link
   * #DEFAULT_CHANNELS}, step {@link #DEFAULT_STEP}, period one day of event time, anomaly rate
   * {@link #DEFAULT_ANOMALY_RATE}, every anomaly kind, seed 42, start {@link #DEFAULT_START},
   * unbounded, source names {@code sensor-001, sensor-002, ...}.
   */
  public static final class Builder {

    private int sources;
    private String sourcePrefix = "sensor-";
    private List<ChannelSpec> channels = DEFAULT_CHANNELS;
    private Duration step = DEFAULT_STEP;
    private long periodSteps;
    private double anomalyRate = DEFAULT_ANOMALY_RATE;
    private Set<AnomalyKind> kinds = EnumSet.allOf(AnomalyKind.class);
    private long seed = 42L;
    private Instant start = DEFAULT_START;
    private long pointsPerSource = Long.MAX_VALUE;

    private Builder() {}

    /**
     * @param sources number of sources, at least 1
     * @return this builder
     */
    public Builder setSources(int sources) {
      this.sources = sources;
      return this;
    }

    /**
     * @param prefix source names are this prefix plus a 3-digit 1-based index
     * @return this builder
     */
    public Builder optSourcePrefix(String prefix) {
      this.sourcePrefix = prefix;
      return this;
    }

    /**
     * @param channels the channels of every source: at least one, distinct names
     * @return this builder
     */
    public Builder optChannels(List<ChannelSpec> channels) {
      this.channels = channels;
      return this;
    }

    /**
     * @param step event time between two points of a source, positive
     * @return this builder
     */
    public Builder optStep(Duration step) {
      this.step = step;
      return this;
    }

    /**
     * @param periodSteps seasonal period in steps, at least 2; default one day of event time
     * @return this builder
     */
    public Builder optPeriodSteps(long periodSteps) {
      this.periodSteps = periodSteps;
      return this;
    }

    /**
     * @param rate probability in [0, 1] that a source starts an anomaly at a step; 0 disables
     * @return this builder
     */
    public Builder optAnomalyRate(double rate) {
      this.anomalyRate = rate;
      return this;
    }

    /**
     * @param kinds the kinds to inject; may be empty (no anomalies)
     * @return this builder
     */
    public Builder optAnomalyKinds(Set<AnomalyKind> kinds) {
      this.kinds = kinds;
      return this;
    }

    /**
     * @param seed seed of every random draw
     * @return this builder
     */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * @param start event time of the first step
     * @return this builder
     */
    public Builder optStart(Instant start) {
      this.start = start;
      return this;
    }

    /**
     * @param points points per source, at least 1; default unbounded
     * @return this builder
     */
    public Builder optPointsPerSource(long points) {
      this.pointsPerSource = points;
      return this;
    }

    /**
     * @return a simulator
     * @throws IllegalArgumentException naming the property and the allowed range when a value is
     *     out of range
     */
    public TelemetrySimulator build() {
      sanityCheck();
      return new TelemetrySimulator(this);
    }

    private void sanityCheck() {
      if (sources < 1) {
        throw new IllegalArgumentException("sources must be at least 1, got " + sources);
      }
      if (sourcePrefix == null) {
        throw new IllegalArgumentException("sourcePrefix must not be null");
      }
      if (channels == null || channels.isEmpty()) {
        throw new IllegalArgumentException("channels must list at least one channel");
      }
      Set<String> names = new HashSet<>();
      for (ChannelSpec channel : channels) {
        if (!names.add(channel.name())) {
          throw new IllegalArgumentException("channels must have distinct names, '"
              + channel.name() + "' appears twice");
        }
      }
      if (step == null || step.isNegative() || step.isZero()) {
        throw new IllegalArgumentException("step must be positive, got " + step);
      }
      if (periodSteps != 0 && periodSteps < 2) {
        throw new IllegalArgumentException("periodSteps must be at least 2, got " + periodSteps);
      }
      if (periodSteps == 0 && Duration.ofDays(1).dividedBy(step) < 2) {
        throw new IllegalArgumentException(
            "step must be at most half a day when periodSteps is not set, got " + step);
      }
      if (!(anomalyRate >= 0 && anomalyRate <= 1)) {
        throw new IllegalArgumentException("anomalyRate must be in [0,1], got " + anomalyRate);
      }
      if (kinds == null) {
        throw new IllegalArgumentException("anomalyKinds must not be null (may be empty)");
      }
      kinds = Collections.unmodifiableSet(EnumSet.copyOf(
          kinds.isEmpty() ? EnumSet.noneOf(AnomalyKind.class) : kinds));
      if (start == null) {
        throw new IllegalArgumentException("start must not be null");
      }
      if (pointsPerSource < 1) {
        throw new IllegalArgumentException(
            "pointsPerSource must be at least 1, got " + pointsPerSource);
      }
    }
  }
}
