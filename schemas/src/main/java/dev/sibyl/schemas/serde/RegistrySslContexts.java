package dev.sibyl.schemas.serde;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** Builds the TLS context of the registry client from the {@code schema.registry.ssl.*} keys. */
final class RegistrySslContexts {

  private static final String TLS_PROTOCOL = "TLS";

  private RegistrySslContexts() {}

  /**
   * The TLS context for the configured trust and key stores.
   *
   * @param config the serde configuration; never null
   * @return empty when neither store is configured (the JVM defaults then apply)
   * @throws ConfigException naming the key and the file when a store cannot be read
   */
  static Optional<SSLContext> create(SerdeConfig config) {
    String truststore = config.truststoreLocation();
    String keystore = config.keystoreLocation();
    if (truststore.isEmpty() && keystore.isEmpty()) {
      return Optional.empty();
    }
    try {
      TrustManagerFactory trust = null;
      if (!truststore.isEmpty()) {
        KeyStore store =
            load(
                SerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG,
                truststore,
                config.truststoreType(),
                config.truststorePassword());
        trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
      }
      KeyManagerFactory keys = null;
      if (!keystore.isEmpty()) {
        KeyStore store =
            load(
                SerdeConfig.SSL_KEYSTORE_LOCATION_CONFIG,
                keystore,
                config.keystoreType(),
                config.keystorePassword());
        Password keyPassword =
            config.keyPassword() != null ? config.keyPassword() : config.keystorePassword();
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, keyPassword.value().toCharArray());
      }
      SSLContext context = SSLContext.getInstance(TLS_PROTOCOL);
      // Null managers select the JVM defaults for the side that is not configured.
      context.init(
          keys == null ? null : keys.getKeyManagers(),
          trust == null ? null : trust.getTrustManagers(),
          null);
      return Optional.of(context);
    } catch (GeneralSecurityException e) {
      throw new ConfigException(
          "cannot build the TLS context of the schema registry client from "
              + describe(truststore, keystore)
              + ": "
              + e);
    }
  }

  private static KeyStore load(String key, String location, String type, Password password) {
    Path path = Path.of(location);
    if (!Files.isReadable(path)) {
      throw new ConfigException(key, location, "the file does not exist or cannot be read");
    }
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore store = KeyStore.getInstance(type);
      store.load(in, password == null ? null : password.value().toCharArray());
      return store;
    } catch (IOException | GeneralSecurityException e) {
      // A wrong password surfaces as an IOException from KeyStore.load.
      throw new ConfigException(key, location, "cannot read it as a " + type + " store: " + e);
    }
  }

  private static String describe(String truststore, String keystore) {
    return SerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG
        + "="
        + truststore
        + ", "
        + SerdeConfig.SSL_KEYSTORE_LOCATION_CONFIG
        + "="
        + keystore;
  }
}
