package dev.sibyl.schemas.serde;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.errors.InterruptException;

/**
 * A small client of the Confluent Schema Registry REST API, covering what the serdes need:
 *
 * <ul>
 *   <li>{@code POST /subjects/{subject}/versions} with {@code {"schema": "<avro json>"}}, answered
 *       by {@code {"id": n}}: register (idempotent for a schema already there);
 *   <li>{@code POST /subjects/{subject}} with the same body, answered by {@code {"id": n, ...}} or
 *       404: look the id of a registered schema up;
 *   <li>{@code GET /schemas/ids/{id}}, answered by {@code {"schema": "<avro json>"}} or 404.
 * </ul>
 *
 * Requests carry {@code Content-Type} and {@code Accept} {@value #CONTENT_TYPE}; errors come back
 * as {@code {"error_code": n, "message": "..."}}. Confluent's own client is not on Maven Central,
 * hence this one.
 *
 * <p>Ids are immutable in a registry, so every answer is cached (bounded, see {@link
 * SerdeConfig#SCHEMA_REGISTRY_CACHE_CAPACITY_CONFIG}) and asked for once per client. Basic auth
 * and TLS come from {@link SerdeConfig}. Instances are thread-safe.
 */
public final class SchemaRegistryClient {

  /** The registry's media type, sent as Content-Type and Accept. */
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI baseUri;
  private final String displayUrl;
  private final Optional<String> authorization;
  private final Duration timeout;
  private final HttpClient http;
  private final BoundedCache<Integer, Schema> schemasById;
  private final BoundedCache<SubjectSchema, Integer> idsBySubjectSchema;

  /**
   * A client of the registry at {@code schema.registry.url}.
   *
   * @param config the serde configuration; never null
   * @throws ConfigException when the URL is empty, or a TLS store cannot be read
   */
  public SchemaRegistryClient(SerdeConfig config) {
    Objects.requireNonNull(config, "config");
    String url = config.registryUrl();
    if (url.isEmpty()) {
      throw new ConfigException(
          SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG + " is empty; a registry client needs a URL");
    }
    URI configured = URI.create(url);
    // User info stays out of request URLs and error messages; it travels as a header instead.
    this.baseUri = withoutUserInfo(configured);
    this.displayUrl = baseUri.toString();
    this.authorization = authorizationHeader(config, configured);
    this.timeout = config.requestTimeout();
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
    Optional<SSLContext> ssl = RegistrySslContexts.create(config);
    ssl.ifPresent(builder::sslContext);
    this.http = builder.build();
    this.schemasById = new BoundedCache<>(config.cacheCapacity());
    this.idsBySubjectSchema = new BoundedCache<>(config.cacheCapacity());
  }

  /**
   * A client built from raw settings.
   *
   * @param configs serde settings (see {@link SerdeConfig}); never null
   * @return a client
   * @throws ConfigException when the settings are invalid or carry no registry URL
   */
  public static SchemaRegistryClient fromConfigs(Map<String, ?> configs) {
    return new SchemaRegistryClient(new SerdeConfig(configs));
  }

  /**
   * The registry's base URL, without user info.
   *
   * @return the URL; never null
   */
  public String url() {
    return displayUrl;
  }

  /**
   * Registers a schema under a subject, or finds its id when it is registered already.
   *
   * @param subject the subject, e.g. {@code telemetry-value}; never null
   * @param schema the schema; never null
   * @return the registry-wide schema id
   * @throws SchemaRegistryException when the registry cannot be reached or refuses the schema
   *     (e.g. HTTP 409 for a schema incompatible with the subject's previous version)
   */
  public int register(String subject, Schema schema) {
    return idsBySubjectSchema.computeIfAbsent(
        new SubjectSchema(subject, schema),
        key -> {
          int id = postSchema("/subjects/" + encode(subject) + "/versions", schema).get("id").asInt();
          schemasById.put(id, schema);
          return id;
        });
  }

  /**
   * Looks up the id of a schema already registered under a subject, without registering it.
   *
   * @param subject the subject; never null
   * @param schema the schema; never null
   * @return the registry-wide schema id
   * @throws SchemaRegistryException when the registry cannot be reached, or answers 404 because
   *     the subject or the schema under it does not exist ({@link
   *     SchemaRegistryException#isNotFound()})
   */
  public int lookup(String subject, Schema schema) {
    return idsBySubjectSchema.computeIfAbsent(
        new SubjectSchema(subject, schema),
        key -> {
          int id = postSchema("/subjects/" + encode(subject), schema).get("id").asInt();
          schemasById.put(id, schema);
          return id;
        });
  }

  /**
   * The schema registered under an id.
   *
   * @param id the schema id from a record's header
   * @return the schema; never null. Shared with other callers: do not modify it
   * @throws SchemaRegistryException when the registry cannot be reached, or answers 404 because
   *     no schema has that id ({@link SchemaRegistryException#isNotFound()})
   */
  public Schema getById(int id) {
    return schemasById.computeIfAbsent(
        id,
        key -> {
          String path = "/schemas/ids/" + id;
          JsonNode answer = send("GET", path, null);
          String text = field(answer, "schema", "GET", path).asText();
          try {
            return new Schema.Parser().parse(text);
          } catch (SchemaParseException e) {
            throw new SchemaRegistryException(
                "schema registry GET " + resolve(path) + " returned an unparsable Avro schema: "
                    + e.getMessage(),
                200,
                SchemaRegistryException.NO_ERROR_CODE,
                e);
          }
        });
  }

  private JsonNode postSchema(String path, Schema schema) {
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
    } catch (JsonProcessingException e) {
      // A Map of two strings always serializes; reaching this is a Jackson defect.
      throw new IllegalStateException("cannot write the request body for " + path, e);
    }
    JsonNode answer = send("POST", path, body);
    field(answer, "id", "POST", path);
    return answer;
  }

  /** Sends one request; answers 2xx as parsed JSON, everything else as an exception. */
  private JsonNode send(String method, String path, String body) {
    URI uri = resolve(path);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", CONTENT_TYPE);
    authorization.ifPresent(value -> request.header("Authorization", value));
    if (body == null) {
      request.GET();
    } else {
      request.header("Content-Type", CONTENT_TYPE);
      request.POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new SchemaRegistryException(
          "cannot reach schema registry: " + method + " " + uri + " failed: " + e,
          SchemaRegistryException.NO_STATUS,
          SchemaRegistryException.NO_ERROR_CODE,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException("interrupted during schema registry " + method + " " + uri, e);
    }
    int status = response.statusCode();
    if (status / 100 != 2) {
      throw errorFrom(method, uri, status, response.body());
    }
    try {
      return JSON.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw new SchemaRegistryException(
          "schema registry " + method + " " + uri + " answered HTTP " + status
              + " with a body that is not JSON: " + abbreviate(response.body()),
          status,
          SchemaRegistryException.NO_ERROR_CODE,
          e);
    }
  }

  /** Builds the exception for an error answer, using the registry's JSON error when present. */
  private static SchemaRegistryException errorFrom(String method, URI uri, int status, String body) {
    int code = SchemaRegistryException.NO_ERROR_CODE;
    String detail = abbreviate(body);
    try {
      JsonNode error = JSON.readTree(body);
      if (error != null && error.hasNonNull("message")) {
        detail = error.get("message").asText();
        code = error.path("error_code").asInt(SchemaRegistryException.NO_ERROR_CODE);
      }
    } catch (JsonProcessingException e) {
      // Proxies and misconfigured servers answer HTML or plain text; the raw body is the detail.
      detail = abbreviate(body);
    }
    String codeText = code == SchemaRegistryException.NO_ERROR_CODE ? "" : " (error code " + code + ")";
    return new SchemaRegistryException(
        "schema registry " + method + " " + uri + " answered HTTP " + status + codeText + ": "
            + (detail.isEmpty() ? "(empty body)" : detail),
        status,
        code,
        null);
  }

  private JsonNode field(JsonNode answer, String name, String method, String path) {
    if (answer == null || !answer.hasNonNull(name)) {
      throw new SchemaRegistryException(
          "schema registry " + method + " " + resolve(path) + " answered without a \"" + name
              + "\" field: " + abbreviate(String.valueOf(answer)),
          200,
          SchemaRegistryException.NO_ERROR_CODE,
          null);
    }
    return answer.get(name);
  }

  private URI resolve(String path) {
    // The base may carry a path prefix (a registry behind a reverse proxy): append, do not replace.
    String base = displayUrl.endsWith("/") ? displayUrl.substring(0, displayUrl.length() - 1) : displayUrl;
    return URI.create(base + path);
  }

  /** Percent-encodes one path segment (URLEncoder targets forms, hence the '+' fix). */
  private static String encode(String segment) {
    Objects.requireNonNull(segment, "subject");
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String abbreviate(String text) {
    String single = text == null ? "" : text.strip().replaceAll("\\s+", " ");
    return single.length() <= 300 ? single : single.substring(0, 300) + "...";
  }

  private static URI withoutUserInfo(URI uri) {
    try {
      return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
    } catch (URISyntaxException e) {
      // The validator accepted the URL already, and dropping parts cannot make it invalid.
      throw new IllegalStateException("cannot strip user info from the registry URL", e);
    }
  }

  private static Optional<String> authorizationHeader(SerdeConfig config, URI configured) {
    String userInfo;
    if (SerdeConfig.CREDENTIALS_SOURCE_USER_INFO.equals(config.basicAuthCredentialsSource())) {
      Password password = config.basicAuthUserInfo();
      userInfo = password.value();
    } else {
      String raw = configured.getRawUserInfo();
      if (raw == null || raw.isEmpty()) {
        return Optional.empty();
      }
      userInfo = URLDecoder.decode(raw, StandardCharsets.UTF_8);
    }
    String token = Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    return Optional.of("Basic " + token);
  }

  /** Cache key of a subject's schema. Avro's Schema has value equality and a cached hash. */
  private record SubjectSchema(String subject, Schema schema) {}
}
