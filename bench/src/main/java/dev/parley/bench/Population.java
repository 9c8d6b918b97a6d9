package dev.parley.bench;

import dev.parley.protocol.ConversationType;
import dev.parley.client.ParleySession;
import java.util.ArrayList;
import java.util.List;
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
    ConversationType type = members == 2 ? ConversationType.PRIVATE
        : members <= 50 ? ConversationType.SMALL_GROUP : ConversationType.LARGE_GROUP;
    BenchApi api = new BenchApi(baseUrl);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Conversation>> made = new ArrayList<>();
      for (int c = 0; c < conversations; c++) {
        int conv = c;
        made.add(pool.submit(() -> {
          List<Member> ms = new ArrayList<>(members);
          for (int m = 0; m < members; m++) {
            ParleySession session = api.registerAndLogin("b" + run + "-" + conv + "-" + m);
            ms.add(new Member(session.userId(), session.token()));
          }
          List<String> others = ms.subList(1, ms.size()).stream().map(Member::userId).toList();
          String id = api.create(ms.get(0).token(), type, type == ConversationType.PRIVATE ? null : "bench " + conv,
              others).id();
          return new Conversation(id, List.copyOf(ms));
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
}
