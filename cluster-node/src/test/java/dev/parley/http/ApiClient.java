package dev.parley.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

/** The REST side of a test client: plain JDK HTTP against a running node. */
public final class ApiClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String baseUrl;

  public ApiClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  public record Reply(int status, JsonNode body) {
    public String code() {
      return body.path("code").asText();
    }
  }

  public Reply get(String path, String token) {
    return call("GET", path, token, null);
  }

  public Reply post(String path, String token, Object body) {
    return call("POST", path, token, body);
  }

  public Reply delete(String path, String token) {
    return call("DELETE", path, token, null);
  }

  /** Sends a raw body (for malformed-input tests). */
  public Reply postRaw(String path, String token, String raw) {
    return send(request(path, token).POST(HttpRequest.BodyPublishers.ofString(raw))
        .header("Content-Type", "application/json").build());
  }

  /** Registers the user (password = name + "-password") and logs in; returns the token. */
  public String registerAndLogin(String user) {
    Reply r = post("/api/users", null, Map.of("username", user, "password", user + "-password"));
    if (r.status() != 201) {
      throw new AssertionError("register " + user + ": " + r);
    }
    return login(user);
  }

  public String login(String user) {
    Reply r = post("/api/sessions", null, Map.of("username", user, "password", user + "-password"));
    if (r.status() != 200) {
      throw new AssertionError("login " + user + ": " + r);
    }
    return r.body().path("token").asText();
  }

  /** Creates a conversation and returns its id. */
  public String create(String token, String type, String name, List<String> members) {
    Map<String, Object> body = new java.util.HashMap<>();
    body.put("type", type);
    body.put("members", members);
    if (name != null) {
      body.put("name", name);
    }
    Reply r = post("/api/conversations", token, body);
    if (r.status() != 201) {
      throw new AssertionError("create: " + r);
    }
    return r.body().path("id").asText();
  }

  private Reply call(String method, String path, String token, Object body) {
    try {
      HttpRequest.BodyPublisher publisher = body == null
          ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
      HttpRequest.Builder b = request(path, token).method(method, publisher);
      if (body != null) {
        b.header("Content-Type", "application/json");
      }
      return send(b.build());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Reply send(HttpRequest request) {
    try {
      HttpResponse<String> r = WsClient.http().send(request, HttpResponse.BodyHandlers.ofString());
      JsonNode body = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
      return new Reply(r.statusCode(), body);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
