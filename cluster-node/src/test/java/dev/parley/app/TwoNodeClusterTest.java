package dev.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.*;
import dev.parley.conversation.Rejection;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on 127.0.0.1 form one cluster. Only the "conversation" node hosts conversations; the
 * "frontend" node reaches them through its shard-region proxy, so every command and reply below
 * crosses the network and goes through Jackson CBOR serialization.
 */
class TwoNodeClusterTest {
  static final Duration TIMEOUT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void commandSentOnOneNodeReachesEntityHostedOnTheOther() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode host = ParleyNode.start(TestNodes.postgres(db, dir.resolve("host"), Map.of(
          "parley.cluster.roles", "conversation",
          "parley.conversation.sharding-role", "conversation")));
      ParleyNode frontend = null;
      try {
        String seed = host.system().address().toString();
        frontend = ParleyNode.start(TestNodes.postgres(db, dir.resolve("frontend"), Map.of(
            "parley.cluster.roles", "frontend",
            "parley.cluster.seed-nodes", seed,
            "parley.conversation.sharding-role", "conversation")));
        TestNodes.awaitUpMembers(frontend, 2, TIMEOUT);

        String id = "cross-node";
        Summary created = NodeRecoveryTest.<Summary>ask(frontend, id,
            r -> new Create("ann", ConversationType.SMALL_GROUP, "over the wire", List.of("bo"), r));
        assertEquals(2, created.memberCount());
        MessageAccepted ack = NodeRecoveryTest.<MessageAccepted>ask(frontend, id,
            r -> new PostMessage("ann", "m1", "héllo across nodes", List.of(), r));
        assertEquals(1, ack.seq());
        ReadPosition read = NodeRecoveryTest.<ReadPosition>ask(frontend, id, r -> new MarkRead("bo", 1, r));
        assertEquals(0, read.unread());
        Receipts receipts = NodeRecoveryTest.<Receipts>ask(frontend, id, r -> new GetReceipts("ann", 1, r));
        assertEquals(List.of("bo"), receipts.seenBy());

        ParleyNode via = frontend;
        ExecutionException rejected = Assertions.assertThrows(ExecutionException.class, () ->
            NodeRecoveryTest.<MessageAccepted>ask(via, id, r -> new PostMessage("mallory", "x", "hi", List.of(), r)));
        assertEquals(ErrorCode.FORBIDDEN, Rejection.codeOf(rejected), "rejections cross the wire with their code");

        assertEquals(Set.of(id), TestNodes.hostedConversations(host), "the entity lives on the conversation node");
        assertTrue(TestNodes.hostedConversations(frontend).isEmpty(), "the frontend node only proxies");
      } finally {
        if (frontend != null) {
          frontend.stopAndWait(TIMEOUT);
        }
        host.stopAndWait(TIMEOUT);
      }
    }
  }


}
