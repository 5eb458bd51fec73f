package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sibyl.schemas.TelemetryPoint;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS settings reach the client: a registry over HTTPS with mutual TLS, using a self-signed key
 * pair made by the JDK's keytool for 127.0.0.1. One PKCS12 file serves as the server's key store,
 * the client's key store and both trust stores, which keeps the test to one certificate.
 */
class SchemaRegistryClientTlsTest {

  private static final String PASSWORD = "changeit";

  @TempDir static Path dir;
  private static Path keyStore;

  @BeforeAll
  static void makeKeyStore() throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    assumeTrue(Files.isExecutable(keytool), "keytool is not in this JDK");
    keyStore = dir.resolve("registry.p12");
    Process process =
        new ProcessBuilder(
                List.of(
                    keytool.toString(), "-genkeypair", "-alias", "registry", "-keyalg", "RSA",
                    "-keysize", "2048", "-dname", "CN=127.0.0.1",
                    "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                    "-storepass", PASSWORD, "-keypass", PASSWORD))
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("keytool output: %s", output).isZero();
  }

  private static SSLContext serverContext() throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, PASSWORD.toCharArray());
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
    return context;
  }

  @Test
  void talksToAnHttpsRegistryWithMutualTls() throws Exception {
    try (InMemorySchemaRegistryServer server =
        InMemorySchemaRegistryServer.startHttps(serverContext(), true)) {
      SchemaRegistryClient client =
          SchemaRegistryClient.fromConfigs(
              Map.of(
                  SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, server.url(),
                  SerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG, keyStore.toString(),
                  SerdeConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG, PASSWORD,
                  SerdeConfig.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12",
                  SerdeConfig.SSL_KEYSTORE_LOCATION_CONFIG, keyStore.toString(),
                  SerdeConfig.SSL_KEYSTORE_PASSWORD_CONFIG, PASSWORD,
                  SerdeConfig.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12"));

      int id = client.register("telemetry-value", TelemetryPoint.getClassSchema());

      assertThat(client.url()).startsWith("https://");
      assertThat(id).isPositive();
    }
  }

  @Test
  void withoutTheTrustStoreTheHandshakeFailsNamingTheUrl() throws Exception {
    try (InMemorySchemaRegistryServer server =
        InMemorySchemaRegistryServer.startHttps(serverContext(), false)) {
      SchemaRegistryClient client =
          SchemaRegistryClient.fromConfigs(
              Map.of(SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, server.url()));

      assertThatThrownBy(() -> client.getById(1))
          .isInstanceOf(SchemaRegistryException.class)
          .hasMessageStartingWith(
              "cannot reach schema registry: GET " + server.url() + "/schemas/ids/1 failed:")
          .hasMessageContaining("SSLHandshakeException");
    }
  }

  @Test
  void aMissingTrustStoreIsAConfigError() {
    String missing = dir.resolve("absent.jks").toString();

    assertThatThrownBy(
            () ->
                SchemaRegistryClient.fromConfigs(
                    Map.of(
                        SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "https://127.0.0.1:1",
                        SerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG, missing)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema.registry.ssl.truststore.location")
        .hasMessageContaining(missing)
        .hasMessageContaining("the file does not exist or cannot be read");
  }

  @Test
  void aWrongKeyStorePasswordIsAConfigError() {
    assertThatThrownBy(
            () ->
                SchemaRegistryClient.fromConfigs(
                    Map.of(
                        SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "https://127.0.0.1:1",
                        SerdeConfig.SSL_KEYSTORE_LOCATION_CONFIG, keyStore.toString(),
                        SerdeConfig.SSL_KEYSTORE_PASSWORD_CONFIG, "wrong",
                        SerdeConfig.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema.registry.ssl.keystore.location")
        .hasMessageContaining("cannot read it as a PKCS12 store");
  }
}
