package dev.sibyl.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * Stands in for Confluent Schema Registry, which cannot run here (its server and client are not on
 * Maven Central, and there is no Docker engine). It implements, in memory and over real HTTP
 * (com.sun.net.httpserver on an ephemeral loopback port), just the endpoints the serdes use, with
 * the registry's JSON shapes and error codes:
 *
 * <ul>
 *   <li>{@code POST /subjects/{s}/versions} {@code {"schema": ...}} -> {@code {"id": n}}; an id is
 *       registry-wide (the same schema under two subjects gets one id); a schema that cannot read
 *       the subject's latest version is refused with 409 (BACKWARD compatibility, the default);
 *   <li>{@code POST /subjects/{s}} {@code {"schema": ...}} -> {@code {"subject", "id", "version",
 *       "schema"}}, or 404 with error code 40401 (no subject) / 40403 (schema not under it);
 *   <li>{@code GET /schemas/ids/{id}} -> {@code {"schema": ...}}, or 404 with error code 40403.
 * </ul>
 *
 * Optionally it demands basic auth (401 otherwise) and serves HTTPS. It records every request so
 * that tests can count them and inspect headers.
 */
final class InMemorySchemaRegistryServer implements AutoCloseable {

  /** One request as received. */
  record ReceivedRequest(String method, String path, String authorization, String contentType) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern REGISTER = Pattern.compile("/subjects/([^/]+)/versions");
  private static final Pattern LOOKUP = Pattern.compile("/subjects/([^/]+)");
  private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(-?\\d+)");

  private final HttpServer server;
  private final String url;
  private final String expectedAuthorization;

  // Guarded by this: the registry's state and the request log.
  private final Map<Integer, String> schemaById = new HashMap<>();
  private final Map<String, Integer> idBySchema = new HashMap<>();
  private final Map<String, List<Integer>> versionsBySubject = new HashMap<>();
  private final List<ReceivedRequest> received = new ArrayList<>();

  private InMemorySchemaRegistryServer(HttpServer server, String scheme, String userInfo) {
    this.server = server;
    this.expectedAuthorization =
        userInfo == null
            ? null
            : "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    server.createContext("/", this::handle);
    server.start();
    this.url = scheme + "://127.0.0.1:" + server.getAddress().getPort();
  }

  /** A plain-HTTP registry without authentication. */
  static InMemorySchemaRegistryServer start() {
    return startWithBasicAuth(null);
  }

  /**
   * A plain-HTTP registry that answers 401 unless the request carries these credentials.
   *
   * @param userInfo {@code user:password}; null requires none
   */
  static InMemorySchemaRegistryServer startWithBasicAuth(String userInfo) {
    try {
      return new InMemorySchemaRegistryServer(
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0),
          "http",
          userInfo);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the in-memory schema registry", e);
    }
  }

  /**
   * An HTTPS registry.
   *
   * @param tls the server's TLS context (its key and, for client auth, its trusted certificates)
   * @param needClientAuth whether clients must present a certificate (mutual TLS)
   */
  static InMemorySchemaRegistryServer startHttps(SSLContext tls, boolean needClientAuth) {
    try {
      HttpsServer https =
          HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      https.setHttpsConfigurator(
          new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
              SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
              parameters.setNeedClientAuth(needClientAuth);
              params.setSSLParameters(parameters);
            }
          });
      return new InMemorySchemaRegistryServer(https, "https", null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the in-memory schema registry", e);
    }
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234}. */
  String url() {
    return url;
  }

  /** Every request received so far, oldest first. */
  synchronized List<ReceivedRequest> requests() {
    return List.copyOf(received);
  }

  /** The number of requests received so far. */
  synchronized int requestCount() {
    return received.size();
  }

  /** The subjects that have at least one version. */
  synchronized List<String> subjects() {
    return List.copyOf(versionsBySubject.keySet());
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
      String body = readBody(exchange.getRequestBody());
      synchronized (this) {
        received.add(new ReceivedRequest(method, path, authorization, contentType));
      }
      if (expectedAuthorization != null && !expectedAuthorization.equals(authorization)) {
        reply(exchange, 401, error(401, "Unauthorized"));
        return;
      }
      Matcher register = REGISTER.matcher(path);
      Matcher lookup = LOOKUP.matcher(path);
      Matcher byId = BY_ID.matcher(path);
      if (method.equals("POST") && register.matches()) {
        answerPost(exchange, contentType, body, register.group(1), true);
      } else if (method.equals("POST") && lookup.matches()) {
        answerPost(exchange, contentType, body, lookup.group(1), false);
      } else if (method.equals("GET") && byId.matches()) {
        answerGetById(exchange, Integer.parseInt(byId.group(1)));
      } else {
        reply(exchange, 404, error(404, "HTTP 404 Not Found"));
      }
    }
  }

  private void answerPost(
      HttpExchange exchange, String contentType, String body, String subject, boolean register)
      throws IOException {
    if (contentType == null
        || !(contentType.startsWith(SchemaRegistryClient.CONTENT_TYPE)
            || contentType.startsWith("application/json"))) {
      reply(exchange, 415, error(415, "HTTP 415 Unsupported Media Type"));
      return;
    }
    Schema schema;
    try {
      JsonNode request = JSON.readTree(body);
      schema = new Schema.Parser().parse(request.get("schema").asText());
    } catch (IOException | RuntimeException e) {
      reply(exchange, 422, error(42201, "Invalid schema: " + e.getMessage()));
      return;
    }
    String key = schema.toString();
    synchronized (this) {
      List<Integer> versions = versionsBySubject.get(subject);
      Integer id = idBySchema.get(key);
      boolean underSubject = versions != null && id != null && versions.contains(id);
      if (!register) {
        if (versions == null) {
          reply(exchange, 404, error(40401, "Subject '" + subject + "' not found."));
        } else if (!underSubject) {
          reply(exchange, 404, error(40403, "Schema not found"));
        } else {
          reply(
              exchange,
              200,
              Map.of(
                  "subject", subject,
                  "id", id,
                  "version", versions.indexOf(id) + 1,
                  "schema", key));
        }
        return;
      }
      if (!underSubject && versions != null && !versions.isEmpty()) {
        Schema latest = new Schema.Parser().parse(schemaById.get(versions.get(versions.size() - 1)));
        SchemaCompatibility.SchemaPairCompatibility check =
            SchemaCompatibility.checkReaderWriterCompatibility(schema, latest);
        if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
          reply(
              exchange,
              409,
              error(
                  409,
                  "Schema being registered is incompatible with an earlier schema for subject \""
                      + subject + "\", details: " + check.getDescription()));
          return;
        }
      }
      if (id == null) {
        id = schemaById.size() + 1;
        schemaById.put(id, key);
        idBySchema.put(key, id);
      }
      if (!underSubject) {
        versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
      }
      reply(exchange, 200, Map.of("id", id));
    }
  }

  private void answerGetById(HttpExchange exchange, int id) throws IOException {
    String schema;
    synchronized (this) {
      schema = schemaById.get(id);
    }
    if (schema == null) {
      reply(exchange, 404, error(40403, "Schema " + id + " not found"));
    } else {
      reply(exchange, 200, Map.of("schema", schema));
    }
  }

  private static Map<String, Object> error(int code, String message) {
    return Map.of("error_code", code, "message", message);
  }

  private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", SchemaRegistryClient.CONTENT_TYPE);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String readBody(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }
}
