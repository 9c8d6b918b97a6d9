package dev.parley.bench;

import static dev.parley.bench.SeedTable.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.bench.seed.DataSet;
import dev.parley.bench.seed.ParleyClient;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The Parley column: one node, its users registered and logged in over REST, conversations
 * created over REST, one WebSocket per user, the bulk of messages sent on the senders' sockets
 * (loading is not measured), every member marked read up to the end with a {@code read} frame.
 * Everything, the untimed post before a mark-read included, goes through the client API. The
 * node's send and frame rate limits are lifted ({@link ServerNode}) for the bulk load; the measured
 * operations stay far below the defaults (one frame at a time per socket).
 */
final class SeedTableParley implements AutoCloseable {
  private final ServerNode server;
  private final DataSet data;
  private final String[] ids;
  private final ParleyClient client;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Map<String, ParleyClient.Socket> sockets = new ConcurrentHashMap<>();
  private final Map<String, Integer> conversationsOf = new HashMap<>();

  SeedTableParley(ServerNode server, DataSet data, String[] ids) {
    this.server = server;
    this.data = data;
    this.ids = ids;
    this.client = new ParleyClient(server.url());
    data.conversations().forEach(c -> c.members().forEach(m -> conversationsOf.merge(m, 1, Integer::sum)));
  }

  void load() throws Exception {
    ExecutorService loaders = Executors.newFixedThreadPool(4, daemon("seed-load"));
    try {
      List<CompletableFuture<Void>> steps = new ArrayList<>();
      for (String user : data.users()) {
        steps.add(CompletableFuture.runAsync(unchecked(() ->
            tokens.put(user, client.registerAndLogin(user))), loaders));
      }
      CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).get();
      steps.clear();
      for (DataSet.Conversation c : data.conversations()) {
        List<String> members = c.members();
        steps.add(CompletableFuture.runAsync(unchecked(() -> {
          ids[c.index()] = client.create(tokens.get(members.get(0)), c.type(),
              c.group() ? "group " + c.index() : null, members.subList(1, members.size()));
          server.forgetOnClose(ids[c.index()]);
        }), loaders));
      }
      CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).get();
    } finally {
      loaders.shutdownNow();
    }
    for (String user : data.users()) {
      sockets.put(user, client.connect(tokens.get(user)));
    }
    // Messages round-robin over conversations (64 sends in flight), so the node persists them in parallel.
    InFlight inFlight = new InFlight(64);
    int most = data.conversations().stream().mapToInt(DataSet.Conversation::messages).max().orElse(0);
    for (int k = 0; k < most; k++) {
      for (DataSet.Conversation c : data.conversations()) {
        if (k < c.messages()) {
          String key = "load-" + k;
          String sender = DataSet.sender(c, k);
          String text = DataSet.text(c, k);
          inFlight.add(sockets.get(sender).send(ids[c.index()], key, text));
        }
      }
    }
    inFlight.drain();
    long expectedPositions = 0;
    for (DataSet.Conversation c : data.conversations()) {
      if (c.messages() == 0) {
        continue;
      }
      expectedPositions += c.members().size();
      for (String member : c.members()) {
        long upTo = c.messages();
        inFlight.add(sockets.get(member).read(ids[c.index()], upTo));
      }
    }
    inFlight.drain();
    awaitReadModel(data.totalMessages(), expectedPositions);
  }

  /**
   * Until the projection has every message and the receipt writer every read position. The node
   * offers no API for "caught up", so this asks its read-model tables by SQL, as an outside
   * observer of its database (it writes nothing there).
   */
  private void awaitReadModel(long messages, long positions) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long seenMessages = -1;
    long seenPositions = -1;
    while (System.nanoTime() < deadline) {
      try (Connection c = server.db.connect(); Statement s = c.createStatement()) {
        seenMessages = single(s, "SELECT count(*) FROM messages");
        seenPositions = single(s, "SELECT count(*) FROM conversation_reads r JOIN conversations c "
            + "ON c.conversation_id = r.conversation_id WHERE r.last_read_seq >= c.last_message_seq");
      }
      if (seenMessages == messages && seenPositions == positions) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("read model not caught up: " + seenMessages + " of " + messages
        + " messages, " + seenPositions + " of " + positions + " read positions");
  }

  Operation history() {
    return (i, perMember) -> {
      DataSet.Visit v = data.history(i);
      String path = "/api/conversations/" + ids[v.conversation().index()] + "/messages?limit=50";
      long start = System.nanoTime();
      String body = client.get(path, tokens.get(v.user()));
      long span = System.nanoTime() - start;
      int n = ParleyClient.parse(body).path("messages").size();
      check(n == Math.min(50, v.conversation().messages()) || n == 50, "history of " + path + " held " + n);
      return span;
    };
  }

  Operation unread() {
    return (i, perMember) -> {
      String user = data.unreadUser(i);
      long start = System.nanoTime();
      String body = client.get("/api/unread", tokens.get(user));
      long span = System.nanoTime() - start;
      JsonNode items = ParleyClient.parse(body).path("items");
      check(items.size() == Math.min(200, conversationsOf.getOrDefault(user, 0)),
          "unread of " + user + " listed " + items.size() + " conversations");
      return span;
    };
  }

  Operation readPrivate() {
    return (i, perMember) -> {
      DataSet.Visit v = data.privateRead(i);
      String conv = ids[v.conversation().index()];
      long seq = post(v, "private-" + i, i);
      long start = System.nanoTime();
      ParleyClient.Unread answer = sockets.get(v.user()).read(conv, seq)
          .get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      check(answer.count() == 0, v.user() + " still has " + answer.count() + " unread in " + conv);
      return answer.arrivedNanos() - start;
    };
  }

  Operation readGroup() {
    return (i, perMember) -> {
      DataSet.Visit v = data.groupRead(i);
      String conv = ids[v.conversation().index()];
      long seq = post(v, "group-" + i, i);
      List<String> members = v.conversation().members();
      List<CompletableFuture<ParleyClient.Unread>> answers = new ArrayList<>(members.size());
      long start = System.nanoTime();
      for (String member : members) {
        answers.add(sockets.get(member).read(conv, seq));
      }
      long last = start;
      for (CompletableFuture<ParleyClient.Unread> f : answers) {
        ParleyClient.Unread answer = f.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        check(answer.count() == 0, "a member still has " + answer.count() + " unread in " + conv);
        last = Math.max(last, answer.arrivedNanos());
        if (perMember != null) {
          perMember.record(answer.arrivedNanos() - start);
        }
      }
      return last - start;
    };
  }

  /** The untimed new message before a mark-read; returns its seq. */
  private long post(DataSet.Visit v, String key, long i) throws Exception {
    String text = DataSet.text(v.conversation(), v.conversation().messages() + i);
    return sockets.get(v.sender()).send(ids[v.conversation().index()], key, text)
        .get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    client.close();
  }
}
