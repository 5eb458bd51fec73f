package dev.sibyl.schemas.serde;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Configuration of the Avro serdes. Keys follow Confluent's names where they exist, so that one
 * properties file can serve Confluent tools and Sibyl alike.
 *
 * <p>Every key is declared once in the static definition below (type, default, validator,
 * importance); cross-key checks live in {@link #postProcessParsedConfig}.
 */
public final class SerdeConfig extends AbstractConfig {

  // ---------------------------------------------------------------- registry location

  public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
  public static final String SCHEMA_REGISTRY_URL_DOC =
      "Base URL (http or https) of one Confluent-compatible schema registry. Empty (the default)"
          + " selects Avro single-object encoding, which needs no registry. User info in the URL"
          + " (https://user:password@host) is used for basic auth when "
          + "basic.auth.credentials.source=URL.";

  // ---------------------------------------------------------------- registry behaviour

  public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";
  public static final String AUTO_REGISTER_SCHEMAS_DOC =
      "Whether the serializer registers its schema under the subject. When false, the schema"
          + " must already be registered there; the serializer only looks its id up.";

  public static final String SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG =
      "schema.registry.request.timeout.ms";
  public static final String SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_DOC =
      "Connect and response timeout of each schema registry request, in milliseconds.";
  public static final int DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

  public static final String SCHEMA_REGISTRY_CACHE_CAPACITY_CONFIG =
      "schema.registry.cache.capacity";
  public static final String SCHEMA_REGISTRY_CACHE_CAPACITY_DOC =
      "Entries kept in each of the registry client's caches (schema by id, id by subject and"
          + " schema); the least recently used entry is dropped beyond it.";
  public static final int DEFAULT_CACHE_CAPACITY = 1000;

  // ---------------------------------------------------------------- basic auth

  public static final String BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG =
      "basic.auth.credentials.source";
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE_DOC =
      "Where the registry's basic-auth credentials come from: URL (the user info of "
          + SCHEMA_REGISTRY_URL_CONFIG
          + ", none when it has none) or USER_INFO (basic.auth.user.info).";
  public static final String CREDENTIALS_SOURCE_URL = "URL";
  public static final String CREDENTIALS_SOURCE_USER_INFO = "USER_INFO";

  public static final String BASIC_AUTH_USER_INFO_CONFIG = "basic.auth.user.info";
  public static final String BASIC_AUTH_USER_INFO_DOC =
      "Basic-auth credentials as user:password; used when basic.auth.credentials.source="
          + "USER_INFO.";

  // ---------------------------------------------------------------- TLS

  public static final String SSL_TRUSTSTORE_LOCATION_CONFIG =
      "schema.registry.ssl.truststore.location";
  public static final String SSL_TRUSTSTORE_LOCATION_DOC =
      "Trust store file for https registry URLs. Empty (the default) trusts the JVM's default"
          + " certificate authorities.";

  public static final String SSL_TRUSTSTORE_PASSWORD_CONFIG =
      "schema.registry.ssl.truststore.password";
  public static final String SSL_TRUSTSTORE_PASSWORD_DOC =
      "Password of the trust store; unset reads it without an integrity check.";

  public static final String SSL_TRUSTSTORE_TYPE_CONFIG = "schema.registry.ssl.truststore.type";
  public static final String SSL_TRUSTSTORE_TYPE_DOC = "Format of the trust store: JKS or PKCS12.";

  public static final String SSL_KEYSTORE_LOCATION_CONFIG =
      "schema.registry.ssl.keystore.location";
  public static final String SSL_KEYSTORE_LOCATION_DOC =
      "Key store file holding the client certificate for registries that require mutual TLS."
          + " Empty (the default) presents no client certificate.";

  public static final String SSL_KEYSTORE_PASSWORD_CONFIG =
      "schema.registry.ssl.keystore.password";
  public static final String SSL_KEYSTORE_PASSWORD_DOC =
      "Password of the key store; required when " + SSL_KEYSTORE_LOCATION_CONFIG + " is set.";

  public static final String SSL_KEYSTORE_TYPE_CONFIG = "schema.registry.ssl.keystore.type";
  public static final String SSL_KEYSTORE_TYPE_DOC = "Format of the key store: JKS or PKCS12.";

  public static final String SSL_KEY_PASSWORD_CONFIG = "schema.registry.ssl.key.password";
  public static final String SSL_KEY_PASSWORD_DOC =
      "Password of the private key in the key store; unset means the key store password.";

  public static final String STORE_TYPE_JKS = "JKS";
  public static final String STORE_TYPE_PKCS12 = "PKCS12";

  private static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(
              SCHEMA_REGISTRY_URL_CONFIG,
              ConfigDef.Type.STRING,
              "",
              new HttpUrlValidator(),
              ConfigDef.Importance.HIGH,
              SCHEMA_REGISTRY_URL_DOC)
          .define(
              AUTO_REGISTER_SCHEMAS_CONFIG,
              ConfigDef.Type.BOOLEAN,
              true,
              ConfigDef.Importance.MEDIUM,
              AUTO_REGISTER_SCHEMAS_DOC)
          .define(
              SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG,
              ConfigDef.Type.INT,
              DEFAULT_REQUEST_TIMEOUT_MS,
              ConfigDef.Range.atLeast(1),
              ConfigDef.Importance.LOW,
              SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_DOC)
          .define(
              SCHEMA_REGISTRY_CACHE_CAPACITY_CONFIG,
              ConfigDef.Type.INT,
              DEFAULT_CACHE_CAPACITY,
              ConfigDef.Range.atLeast(1),
              ConfigDef.Importance.LOW,
              SCHEMA_REGISTRY_CACHE_CAPACITY_DOC)
          .define(
              BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG,
              ConfigDef.Type.STRING,
              CREDENTIALS_SOURCE_URL,
              ConfigDef.ValidString.in(CREDENTIALS_SOURCE_URL, CREDENTIALS_SOURCE_USER_INFO),
              ConfigDef.Importance.MEDIUM,
              BASIC_AUTH_CREDENTIALS_SOURCE_DOC)
          .define(
              BASIC_AUTH_USER_INFO_CONFIG,
              ConfigDef.Type.PASSWORD,
              null,
              ConfigDef.Importance.MEDIUM,
              BASIC_AUTH_USER_INFO_DOC)
          .define(
              SSL_TRUSTSTORE_LOCATION_CONFIG,
              ConfigDef.Type.STRING,
              "",
              ConfigDef.Importance.MEDIUM,
              SSL_TRUSTSTORE_LOCATION_DOC)
          .define(
              SSL_TRUSTSTORE_PASSWORD_CONFIG,
              ConfigDef.Type.PASSWORD,
              null,
              ConfigDef.Importance.MEDIUM,
              SSL_TRUSTSTORE_PASSWORD_DOC)
          .define(
              SSL_TRUSTSTORE_TYPE_CONFIG,
              ConfigDef.Type.STRING,
              STORE_TYPE_JKS,
              ConfigDef.ValidString.in(STORE_TYPE_JKS, STORE_TYPE_PKCS12),
              ConfigDef.Importance.LOW,
              SSL_TRUSTSTORE_TYPE_DOC)
          .define(
              SSL_KEYSTORE_LOCATION_CONFIG,
              ConfigDef.Type.STRING,
              "",
              ConfigDef.Importance.MEDIUM,
              SSL_KEYSTORE_LOCATION_DOC)
          .define(
              SSL_KEYSTORE_PASSWORD_CONFIG,
              ConfigDef.Type.PASSWORD,
              null,
              ConfigDef.Importance.MEDIUM,
              SSL_KEYSTORE_PASSWORD_DOC)
          .define(
              SSL_KEYSTORE_TYPE_CONFIG,
              ConfigDef.Type.STRING,
              STORE_TYPE_JKS,
              ConfigDef.ValidString.in(STORE_TYPE_JKS, STORE_TYPE_PKCS12),
              ConfigDef.Importance.LOW,
              SSL_KEYSTORE_TYPE_DOC)
          .define(
              SSL_KEY_PASSWORD_CONFIG,
              ConfigDef.Type.PASSWORD,
              null,
              ConfigDef.Importance.LOW,
              SSL_KEY_PASSWORD_DOC);

  /**
   * Parses and validates serde settings.
   *
   * @param originals raw settings; never null; unknown keys are ignored (the same map usually
   *     carries Kafka client settings)
   * @throws ConfigException when a value is invalid or two keys contradict each other
   */
  public SerdeConfig(Map<String, ?> originals) {
    super(DEFINITION, originals, false);
  }

  /**
   * The definition of every serde key, for documentation.
   *
   * @return a copy of the definition; never null
   */
  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  /**
   * Cross-key checks. Settings that would otherwise be ignored without a word are rejected here.
   *
   * @throws ConfigException naming both keys of a contradiction
   */
  @Override
  protected Map<String, Object> postProcessParsedConfig(Map<String, Object> parsedValues) {
    String source = (String) parsedValues.get(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG);
    Password userInfo = (Password) parsedValues.get(BASIC_AUTH_USER_INFO_CONFIG);
    if (CREDENTIALS_SOURCE_USER_INFO.equals(source)) {
      if (userInfo == null || userInfo.value().indexOf(':') < 0) {
        throw new ConfigException(
            BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG
                + "="
                + CREDENTIALS_SOURCE_USER_INFO
                + " requires "
                + BASIC_AUTH_USER_INFO_CONFIG
                + " in the form user:password"
                + (userInfo == null ? ", but it is unset" : ", but it has no ':'"));
      }
    } else if (userInfo != null) {
      throw new ConfigException(
          BASIC_AUTH_USER_INFO_CONFIG
              + " is set but "
              + BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG
              + "="
              + source
              + " ignores it; set "
              + BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG
              + "="
              + CREDENTIALS_SOURCE_USER_INFO);
    }
    String keystore = ((String) parsedValues.get(SSL_KEYSTORE_LOCATION_CONFIG)).trim();
    if (!keystore.isEmpty() && parsedValues.get(SSL_KEYSTORE_PASSWORD_CONFIG) == null) {
      throw new ConfigException(
          SSL_KEYSTORE_LOCATION_CONFIG
              + " is set but "
              + SSL_KEYSTORE_PASSWORD_CONFIG
              + " is not; a client key cannot be read without it");
    }
    return Map.of();
  }

  /**
   * The registry base URL.
   *
   * @return the URL as configured, trimmed; an empty string selects registry-less single-object
   *     encoding; never null
   */
  public String registryUrl() {
    return getString(SCHEMA_REGISTRY_URL_CONFIG).trim();
  }

  /**
   * Whether serializers register their schema.
   *
   * @return {@code auto.register.schemas}
   */
  public boolean autoRegisterSchemas() {
    return getBoolean(AUTO_REGISTER_SCHEMAS_CONFIG);
  }

  /**
   * The timeout of each registry request.
   *
   * @return a positive duration; never null
   */
  public Duration requestTimeout() {
    return Duration.ofMillis(getInt(SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG));
  }

  /**
   * The capacity of each registry client cache.
   *
   * @return at least 1
   */
  public int cacheCapacity() {
    return getInt(SCHEMA_REGISTRY_CACHE_CAPACITY_CONFIG);
  }

  /**
   * Where basic-auth credentials come from.
   *
   * @return {@link #CREDENTIALS_SOURCE_URL} or {@link #CREDENTIALS_SOURCE_USER_INFO}; never null
   */
  public String basicAuthCredentialsSource() {
    return getString(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG);
  }

  /**
   * The configured {@code user:password}.
   *
   * @return the credentials, or null when unset
   */
  public Password basicAuthUserInfo() {
    return getPassword(BASIC_AUTH_USER_INFO_CONFIG);
  }

  /**
   * The trust store file.
   *
   * @return the path, trimmed; empty when unset; never null
   */
  public String truststoreLocation() {
    return getString(SSL_TRUSTSTORE_LOCATION_CONFIG).trim();
  }

  /**
   * The trust store password.
   *
   * @return the password, or null when unset
   */
  public Password truststorePassword() {
    return getPassword(SSL_TRUSTSTORE_PASSWORD_CONFIG);
  }

  /**
   * The trust store format.
   *
   * @return {@link #STORE_TYPE_JKS} or {@link #STORE_TYPE_PKCS12}; never null
   */
  public String truststoreType() {
    return getString(SSL_TRUSTSTORE_TYPE_CONFIG);
  }

  /**
   * The key store file.
   *
   * @return the path, trimmed; empty when unset; never null
   */
  public String keystoreLocation() {
    return getString(SSL_KEYSTORE_LOCATION_CONFIG).trim();
  }

  /**
   * The key store password.
   *
   * @return the password, or null when unset (then no key store is configured either)
   */
  public Password keystorePassword() {
    return getPassword(SSL_KEYSTORE_PASSWORD_CONFIG);
  }

  /**
   * The key store format.
   *
   * @return {@link #STORE_TYPE_JKS} or {@link #STORE_TYPE_PKCS12}; never null
   */
  public String keystoreType() {
    return getString(SSL_KEYSTORE_TYPE_CONFIG);
  }

  /**
   * The private key password.
   *
   * @return the password, or null when unset (the key store password applies)
   */
  public Password keyPassword() {
    return getPassword(SSL_KEY_PASSWORD_CONFIG);
  }

  /** Accepts an empty string or one absolute http/https URL with a host. */
  private static final class HttpUrlValidator implements ConfigDef.Validator {

    @Override
    public void ensureValid(String name, Object value) {
      String url = value == null ? "" : ((String) value).trim();
      if (url.isEmpty()) {
        return;
      }
      if (url.indexOf(',') >= 0) {
        throw new ConfigException(name, url, "only one registry URL is supported");
      }
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new ConfigException(name, redact(url), "not a URL: " + e.getReason());
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new ConfigException(name, redact(url), "the scheme must be http or https");
      }
      if (uri.getHost() == null) {
        throw new ConfigException(name, redact(url), "the URL has no host");
      }
    }

    @Override
    public String toString() {
      return "empty, or an http(s) URL";
    }

    /** Keeps a password in the URL's user info out of error messages. */
    private static String redact(String url) {
      int at = url.indexOf('@');
      int scheme = url.indexOf("://");
      return at > 0 && scheme > 0 && scheme < at ? url.substring(0, scheme + 3) + "***" + url.substring(at) : url;
    }
  }
}
