package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

class SchemaHistoryTest {

  @Test
  void findsThePreviousVersions() {
    assertThat(SchemaHistory.previousVersions(TelemetryPoint.class))
        .singleElement()
        .satisfies(v1 -> assertThat(v1.getField("labels")).isNull());
    assertThat(SchemaHistory.previousVersions(Forecast.class))
        .singleElement()
        .satisfies(v1 -> assertThat(v1.getField("degraded")).isNull());
    assertThat(SchemaHistory.previousVersions("dev.sibyl.schemas.AnomalyFlag")).isEmpty();
    assertThat(SchemaHistory.previousVersions("no.such.Record")).isEmpty();
  }

  /** The evolution rule: every current schema reads every previous version of itself. */
  @Test
  void everyCurrentSchemaReadsEveryPreviousVersion() {
    for (Class<? extends SpecificRecord> type : RecordTypes.all()) {
      Schema current = SpecificData.get().getSchema(type);
      for (Schema previous : SchemaHistory.previousVersions(type)) {
        assertThat(
                SchemaCompatibility.checkReaderWriterCompatibility(current, previous).getType())
            .as("%s reads its previous version %s", type.getSimpleName(), previous)
            .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
      }
    }
  }
}
