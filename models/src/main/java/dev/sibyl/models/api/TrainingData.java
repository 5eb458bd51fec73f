package dev.sibyl.models.api;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The rows a model trains on, already scaled, split in time. Windows are cut from each split with
 * stride 1: window {@code i} is rows {@code [i, i + lookback)} and its target rows {@code [i +
 * lookback, i + lookback + horizon)}, so a split of n rows has {@code n - lookback - horizon + 1}.
 *
 * @param name the data set's name (the file name), for the manifest and reports; not null
 * @param train training rows; shape (rows, channels); not null
 * @param validation validation rows, including the lookback rows before the validation period;
 *     shape (rows, channels); not null
 * @param lookback L
 * @param horizon H
 * @param trainTimes the training rows' times, epoch milliseconds, when the data has a date column
 *     (a family that writes calendar times into its input needs them); shape (train rows); null
 *     when unknown
 * @param validationTimes the validation rows' times; shape (validation rows); null exactly when
 *     {@code trainTimes} is
 */
public record TrainingData(
    String name,
    double[][] train,
    double[][] validation,
    int lookback,
    int horizon,
    long[] trainTimes,
    long[] validationTimes) {

  /**
   * Rows without times.
   *
   * @param name the data set's name
   * @param train training rows; shape (rows, channels)
   * @param validation validation rows; shape (rows, channels)
   * @param lookback L
   * @param horizon H
   */
  public TrainingData(String name, double[][] train, double[][] validation, int lookback, int horizon) {
    this(name, train, validation, lookback, horizon, null, null);
  }

  /**
   * Checks the shapes.
   *
   * @throws IllegalArgumentException when L or H is not positive, a split is too short for one
   *     window, the rows are ragged, or the times do not match the rows
   */
  public TrainingData {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(validation, "validation");
    if (lookback < 1 || horizon < 1) {
      throw new IllegalArgumentException(
          "lookback and horizon must be >= 1, got " + lookback + " and " + horizon);
    }
    for (double[][] split : new double[][][] {train, validation}) {
      if (split.length < lookback + horizon) {
        throw new IllegalArgumentException(
            "a split needs at least lookback + horizon = "
                + (lookback + horizon)
                + " rows, got "
                + split.length);
      }
      for (double[] row : split) {
        if (row.length != train[0].length) {
          throw new IllegalArgumentException(
              "every row needs " + train[0].length + " channels, got " + row.length);
        }
      }
    }
    if ((trainTimes == null) != (validationTimes == null)) {
      throw new IllegalArgumentException("give the times of both splits or of neither");
    }
    if (trainTimes != null
        && (trainTimes.length != train.length || validationTimes.length != validation.length)) {
      throw new IllegalArgumentException(
          "one time per row: train " + train.length + " rows and " + trainTimes.length
              + " times, validation " + validation.length + " rows and " + validationTimes.length + " times");
    }
  }

  /** Whether the rows carry their times. */
  public boolean hasTimes() {
    return trainTimes != null;
  }

  /**
   * The same rows with their times.
   *
   * @param trainTimes the training rows' times; shape (train rows); not null
   * @param validationTimes the validation rows' times; shape (validation rows); not null
   * @return the copy
   * @throws IllegalArgumentException when a length differs from its split's rows
   */
  public TrainingData withTimes(long[] trainTimes, long[] validationTimes) {
    Objects.requireNonNull(trainTimes, "trainTimes");
    Objects.requireNonNull(validationTimes, "validationTimes");
    return new TrainingData(name, train, validation, lookback, horizon, trainTimes, validationTimes);
  }

  /** Number of channels. */
  public int channels() {
    return train[0].length;
  }

  /** Training windows: {@code train.length - lookback - horizon + 1}. */
  public int trainWindows() {
    return train.length - lookback - horizon + 1;
  }

  /** Validation windows: {@code validation.length - lookback - horizon + 1}. */
  public int validationWindows() {
    return validation.length - lookback - horizon + 1;
  }

  /**
   * SHA-256 of the training rows: every value as its IEEE 754 double bits, big-endian, row by row.
   * Identifies the data an artifact was trained on (after scaling).
   *
   * @return 64 lowercase hex digits
   */
  public String fingerprint() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      ByteBuffer buffer = ByteBuffer.allocate(8 * channels());
      for (double[] row : train) {
        buffer.clear();
        for (double v : row) {
          buffer.putDouble(v);
        }
        sha.update(buffer.array(), 0, buffer.position());
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256, which every Java SE must", e);
    }
  }
}
