package dev.sibyl.connectors.alerts.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP endpoint that takes JSON by POST, and the classification of its answers shared by every
 * sink: 2xx is delivered; 408, 429 and 5xx (and network errors) may succeed later; any other
 * status will not, since the same body would be refused again.
 */
public final class JsonEndpoint {

  /** Longest part of a refusal's body quoted in the error. */
  private static final int MAX_QUOTED_BODY = 200;

  private final HttpClient client;
  private final URI uri;
  private final Duration timeout;
  private final Map<String, String> headers;

  /**
   * @param client the HTTP client (shared by the sinks); never null
   * @param uri where to POST; never null
   * @param timeout bound on one request, response included; positive
   * @param headers extra request headers (e.g. {@code Authorization}); never null, may be empty
   */
  public JsonEndpoint(HttpClient client, URI uri, Duration timeout, Map<String, String> headers) {
    this.client = Objects.requireNonNull(client, "client");
    this.uri = Objects.requireNonNull(uri, "uri");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.headers = Map.copyOf(headers);
  }

  /** Where it posts. */
  public URI uri() {
    return uri;
  }

  /**
   * Posts one JSON body.
   *
   * @param body UTF-8 JSON
   * @throws DeliveryException when the answer is not 2xx, or no answer came
   */
  public void post(byte[] body) throws DeliveryException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(request::header);
    HttpResponse<String> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new DeliveryException("POST " + uri + " failed: " + e, true, null, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DeliveryException("POST " + uri + " interrupted", false, null, e);
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return;
    }
    boolean retryable = status == 408 || status == 429 || status >= 500;
    String answer = response.body() == null ? "" : response.body().strip();
    if (answer.length() > MAX_QUOTED_BODY) {
      answer = answer.substring(0, MAX_QUOTED_BODY) + "...";
    }
    throw new DeliveryException(
        "POST " + uri + " answered " + status + (answer.isEmpty() ? "" : ": " + answer.replace('\n', ' ')),
        retryable,
        retryAfter(response),
        null);
  }

  /** The {@code Retry-After} header in seconds (the HTTP-date form is ignored), or null. */
  private static Duration retryAfter(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").map(JsonEndpoint::seconds).orElse(null);
  }

  private static Duration seconds(String value) {
    try {
      long seconds = Long.parseLong(value.strip());
      return seconds >= 0 ? Duration.ofSeconds(seconds) : null;
    } catch (NumberFormatException e) {
      return null; // an HTTP date: fall back to our own backoff
    }
  }
}
