package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SchemaRegistryClientTest {

  private static final Schema TELEMETRY = TelemetryPoint.getClassSchema();
  private static final Schema FORECAST = Forecast.getClassSchema();

  private InMemorySchemaRegistryServer server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private SchemaRegistryClient clientOf(String url, Map<String, Object> extra) {
    Map<String, Object> configs = new HashMap<>(extra);
    configs.put(SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, url);
    return SchemaRegistryClient.fromConfigs(configs);
  }

  @Test
  void registersAndReadsBackById() {
    server = InMemorySchemaRegistryServer.start();
    SchemaRegistryClient client = clientOf(server.url(), Map.of());

    int telemetryId = client.register("telemetry-value", TELEMETRY);
    int forecastId = client.register("forecasts-value", FORECAST);

    assertThat(telemetryId).isNotEqualTo(forecastId);
    SchemaRegistryClient fresh = clientOf(server.url(), Map.of());
    assertThat(fresh.getById(telemetryId)).isEqualTo(TELEMETRY);
    assertThat(fresh.getById(forecastId)).isEqualTo(FORECAST);
    assertThat(server.subjects()).containsExactlyInAnyOrder("telemetry-value", "forecasts-value");
  }

  @Test
  void sendsTheRegistryContentType() {
    server = InMemorySchemaRegistryServer.start();

    clientOf(server.url(), Map.of()).register("telemetry-value", TELEMETRY);

    assertThat(server.requests())
        .singleElement()
        .satisfies(
            request -> {
              assertThat(request.method()).isEqualTo("POST");
              assertThat(request.path()).isEqualTo("/subjects/telemetry-value/versions");
              assertThat(request.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
            });
  }

  @Test
  void lookupFindsARegisteredSchemaWithoutRegistering() {
    server = InMemorySchemaRegistryServer.start();
    int id = clientOf(server.url(), Map.of()).register("telemetry-value", TELEMETRY);

    int found = clientOf(server.url(), Map.of()).lookup("telemetry-value", TELEMETRY);

    assertThat(found).isEqualTo(id);
    assertThat(server.requests().get(1).path()).isEqualTo("/subjects/telemetry-value");
  }

  @Test
  void lookupOfAnUnknownSubjectNamesUrlStatusAndMessage() {
    server = InMemorySchemaRegistryServer.start();
    SchemaRegistryClient client = clientOf(server.url(), Map.of());

    assertThatThrownBy(() -> client.lookup("nowhere-value", TELEMETRY))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.isNotFound()).isTrue();
              assertThat(e.errorCode()).isEqualTo(40401);
            })
        .hasMessage(
            "schema registry POST "
                + server.url()
                + "/subjects/nowhere-value answered HTTP 404 (error code 40401): Subject"
                + " 'nowhere-value' not found.");
  }

  @Test
  void secondGetByIdIsServedFromTheCache() {
    server = InMemorySchemaRegistryServer.start();
    int id = clientOf(server.url(), Map.of()).register("telemetry-value", TELEMETRY);
    SchemaRegistryClient reader = clientOf(server.url(), Map.of());
    int before = server.requestCount();

    reader.getById(id);
    reader.getById(id);

    assertThat(server.requestCount() - before).isEqualTo(1);
  }

  @Test
  void registerAnswersFromTheCacheAndPrimesGetById() {
    server = InMemorySchemaRegistryServer.start();
    SchemaRegistryClient client = clientOf(server.url(), Map.of());

    int id = client.register("telemetry-value", TELEMETRY);
    client.register("telemetry-value", TELEMETRY);
    client.getById(id);

    assertThat(server.requestCount()).isEqualTo(1);
  }

  @Test
  void unknownIdNamesUrlStatusAndRegistryMessage() {
    server = InMemorySchemaRegistryServer.start();
    SchemaRegistryClient client = clientOf(server.url(), Map.of());

    assertThatThrownBy(() -> client.getById(99))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.httpStatus()).isEqualTo(404);
              assertThat(e.errorCode()).isEqualTo(40403);
            })
        .hasMessage(
            "schema registry GET "
                + server.url()
                + "/schemas/ids/99 answered HTTP 404 (error code 40403): Schema 99 not found");
  }

  @Test
  void incompatibleSchemaIsRefusedWithTheRegistryMessage() {
    server = InMemorySchemaRegistryServer.start();
    SchemaRegistryClient client = clientOf(server.url(), Map.of());
    client.register("telemetry-value", TELEMETRY);

    assertThatThrownBy(() -> client.register("telemetry-value", FORECAST))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("/subjects/telemetry-value/versions answered HTTP 409")
        .hasMessageContaining("incompatible with an earlier schema for subject \"telemetry-value\"");
  }

  @Test
  void sendsBasicAuthFromUserInfo() {
    server = InMemorySchemaRegistryServer.startWithBasicAuth("sibyl:s3cret");
    SchemaRegistryClient client =
        clientOf(
            server.url(),
            Map.of(
                SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO",
                SerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, "sibyl:s3cret"));

    int id = client.register("telemetry-value", TELEMETRY);

    assertThat(id).isPositive();
    String expected =
        "Basic " + Base64.getEncoder().encodeToString("sibyl:s3cret".getBytes(StandardCharsets.UTF_8));
    assertThat(server.requests()).extracting(r -> r.authorization()).containsExactly(expected);
  }

  @Test
  void sendsBasicAuthFromTheUrlAndKeepsItOutOfTheUrl() {
    server = InMemorySchemaRegistryServer.startWithBasicAuth("sibyl:s3cret");
    String withUserInfo = server.url().replace("http://", "http://sibyl:s3cret@");
    SchemaRegistryClient client = clientOf(withUserInfo, Map.of());

    client.register("telemetry-value", TELEMETRY);

    assertThat(client.url()).isEqualTo(server.url());
    assertThat(server.requests()).singleElement().extracting(r -> r.authorization()).isNotNull();
  }

  @Test
  void wrongCredentialsGiveAClear401() {
    server = InMemorySchemaRegistryServer.startWithBasicAuth("sibyl:s3cret");
    SchemaRegistryClient client =
        clientOf(
            server.url(),
            Map.of(
                SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO",
                SerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, "sibyl:wrong"));

    assertThatThrownBy(() -> client.getById(1))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401))
        .hasMessage(
            "schema registry GET "
                + server.url()
                + "/schemas/ids/1 answered HTTP 401 (error code 401): Unauthorized")
        .hasMessageNotContaining("wrong");
  }

  @Test
  void missingCredentialsGiveAClear401() {
    server = InMemorySchemaRegistryServer.startWithBasicAuth("sibyl:s3cret");
    SchemaRegistryClient client = clientOf(server.url(), Map.of());

    assertThatThrownBy(() -> client.register("telemetry-value", TELEMETRY))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("answered HTTP 401 (error code 401): Unauthorized");
    assertThat(server.requests()).singleElement().extracting(r -> r.authorization()).isNull();
  }

  @Test
  void unreachableRegistryNamesTheUrl() throws Exception {
    int freePort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      freePort = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + freePort;
    SchemaRegistryClient client = clientOf(url, Map.of());

    assertThatThrownBy(() -> client.getById(1))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> assertThat(e.httpStatus()).isEqualTo(SchemaRegistryException.NO_STATUS))
        .hasMessageStartingWith("cannot reach schema registry: GET " + url + "/schemas/ids/1 failed:")
        .hasMessageContaining("ConnectException");
  }

  @Test
  void keepsAPathPrefixOfTheBaseUrl() {
    server = InMemorySchemaRegistryServer.start();
    SchemaRegistryClient client = clientOf(server.url() + "/registry/", Map.of());

    assertThatThrownBy(() -> client.getById(1))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining(server.url() + "/registry/schemas/ids/1 answered HTTP 404");
    assertThat(server.requests()).singleElement().extracting(r -> r.path())
        .isEqualTo("/registry/schemas/ids/1");
  }

  @Test
  void requiresAUrl() {
    assertThatThrownBy(() -> SchemaRegistryClient.fromConfigs(Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("schema.registry.url is empty; a registry client needs a URL");
  }
}
