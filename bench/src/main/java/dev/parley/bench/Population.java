package dev.parley.bench;

import dev.parley.http.ApiClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Users and conversations a load scenario runs on, made through the node's public REST API:
 * {@code conversations} conversations of {@code members} members each, every user in exactly one
 * of them (PRIVATE for 2, SMALL_GROUP up to 50, LARGE_GROUP above). Names carry a fresh run id, so
 * nothing (Redis cache entries, private-conversation ids) is shared with an earlier run.
 */
final class Population {
  /** A member: the user id the server assigned and a session token. */
  record Member(String userId, String token) {}

  /** One conversation and its members; {@code members.get(0)} created it. */
  record Conversation(String id, List<Member> members) {}

  private Population() {}

  static List<Conversation> create(String baseUrl, int conversations, int members) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String type = members == 2 ? "PRIVATE" : members <= 50 ? "SMALL_GROUP" : "LARGE_GROUP";
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Conversation>> made = new ArrayList<>();
      for (int c = 0; c < conversations; c++) {
        int conv = c;
        made.add(pool.submit(() -> {
          ApiClient api = new ApiClient(baseUrl);
          List<Member> ms = new ArrayList<>(members);
          for (int m = 0; m < members; m++) {
            ms.add(member(api, "b" + run + "-" + conv + "-" + m));
          }
          List<String> others = ms.subList(1, ms.size()).stream().map(Member::userId).toList();
          ApiClient.Reply r = api.post("/api/conversations", ms.get(0).token(),
              type.equals("PRIVATE") ? Map.of("type", type, "members", others)
                  : Map.of("type", type, "name", "bench " + conv, "members", others));
          if (r.status() != 201) {
            throw new IllegalStateException("create conversation: " + r);
          }
          return new Conversation(r.body().path("id").asText(), List.copyOf(ms));
        }));
      }
      List<Conversation> out = new ArrayList<>(conversations);
      for (Future<Conversation> f : made) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static Member member(ApiClient api, String name) {
    Map<String, String> credentials = Map.of("username", name, "password", name + "-password");
    ApiClient.Reply reg = api.post("/api/users", null, credentials);
    if (reg.status() != 201) {
      throw new IllegalStateException("register " + name + ": " + reg);
    }
    ApiClient.Reply login = api.post("/api/sessions", null, credentials);
    if (login.status() != 200) {
      throw new IllegalStateException("login " + name + ": " + login);
    }
    return new Member(reg.body().path("userId").asText(), login.body().path("token").asText());
  }
}
