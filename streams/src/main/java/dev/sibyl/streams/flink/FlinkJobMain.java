package dev.sibyl.streams.flink;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The entry point of the job jar on a Flink cluster: {@code flink run sibyl-flink-job.jar
 * <settings file>}. The settings file is the one {@code sibyl --config} reads: pipeline keys,
 * {@code flink.*} keys, serde keys, and Kafka client properties prefixed {@code kafka.} (the
 * prefix removed, as the application does). It is read on the client that submits the job; paths
 * in it (a model artifact) must be readable on every task manager too.
 */
public final class FlinkJobMain {

  /** The prefix of Kafka client properties in the settings file. */
  public static final String KAFKA_PREFIX = "kafka.";

  private FlinkJobMain() {}

  /**
   * Builds the job from the settings file and runs it on the environment {@code flink run} provides.
   *
   * @param args one argument: the settings file
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: flink run sibyl-flink-job.jar <settings.properties>");
      System.exit(2);
    }
    Map<String, String> settings = read(Path.of(args[0]));
    FlinkForecastJob job = FlinkForecastJob.builder().setSettings(settings).setKafkaProperties(kafkaProperties(settings)).build();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    job.addTo(env);
    env.execute(FlinkForecastJob.JOB_NAME);
  }

  /**
   * The settings of a properties file.
   *
   * @throws IOException naming the file when it cannot be read
   */
  static Map<String, String> read(Path file) throws IOException {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      properties.load(in);
    } catch (IOException e) {
      throw new IOException("cannot read settings file " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> settings = new HashMap<>();
    properties.stringPropertyNames().forEach(name -> settings.put(name, properties.getProperty(name).trim()));
    return settings;
  }

  /** The {@value #KAFKA_PREFIX} settings, prefix removed: the Kafka client properties. */
  static Map<String, String> kafkaProperties(Map<String, String> settings) {
    Map<String, String> kafka = new HashMap<>();
    settings.forEach(
        (key, value) -> {
          if (key.startsWith(KAFKA_PREFIX) && key.length() > KAFKA_PREFIX.length()) {
            kafka.put(key.substring(KAFKA_PREFIX.length()), value);
          }
        });
    return kafka;
  }
}
