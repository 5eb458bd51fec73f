package dev.sibyl.workers;

import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Real test material: ETTh1 windows and a DLinear artifact written as the CLI writes one. */
final class Ett {

  /** Rows read from ETTh1: enough for every window the tests take. */
  private static final int ROWS = 2000;

  /** ETTh1 rows, shape (rows, 7): HUFL, HULL, MUFL, MULL, LUFL, LULL, OT. */
  private static final double[][] ROWS_ETTH1 = read();

  private Ett() {}

  private static double[][] read() {
    Path file =
        Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "ett", "ETTh1.csv");
    List<double[]> rows = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file)) {
      in.readLine(); // header
      String line;
      while (rows.size() < ROWS && (line = in.readLine()) != null) {
        String[] f = line.split(",");
        double[] row = new double[f.length - 1];
        for (int i = 1; i < f.length; i++) {
          row[i - 1] = Double.parseDouble(f[i]);
        }
        rows.add(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows.toArray(new double[0][]);
  }

  /**
   * Consecutive ETTh1 windows, one per start offset.
   *
   * @return shape (count, 7, lookback); window i starts at row {@code first + i}
   */
  static double[][][] windows(int count, int lookback, int first) {
    double[][][] w = new double[count][7][lookback];
    for (int i = 0; i < count; i++) {
      for (int t = 0; t < lookback; t++) {
        double[] row = ROWS_ETTH1[first + i + t];
        for (int c = 0; c < 7; c++) {
          w[i][c][t] = row[c];
        }
      }
    }
    return w;
  }

  /** Writes a DLinear artifact (seeded weights) to {@code dir} and returns the model. */
  static Dlinear dlinearArtifact(Path dir, int lookback, int horizon, long seed)
      throws IOException {
    Dlinear model = new DlinearFamily().create(Map.of(), lookback, horizon, seed);
    Manifest manifest =
        new Manifest(
            Artifacts.FORMAT_VERSION,
            model.family(),
            model.version(),
            model.hyperparameters(),
            lookback,
            horizon,
            "00",
            Map.of(),
            0,
            "ETTh1.csv",
            Artifacts.now());
    Artifacts.save(dir, manifest, model);
    return model;
  }
}
