package dev.sibyl.streams.flink;

import java.io.Serializable;
import java.util.List;

/**
 * How {@link InferenceFunction} reaches the model.
 *
 * @param mode direct, in-process pool or remote pool
 * @param endpoints {@code host:port} of the remote workers (remote mode only)
 * @param modelName the model's name on the pool (the artifact directory's name by default)
 * @param threads inference threads per parallel instance
 * @param callTimeoutMillis deadline of one pool call; beyond it the fallback answers
 */
record InferenceSettings(InferenceMode mode, List<String> endpoints, String modelName, int threads, long callTimeoutMillis)
    implements Serializable {

  InferenceSettings {
    endpoints = List.copyOf(endpoints);
  }
}
