package dev.sibyl.workers;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A worker's TLS files (PEM).
 *
 * @param certificateChain the server's certificate chain; not null
 * @param privateKey the server's private key, unencrypted PKCS#8; not null
 * @param clientCa the CA that signs client certificates: when not null, clients must present one
 *     (mutual TLS); null for server-only TLS
 */
public record ServerTls(Path certificateChain, Path privateKey, Path clientCa) {

  /** Checks for nulls. */
  public ServerTls {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
  }
}
