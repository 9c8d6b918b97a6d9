package dev.parley.faults;

import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketListener;
import dev.parley.protocol.ServerFrame;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Read receipts under a fault: each peer of the {@link Senders}' conversations marks its conversation
 * read up to the highest acked seq every 100 ms. A mark counts as taken when the node answers it with
 * an {@code unread} frame ({@code lastSeq - count} is the read position the conversation holds). After
 * recovery, {@link #compare} reads {@code conversation_reads} as an outside observer: a position below
 * the highest taken mark is a <b>lost receipt</b>; one above the highest mark sent cannot be right.
 * Rows are one per (conversation, member) and written only by GREATEST upserts, so a receipt written
 * twice leaves no trace there; the scenario says so rather than count it.
 */
final class Marks implements AutoCloseable {
  private final Senders senders;
  private final Map<String, ParleySocket> sockets = new ConcurrentHashMap<>();
  private final Map<String, Long> sent = new ConcurrentHashMap<>();
  private final Map<String, Long> taken = new ConcurrentHashMap<>();
  private final Map<String, Long> errors = new ConcurrentHashMap<>();
  private final Thread marker;
  private volatile boolean running = true;

  Marks(Senders senders) {
    this.senders = senders;
    senders.peers.forEach((conv, peer) -> sockets.put(conv, Crowd.join(peer.connect(Crowd.RESUMING, listener()))));
    marker = new Thread(this::loop, "faults-marks");
    marker.setDaemon(true);
    marker.start();
  }

  private SocketListener listener() {
    return frame -> {
      if (frame instanceof ServerFrame.UnreadFrame u) {
        taken.merge(u.conv(), u.lastSeq() - u.count(), Math::max);
      } else if (frame instanceof ServerFrame.ErrorFrame e) {
        errors.merge(e.code().code(), 1L, Long::sum);
      }
    };
  }

  private void loop() {
    while (running) {
      for (String conv : senders.conversations()) {
        long upTo = senders.ledger.highestAck(conv);
        if (upTo > sent.getOrDefault(conv, 0L)) {
          sockets.get(conv).read(conv, upTo).whenComplete((ok, failure) -> {
            if (failure == null) {
              sent.merge(conv, upTo, Math::max);
            }
          });
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Error frames the readers got, by code. */
  Map<String, Long> errors() {
    return new TreeMap<>(errors);
  }

  /** What {@code conversation_reads} holds against what was marked. */
  record Compare(int positions, int lost, int ahead, List<String> examples) {}

  Compare compare(Connection db) throws SQLException {
    int lost = 0;
    int ahead = 0;
    List<String> examples = new ArrayList<>();
    try (PreparedStatement q = db.prepareStatement(
        "SELECT last_read_seq FROM conversation_reads WHERE conversation_id = ? AND user_id = ?")) {
      for (Map.Entry<String, ParleySession> p : senders.peers.entrySet()) {
        q.setString(1, p.getKey());
        q.setString(2, p.getValue().userId());
        long stored;
        try (ResultSet rs = q.executeQuery()) {
          stored = rs.next() ? rs.getLong(1) : 0;
        }
        long mark = taken.getOrDefault(p.getKey(), 0L);
        if (stored < mark) {
          lost++;
          examples.add(p.getKey() + ": stored " + stored + " < taken " + mark);
        } else if (stored > sent.getOrDefault(p.getKey(), 0L)) {
          ahead++;
          examples.add(p.getKey() + ": stored " + stored + " > sent " + sent.get(p.getKey()));
        }
      }
    }
    return new Compare(senders.peers.size(), lost, ahead, examples.subList(0, Math.min(3, examples.size())));
  }

  /** Stops marking. */
  void stop() throws InterruptedException {
    running = false;
    marker.join(10_000);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    sockets.values().forEach(ParleySocket::close);
  }
}
