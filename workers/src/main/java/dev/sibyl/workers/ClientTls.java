package dev.sibyl.workers;

import java.nio.file.Path;

/**
 * A client's TLS files (PEM).
 *
 * @param trustedCa the CA that signed the workers' certificates, or null for the JVM's default
 *     trust store
 * @param certificateChain the client's certificate for mutual TLS, or null for none
 * @param privateKey the client's unencrypted PKCS#8 key; null exactly when {@code
 *     certificateChain} is null
 */
public record ClientTls(Path trustedCa, Path certificateChain, Path privateKey) {

  /**
   * Checks that the certificate and key come together.
   *
   * @throws IllegalArgumentException when only one of them is given
   */
  public ClientTls {
    if ((certificateChain == null) != (privateKey == null)) {
      throw new IllegalArgumentException(
          "a client certificate needs its private key and the other way round");
    }
  }
}
