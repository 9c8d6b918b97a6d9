package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.parley.TcpProxy;
import dev.parley.app.NodeConfig;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ServerFrame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A send whose journal write cannot complete (the node's PostgreSQL connections cut through a
 * {@link TcpProxy}) is answered {@code unknown_outcome}, not {@code unavailable}: the node cannot
 * know whether it was stored. Resent with the same {@code clientMsgId} once the database is back, it
 * is acked and stored exactly once.
 */
class UnknownOutcomeTest {
  @TempDir Path dir;

  @Test
  void aSendWhoseJournalWriteFailsIsUnknownAndItsResendIsStoredOnce() throws Exception {
    String host = PostgresDatabase.HOST.split(":")[0];
    int port = Integer.parseInt(PostgresDatabase.HOST.split(":")[1]);
    try (PostgresDatabase db = PostgresDatabase.create(); TcpProxy pg = new TcpProxy(host, port)) {
      Map<String, Object> m = new HashMap<>();
      m.put("parley.data-dir", dir.toString());
      m.put("parley.db.url", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + db.name()
          + "?connectTimeout=2&socketTimeout=3");
      m.put("parley.db.user", db.user());
      m.put("parley.cluster.port", 0);
      m.put("parley.management.port", TestNodes.freePort());
      m.put("parley.db.pool-size", 4);
      m.put("parley.db.api-pool-size", 4);
      m.put("parley.http.host", "127.0.0.1");
      m.put("parley.http.port", 0);
      m.put("parley.auth.bcrypt-cost", 4);
      m.put("parley.conversation.ask-timeout", "3s");
      m.put("pekko.loglevel", "OFF");
      m.put("pekko.coordinated-shutdown.exit-jvm", "off");
      ParleyNode node = ParleyNode.start(NodeConfig.load(ConfigFactory.parseMap(m)));
      try {
        ParleyClient parley = ParleyClient.create(node.httpUrl());
        ParleySession ann = ParleyClientTest.newUser(parley, "ann");
        ParleySession bob = ParleyClientTest.newUser(parley, "bob");
        String conv = ann.createConversation(ConversationType.PRIVATE, null, List.of(bob.userId())).join().id();
        try (ParleySocket socket = ann.connect(new FrameQueue()).join()) {
          assertEquals(1, socket.send(conv, "before").get(10, TimeUnit.SECONDS).seq());

          pg.cut();
          String id = UUID.randomUUID().toString();
          ClientFrame.SendFrame frame = new ClientFrame.SendFrame(conv, id, "during the outage");
          ParleyException unknown = ClientTests.failure(socket.send(frame));
          assertEquals(ErrorCode.UNKNOWN_OUTCOME, unknown.code(), unknown.toString());
          assertTrue(unknown.fromServer());
          pg.restore();

          // Repeat it, as the protocol says, until it is answered with an ack.
          ServerFrame.AckFrame ack = null;
          long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
          while (ack == null) {
            try {
              ack = socket.send(frame).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
              ParleyException p = ParleyException.unwrap(e);
              assertTrue(p.code() == ErrorCode.UNKNOWN_OUTCOME || p.code() == ErrorCode.OVERLOADED, p.toString());
              assertTrue(System.nanoTime() < deadline, "the conversation did not come back: " + p);
              Thread.sleep(p.retryAfterMs() != null ? p.retryAfterMs() : 500);
            }
          }
          assertEquals(2, ack.seq());
          List<MessageView> history = ann.history(conv, null, 0L, 100).join().messages();
          assertEquals(List.of("before", "during the outage"), history.stream().map(MessageView::text).toList());
          assertFalse(history.stream().anyMatch(v -> v.seq() > 2), "stored once");
        }
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }
}
