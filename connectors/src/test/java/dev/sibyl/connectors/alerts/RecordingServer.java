package dev.sibyl.connectors.alerts;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP server on a loopback port that records every request and answers each with the next
 * scripted status (200 once the script is used up).
 */
public final class RecordingServer implements AutoCloseable {

  /** One request as received. */
  public record Request(String method, String path, Map<String, List<String>> headers, String body, long nanos) {

    /** The first value of a header, or null. */
    public String header(String name) {
      for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
        if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
          return entry.getValue().get(0);
        }
      }
      return null;
    }
  }

  /** A scripted answer. */
  public record Answer(int status, String body, Map<String, String> headers) {}

  private final HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Deque<Answer> script = new ArrayDeque<>();

  /** Starts the server. */
  public RecordingServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      requests.add(new Request(
          exchange.getRequestMethod(),
          exchange.getRequestURI().getPath(),
          Map.copyOf(exchange.getRequestHeaders()),
          new String(body, StandardCharsets.UTF_8),
          System.nanoTime()));
      Answer answer;
      synchronized (script) {
        answer = script.isEmpty() ? new Answer(200, "ok", Map.of()) : script.poll();
      }
      answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
      byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(answer.status(), out.length == 0 ? -1 : out.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(out);
      }
    });
    server.start();
  }

  /** Queues answers for the next requests. */
  public RecordingServer answer(Answer... answers) {
    synchronized (script) {
      script.addAll(List.of(answers));
    }
    return this;
  }

  /** Queues bare statuses for the next requests. */
  public RecordingServer answer(int... statuses) {
    synchronized (script) {
      for (int status : statuses) {
        script.add(new Answer(status, "", Map.of()));
      }
    }
    return this;
  }

  /** The base URL, without a trailing slash. */
  public URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The requests received so far. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Waits until at least {@code n} requests arrived; false on timeout. */
  public boolean await(int n, long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (requests.size() < n) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
