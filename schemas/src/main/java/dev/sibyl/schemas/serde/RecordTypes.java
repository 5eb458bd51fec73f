package dev.sibyl.schemas.serde;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.TelemetryPoint;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/** The project's record types: what {@link RecordDecoder} can recognise without being told. */
public final class RecordTypes {

  private static final List<Class<? extends SpecificRecord>> ALL =
      List.of(
          TelemetryPoint.class,
          ForecastPoint.class,
          Forecast.class,
          AnomalyFlag.class,
          HealthEstimate.class,
          DeadLetter.class);

  private RecordTypes() {}

  /**
   * Every record type.
   *
   * @return an immutable list; never null
   */
  public static List<Class<? extends SpecificRecord>> all() {
    return ALL;
  }

  /**
   * The record type with a schema full name.
   *
   * @param fullName e.g. {@code dev.sibyl.schemas.Forecast}; never null
   * @return the class, or empty when the name is none of the project's types
   */
  public static Optional<Class<? extends SpecificRecord>> forFullName(String fullName) {
    Objects.requireNonNull(fullName, "fullName");
    return ALL.stream()
        .filter(type -> SpecificData.get().getSchema(type).getFullName().equals(fullName))
        .findFirst();
  }
}
