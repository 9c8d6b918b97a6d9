package dev.parley.faults;

import dev.parley.client.Backoff;
import dev.parley.client.FrameQueue;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketEvent;
import dev.parley.client.SocketListener;
import dev.parley.client.SocketOptions;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ServerFrame;
import dev.parley.testkit.TcpProxy;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reconnect storm: {@code clients} users, each with one socket subscribed to a 3-member conversation
 * (two of them plus an announcer), reach the node through a {@link TcpProxy}. The proxy drops every
 * connection at once and lets new ones through at once; while they are away the announcer (connected
 * directly) posts one message to every conversation. The sockets reconnect on their own with the
 * client library's default backoff (0.5 s, half jitter) and resume with {@code subscribe(sinceSeq)}.
 * Expected: every socket gets the message posted while it was away exactly once. Measured: the time
 * from the drop until every socket has it, and the errors the storm caused.
 */
final class ReconnectStorm {
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  static final int FULL = 1000;
  static final int QUICK = 100;

  private ReconnectStorm() {}

  /**
   * One socket's view. Its conversation holds only the message posted during the outage, so every
   * {@code message} frame it gets is a copy of that one: when the first came, and how many.
   */
  private static final class Client implements SocketListener {
    final String conv;
    final Map<String, Long> errors;
    final AtomicLong copies = new AtomicLong();
    volatile long gotAt;

    Client(String conv, Map<String, Long> errors) {
      this.conv = conv;
      this.errors = errors;
    }

    @Override
    public void onFrame(ServerFrame frame) {
      if (frame instanceof ServerFrame.MessageFrame) {
        if (copies.incrementAndGet() == 1) {
          gotAt = System.nanoTime();
        }
      } else if (frame instanceof ServerFrame.ErrorFrame e) {
        errors.merge("error frame " + e.code().code(), 1L, Long::sum);
      }
    }

    @Override
    public void onEvent(SocketEvent event) {
      if (event instanceof SocketEvent.ReconnectFailed r) {
        errors.merge("reconnect failed " + r.error().code().code(), 1L, Long::sum);
      } else if (event instanceof SocketEvent.Closed c && !c.deliberate()) {
        errors.merge("closed for good " + c.code(), 1L, Long::sum);
      }
    }
  }

  static Findings run(int count) throws Exception {
    Map<String, Long> errors = new ConcurrentHashMap<>();
    int n = count - count % 2;
    Findings f = new Findings("reconnect storm", n + " sockets (one per user) through a TCP proxy, all dropped "
        + "at once; one message posted to each of their " + n / 2 + " conversations while away; they reconnect "
        + "with the client library's default backoff and resume");
    try (FaultNode node = FaultNode.start(FaultNode.Options.plain())) {
      Crowd crowd = new Crowd(node.url());
      ParleySession announcer = crowd.user("announcer");
      List<ParleySession> users = crowd.users("u", n);
      List<String> convs = Crowd.parallel(n / 2, 16, i -> users.get(2 * i).createConversation(
          ConversationType.SMALL_GROUP, "storm-" + i, List.of(users.get(2 * i + 1).userId(), announcer.userId())))
          .stream().map(c -> c.id()).toList();
      convs.forEach(node::forgetOnClose);
      SocketOptions options = SocketOptions.defaults().withReconnect(true, Backoff.DEFAULT);
      try (TcpProxy proxy = new TcpProxy("127.0.0.1", node.httpPort());
          ParleySocket direct = Crowd.join(announcer.connect(Crowd.ONCE, new FrameQueue()))) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();
        ParleyClient viaProxy = ParleyClient.create("http://127.0.0.1:" + proxy.port(), http, Duration.ofSeconds(30));
        List<Client> clients = new ArrayList<>();
        List<ParleySocket> sockets = Crowd.parallel(n, 32, i -> {
          Client c = new Client(convs.get(i / 2), errors);
          synchronized (clients) {
            clients.add(c);
          }
          return viaProxy.session(users.get(i).token()).connect(options, c)
              .thenCompose(s -> s.subscribe(c.conv).thenApply(ok -> s));
        });
        try {
          long droppedAt = System.nanoTime();
          proxy.cut();
          proxy.restore();
          Crowd.parallel(convs.size(), 32, i -> direct.send(convs.get(i), "while away " + i));
          long deadline = droppedAt + PATIENCE.toNanos();
          while (System.nanoTime() < deadline && clients.stream().anyMatch(c -> c.copies.get() == 0)) {
            Thread.sleep(50);
          }
          Thread.sleep(500); // a second copy would come right behind the first
          long missing = clients.stream().filter(c -> c.copies.get() == 0).count();
          long duplicated = clients.stream().filter(c -> c.copies.get() > 1).count();
          double allMs = missing > 0 ? Double.NaN
              : (clients.stream().mapToLong(c -> c.gotAt).max().orElse(droppedAt) - droppedAt) / 1e6;
          f.figure("sockets", n).figure("missing", missing).figure("duplicated", duplicated)
              .figure("allResumedMs", allMs)
              .figure("errors", errors.values().stream().mapToLong(Long::longValue).sum());
          f.expect("every socket gets the message posted while it was away", missing + " of " + n + " missing",
                  missing == 0)
              .expect("... exactly once", duplicated + " got it twice", duplicated == 0)
              .report("time from the drop until every socket had resumed and got it", Findings.ms(allMs))
              .report("errors during the storm", Findings.counts(new TreeMap<>(errors)));
        } finally {
          sockets.forEach(ParleySocket::close);
        }
      }
    }
    return f;
  }
}
