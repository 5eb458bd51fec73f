package dev.sibyl.schemas.serde;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * The previous versions of the project's record schemas, kept as class-path resources so that
 * records written by older producers still decode into the current classes.
 *
 * <p>Layout: {@value #DIRECTORY}{@value #INDEX} lists one file name a line ({@code #} starts a
 * comment); each file {@code <RecordName>-v<N>.avsc} holds version N of record {@code
 * dev.sibyl.schemas.<RecordName>}, self-contained (nested records inlined). The current version
 * is the generated class's schema and is not listed. To change a schema: copy the current {@code
 * .avsc} here as the next version, list it, then edit the current one (new fields need defaults).
 */
public final class SchemaHistory {

  /** Resource directory of the historical schemas. */
  static final String DIRECTORY = "dev/sibyl/schemas/history/";

  /** The index file in {@link #DIRECTORY}. */
  static final String INDEX = "index.txt";

  private static final Pattern FILE_NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)-v(\\d+)\\.avsc");

  private SchemaHistory() {}

  /**
   * The previous versions of a record type's schema.
   *
   * @param type a generated record class; never null
   * @return oldest first; empty when the type has no history; never null; the schemas are shared,
   *     do not modify them
   * @throws IllegalStateException when the history resources are malformed (a packaging defect)
   */
  public static List<Schema> previousVersions(Class<? extends SpecificRecord> type) {
    Objects.requireNonNull(type, "type");
    return previousVersions(SpecificData.get().getSchema(type).getFullName());
  }

  /**
   * The previous versions of a record schema, by full name.
   *
   * @param fullName e.g. {@code dev.sibyl.schemas.TelemetryPoint}; never null
   * @return oldest first; empty when unknown or without history; never null
   * @throws IllegalStateException when the history resources are malformed (a packaging defect)
   */
  public static List<Schema> previousVersions(String fullName) {
    Objects.requireNonNull(fullName, "fullName");
    return Holder.BY_FULL_NAME.getOrDefault(fullName, List.of());
  }

  /** Loads the index once, on first use, thread-safely (class initialization). */
  private static final class Holder {
    static final Map<String, List<Schema>> BY_FULL_NAME = load();
  }

  private static Map<String, List<Schema>> load() {
    Map<String, List<Versioned>> found = new HashMap<>();
    for (String fileName : readLines(DIRECTORY + INDEX)) {
      Matcher matcher = FILE_NAME.matcher(fileName);
      if (!matcher.matches()) {
        throw new IllegalStateException(
            DIRECTORY + INDEX + " lists '" + fileName + "', expected <RecordName>-v<N>.avsc");
      }
      Schema schema = parse(DIRECTORY + fileName);
      if (!schema.getName().equals(matcher.group(1))) {
        throw new IllegalStateException(
            DIRECTORY + fileName + " holds record " + schema.getFullName()
                + ", but its name says " + matcher.group(1));
      }
      found
          .computeIfAbsent(schema.getFullName(), name -> new ArrayList<>())
          .add(new Versioned(Integer.parseInt(matcher.group(2)), schema));
    }
    Map<String, List<Schema>> byName = new HashMap<>();
    found.forEach(
        (name, versions) ->
            byName.put(
                name,
                versions.stream()
                    .sorted(Comparator.comparingInt(Versioned::version))
                    .map(Versioned::schema)
                    .toList()));
    return Map.copyOf(byName);
  }

  private static List<String> readLines(String resource) {
    List<String> lines = new ArrayList<>();
    try (InputStream in = open(resource);
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        String entry = line.strip();
        if (!entry.isEmpty() && !entry.startsWith("#")) {
          lines.add(entry);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + resource + ": " + e, e);
    }
    return lines;
  }

  private static Schema parse(String resource) {
    try (InputStream in = open(resource)) {
      return new Schema.Parser().parse(in);
    } catch (IOException | SchemaParseException e) {
      throw new IllegalStateException("cannot parse schema resource " + resource + ": " + e, e);
    }
  }

  private static InputStream open(String resource) {
    InputStream in = SchemaHistory.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("resource " + resource + " is missing from the class path");
    }
    return in;
  }

  private record Versioned(int version, Schema schema) {}
}
