package dev.sibyl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SerdeConfigTest {

  @Test
  void emptyMapGivesEveryDefault() {
    SerdeConfig config = new SerdeConfig(Map.of());

    assertThat(config.registryUrl()).isEmpty();
    assertThat(config.autoRegisterSchemas()).isTrue();
    assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.cacheCapacity()).isEqualTo(1000);
    assertThat(config.basicAuthCredentialsSource()).isEqualTo("URL");
    assertThat(config.basicAuthUserInfo()).isNull();
    assertThat(config.truststoreLocation()).isEmpty();
    assertThat(config.truststorePassword()).isNull();
    assertThat(config.truststoreType()).isEqualTo("JKS");
    assertThat(config.keystoreLocation()).isEmpty();
    assertThat(config.keystorePassword()).isNull();
    assertThat(config.keystoreType()).isEqualTo("JKS");
    assertThat(config.keyPassword()).isNull();
    assertThat(SerdeConfig.configDef().names())
        .containsExactlyInAnyOrder(
            SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG,
            SerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG,
            SerdeConfig.SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG,
            SerdeConfig.SCHEMA_REGISTRY_CACHE_CAPACITY_CONFIG,
            SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG,
            SerdeConfig.BASIC_AUTH_USER_INFO_CONFIG,
            SerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG,
            SerdeConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG,
            SerdeConfig.SSL_TRUSTSTORE_TYPE_CONFIG,
            SerdeConfig.SSL_KEYSTORE_LOCATION_CONFIG,
            SerdeConfig.SSL_KEYSTORE_PASSWORD_CONFIG,
            SerdeConfig.SSL_KEYSTORE_TYPE_CONFIG,
            SerdeConfig.SSL_KEY_PASSWORD_CONFIG);
  }

  @Test
  void unknownKeysAreIgnored() {
    SerdeConfig config = new SerdeConfig(Map.of("bootstrap.servers", "localhost:9092"));

    assertThat(config.registryUrl()).isEmpty();
  }

  @Test
  void rejectsANonHttpUrl() {
    assertThatThrownBy(
            () -> new SerdeConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "ftp://reg:8081")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema.registry.url")
        .hasMessageContaining("the scheme must be http or https");
  }

  @Test
  void rejectsSeveralUrls() {
    assertThatThrownBy(
            () ->
                new SerdeConfig(
                    Map.of(SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://a:8081,http://b:8081")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("only one registry URL is supported");
  }

  @Test
  void urlErrorsHideTheUserInfoPassword() {
    assertThatThrownBy(
            () ->
                new SerdeConfig(
                    Map.of(SerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "ftp://bob:secret@reg:8081")))
        .isInstanceOf(ConfigException.class)
        .hasMessageNotContaining("secret")
        .hasMessageContaining("ftp://***@reg:8081");
  }

  @Test
  void rejectsAZeroTimeout() {
    assertThatThrownBy(
            () ->
                new SerdeConfig(
                    Map.of(SerdeConfig.SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG, "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema.registry.request.timeout.ms")
        .hasMessageContaining("Value must be at least 1");
  }

  @Test
  void rejectsAnUnknownCredentialsSource() {
    assertThatThrownBy(
            () ->
                new SerdeConfig(
                    Map.of(SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "SASL_INHERIT")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("basic.auth.credentials.source")
        .hasMessageContaining("String must be one of: URL, USER_INFO");
  }

  @Test
  void userInfoSourceRequiresUserInfo() {
    assertThatThrownBy(
            () ->
                new SerdeConfig(
                    Map.of(SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "basic.auth.credentials.source=USER_INFO requires basic.auth.user.info in the form"
                + " user:password, but it is unset");
  }

  @Test
  void userInfoWithoutColonIsRejectedWithoutEchoingIt() {
    assertThatThrownBy(
            () ->
                new SerdeConfig(
                    Map.of(
                        SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO",
                        SerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, "justatoken")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("but it has no ':'")
        .hasMessageNotContaining("justatoken");
  }

  @Test
  void userInfoIgnoredByTheUrlSourceIsRejected() {
    assertThatThrownBy(
            () -> new SerdeConfig(Map.of(SerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, "bob:secret")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "basic.auth.user.info is set but basic.auth.credentials.source=URL ignores it")
        .hasMessageNotContaining("secret");
  }

  @Test
  void keystoreRequiresItsPassword() {
    assertThatThrownBy(
            () ->
                new SerdeConfig(
                    Map.of(SerdeConfig.SSL_KEYSTORE_LOCATION_CONFIG, "client.p12")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "schema.registry.ssl.keystore.location is set but"
                + " schema.registry.ssl.keystore.password is not");
  }

  @Test
  void rejectsAnUnknownStoreType() {
    assertThatThrownBy(
            () -> new SerdeConfig(Map.of(SerdeConfig.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema.registry.ssl.truststore.type")
        .hasMessageContaining("String must be one of: JKS, PKCS12");
  }
}
