package dev.sibyl.models.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EttProtocolTest {

  private static Path dataset(String first, String... more) {
    Path file = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets")).resolve(Path.of(first, more));
    assumeTrue(Files.isRegularFile(file), "dataset absent: " + file.toAbsolutePath());
    return file;
  }

  @Test
  void hourlyBordersAndWindowCountsAtL96H96() {
    Protocol p = Protocol.ett(96, false, 17420);

    assertThat(p.trainStart()).isZero();
    assertThat(p.trainEnd()).isEqualTo(8640);
    assertThat(p.validationStart()).isEqualTo(8640 - 96);
    assertThat(p.validationEnd()).isEqualTo(11520);
    assertThat(p.testStart()).isEqualTo(11520 - 96);
    assertThat(p.testEnd()).isEqualTo(14400);
    // test rows [11424, 14400): 2880 + 96 = 2976 rows; windows need L + H = 192 rows each, stride 1:
    // 2976 - 192 + 1 = 2785 = 2880 - 96 + 1 (the count does not depend on L)
    assertThat(p.testEnd() - p.testStart()).isEqualTo(2976);
    assertThat(p.testWindows(96)).isEqualTo(2785);
    assertThat(p.windows(p.validationStart(), p.validationEnd(), 96)).isEqualTo(2785);
    assertThat(p.windows(p.trainStart(), p.trainEnd(), 96)).isEqualTo(8640 - 96 - 96 + 1);
    assertThat(Protocol.ett(336, false, 17420).testWindows(720)).isEqualTo(2880 - 720 + 1);
  }

  @Test
  void minuteFilesUseFourTimesTheBorders() {
    Protocol p = Protocol.ett(96, true, 69680);

    assertThat(p.trainEnd()).isEqualTo(34560);
    assertThat(p.validationEnd()).isEqualTo(46080);
    assertThat(p.testStart()).isEqualTo(46080 - 96);
    assertThat(p.testEnd()).isEqualTo(57600);
    assertThat(p.testWindows(96)).isEqualTo(11520 - 96 + 1);
    assertThatThrownBy(() -> Protocol.ett(96, true, 17420))
        .hasMessageContaining("the ETT protocol needs 57600 rows, the file has 17420");
  }

  @Test
  void csvProtocolSplits70To10To20() {
    Protocol p = Protocol.csv(10, 1000);

    assertThat(p.trainEnd()).isEqualTo(700);
    assertThat(p.validationStart()).isEqualTo(690);
    assertThat(p.validationEnd()).isEqualTo(800);
    assertThat(p.testStart()).isEqualTo(790);
    assertThat(p.testEnd()).isEqualTo(1000);
    assertThat(p.testWindows(5)).isEqualTo(200 - 5 + 1);
  }

  @Test
  void scalerSeesTheTrainRowsOnly() {
    double[][] rows = {{1, 10}, {3, 10}, {100, -50}};

    StandardScaler s = StandardScaler.fit(rows, 0, 2);

    assertThat(s.mean()).containsExactly(2, 10);
    assertThat(s.std()[0]).isEqualTo(1); // population std of {1, 3}
    assertThat(s.std()[1]).isEqualTo(1); // constant column: left centred
    assertThat(s.transform(rows)[2]).containsExactly(98, -60);
  }

  @Test
  void ettH1PersistenceMseMatchesAnIndependentComputation() throws Exception {
    Path file = dataset("ett", "ETTh1.csv");
    Table table = Table.read(file);
    int l = 96;
    int h = 96;
    Protocol p = Protocol.of(null, table, l);
    Harness.Prepared data = Harness.prepare(table, p);

    Harness.Result r = Harness.evaluate(data, (x, steps) -> persistence(x, steps), h);

    // independently: parse the file again, scale with train rows [0, 8640), repeat the last value
    List<String> lines = Files.readAllLines(file);
    assertThat(table.size()).isEqualTo(lines.size() - 1).isEqualTo(17420);
    assertThat(table.channels()).isEqualTo(7);
    double[][] raw = new double[lines.size() - 1][7];
    for (int i = 1; i < lines.size(); i++) {
      String[] cells = lines.get(i).split(",");
      for (int c = 0; c < 7; c++) {
        raw[i - 1][c] = Double.parseDouble(cells[c + 1]);
      }
    }
    double sq = 0;
    double abs = 0;
    long n = 0;
    for (int c = 0; c < 7; c++) {
      double mean = 0;
      for (int i = 0; i < 8640; i++) {
        mean += raw[i][c];
      }
      mean /= 8640;
      double var = 0;
      for (int i = 0; i < 8640; i++) {
        var += (raw[i][c] - mean) * (raw[i][c] - mean);
      }
      double std = Math.sqrt(var / 8640);
      for (int s = 11520 - l; s + l + h <= 14400; s++) {
        double last = (raw[s + l - 1][c] - mean) / std;
        for (int k = 0; k < h; k++) {
          double d = last - (raw[s + l + k][c] - mean) / std;
          sq += d * d;
          abs += Math.abs(d);
          n++;
        }
      }
    }
    assertThat(r.windows()).isEqualTo(2785);
    assertThat(n).isEqualTo(2785L * 7 * 96);
    assertThat(r.mse()).isCloseTo(sq / n, within(1e-9));
    assertThat(r.mae()).isCloseTo(abs / n, within(1e-9));
    // the train-only scaler: train rows have mean 0, the test rows do not
    assertThat(data.scaler().mean()[6]).isCloseTo(
        java.util.Arrays.stream(raw, 0, 8640).mapToDouble(row -> row[6]).average().orElseThrow(),
        within(1e-9));
  }

  private static double[][][] persistence(double[][][] x, int steps) {
    double[][][] out = new double[x.length][][];
    for (int b = 0; b < x.length; b++) {
      out[b] = new double[x[b].length][steps];
      for (int c = 0; c < x[b].length; c++) {
        java.util.Arrays.fill(out[b][c], x[b][c][x[b][c].length - 1]);
      }
    }
    return out;
  }

  @Test
  void cmapssFd001UnitsAndCappedRul() throws Exception {
    List<Cmapss.Unit> units = Cmapss.read(dataset("cmapss", "train_FD001.txt"));
    double[] rul = Cmapss.readRul(dataset("cmapss", "RUL_FD001.txt"));

    assertThat(units).hasSize(100);
    assertThat(units.stream().mapToInt(Cmapss.Unit::size).sum()).isEqualTo(20631);
    assertThat(units.get(0).unit()).isEqualTo(1);
    assertThat(units.get(0).features()[0]).hasSize(24);
    double[] target = units.get(0).cappedRul(Cmapss.RUL_CAP);
    assertThat(target[0]).isEqualTo(125);
    assertThat(target[target.length - 1]).isZero();
    assertThat(target[target.length - 11]).isEqualTo(10);
    assertThat(rul).hasSize(100);
    assertThat(Cmapss.read(dataset("cmapss", "test_FD001.txt"))).hasSize(100);
  }

  @Test
  void rmseAndPhm08Score() {
    double[] pred = {10, 20, 30};
    double[] truth = {13, 20, 20};

    assertThat(Metrics.rmse(pred, truth)).isCloseTo(Math.sqrt((9 + 0 + 100) / 3.0), within(1e-12));
    // d = -3 (early): exp(3/13) - 1; d = 10 (late): exp(1) - 1
    assertThat(Metrics.phm08Score(pred, truth))
        .isCloseTo(Math.exp(3 / 13.0) - 1 + Math.E - 1, within(1e-12));
  }
}
