package dev.parley.client;

import static dev.parley.client.ClientTests.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.app.ParleyNode;
import dev.parley.app.TestNodes;
import dev.parley.protocol.AddMembersRequest;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.MemberPage;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.Role;
import dev.parley.protocol.ServerFrame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client library against a real embedded node: REST calls, the socket's requests and answers, errors. */
class ParleyClientTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final AtomicInteger NAMES = new AtomicInteger();
  @TempDir static Path dir;
  private static ParleyNode node;
  private static ParleyClient parley;

  @BeforeAll
  static void start() {
    node = ParleyNode.start(TestNodes.embedded(dir.resolve("node")));
    parley = ParleyClient.create(node.httpUrl());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stopAndWait(Duration.ofSeconds(30));
    }
  }

  /** A new account, logged in. */
  static ParleySession newUser(ParleyClient client, String prefix) {
    return ClientTests.signUp(client, prefix + NAMES.incrementAndGet());
  }

  @Test
  void createSendAckAndReceiveOnAnotherUsersSocket() {
    ParleySession ann = newUser(parley, "ann");
    ParleySession bob = newUser(parley, "bob");
    ConversationInfo dm = ann.createConversation(ConversationType.PRIVATE, null, List.of(bob.userId())).join();
    assertEquals("dm:" + ann.userId() + ":" + bob.userId(), dm.id());
    assertEquals(2, dm.memberCount());

    FrameQueue bobFrames = new FrameQueue();
    try (ParleySocket annSocket = ann.connect(new FrameQueue()).join();
        ParleySocket bobSocket = bob.connect(bobFrames).join()) {
      ServerFrame.SubscribedFrame joined = bobSocket.subscribe(dm.id()).join();
      assertEquals(0, joined.lastSeq());
      assertEquals(0L, bobSocket.lastSeq(dm.id()), "a live-only subscription starts at lastSeq");

      ServerFrame.AckFrame ack = annSocket.send(dm.id(), "hello bob").join();
      assertEquals(1, ack.seq());
      assertFalse(ack.duplicate());
      MessageView got = bobFrames.next(ServerFrame.MessageFrame.class, WAIT).message();
      assertEquals(List.of(1L, "hello bob", ann.userId()), List.of(got.seq(), got.text(), got.sender()));
      assertEquals(1L, bobSocket.lastSeq(dm.id()));

      // The same clientMsgId again: the original ack, no second message.
      var again = annSocket.send(new dev.parley.protocol.ClientFrame.SendFrame(dm.id(), ack.clientMsgId(), "hello bob"))
          .join();
      assertEquals(1, again.seq());
      assertTrue(again.duplicate());

      ServerFrame.EditedFrame edited = annSocket.edit(dm.id(), 1, "hello, bob").join();
      assertEquals("hello, bob", edited.text());
      assertEquals("hello, bob", bobFrames.next(ServerFrame.EditedFrame.class, WAIT).text());

      bobSocket.read(dm.id(), 1).join();
      assertEquals(0, bobFrames.next(ServerFrame.UnreadFrame.class, WAIT).count());
    }
    var list = bob.conversations().join().items();
    assertEquals(dm.id(), list.get(0).conv());
    assertEquals(1, list.get(0).lastMessage().seq());
  }

  @Test
  void historyPagesAndMembersPages() {
    ParleySession owner = newUser(parley, "own");
    ParleySession m1 = newUser(parley, "mem");
    ParleySession m2 = newUser(parley, "mem");
    ConversationInfo group = owner.createConversation(ConversationType.SMALL_GROUP, "team", List.of(m1.userId())).join();
    ConversationInfo added = owner.addMembers(group.id(), new AddMembersRequest(List.of(m2.userId()), Role.ADMIN)).join();
    assertEquals(3, added.memberCount());

    MemberPage first = owner.members(group.id(), null, 2).join();
    assertEquals(2, first.members().size());
    MemberPage rest = owner.members(group.id(), first.nextAfter(), 2).join();
    assertEquals(1, rest.members().size());
    assertNull(rest.nextAfter());

    try (ParleySocket socket = owner.connect(new FrameQueue()).join()) {
      for (int i = 1; i <= 7; i++) {
        assertEquals(i, socket.send(group.id(), "message " + i).join().seq());
      }
      HistoryPage newest = owner.history(group.id(), null, null, 3).join();
      assertEquals(List.of(5L, 6L, 7L), seqs(newest));
      assertTrue(newest.hasMoreBefore());
      HistoryPage older = owner.history(group.id(), 5L, null, 3).join();
      assertEquals(List.of(2L, 3L, 4L), seqs(older));
      HistoryPage oldest = socket.history(group.id(), 2L, null, 3).join();
      assertEquals(List.of(1L), seqs(oldest));
      assertFalse(oldest.hasMoreBefore());
      assertEquals(List.of(3L, 4L), seqs(owner.history(group.id(), null, 2L, 2).join()));
    }
    owner.removeMember(group.id(), m2.userId()).join();
    assertEquals(2, owner.conversation(group.id()).join().memberCount());
  }

  @Test
  void errorsCarryTheProtocolCode() {
    ParleySession ann = newUser(parley, "ann");
    ParleySession bob = newUser(parley, "bob");
    ParleySession eve = newUser(parley, "eve");
    String dm = ann.createConversation(ConversationType.PRIVATE, null, List.of(bob.userId())).join().id();

    ParleyException rest = failure(eve.conversation(dm));
    assertEquals(ErrorCode.FORBIDDEN, rest.code());
    assertEquals(403, rest.httpStatus());
    assertTrue(rest.fromServer());

    try (ParleySocket socket = eve.connect(new FrameQueue()).join()) {
      ParleyException ws = failure(socket.subscribe(dm));
      assertEquals(ErrorCode.FORBIDDEN, ws.code());
      assertEquals("not a member of this conversation", ws.getMessage());
      assertTrue(ws.ref().startsWith("parley:"));
      assertTrue(socket.subscriptions().isEmpty(), "a refused subscription is not resumed");
      assertEquals(ErrorCode.FORBIDDEN, failure(socket.send(dm, "let me in")).code());
      assertEquals(ErrorCode.NOT_FOUND, failure(socket.subscribe("no-such-conversation")).code());
    }

    assertEquals(ErrorCode.CONFLICT, failure(parley.register(ann.userId(), "another-password")).code());
    ParleyException login = failure(parley.login(ann.userId(), "wrong-password"));
    assertEquals(ErrorCode.UNAUTHORIZED, login.code());
    assertEquals("wrong username or password", login.getMessage());

    ParleyException forged = failure(parley.session("forged-token").connect(new FrameQueue()));
    assertEquals(ErrorCode.UNAUTHORIZED, forged.code());
    assertEquals(401, forged.httpStatus());
    ParleyException origin = failure(eve.connect(SocketOptions.defaults().withOrigin("http://evil.example"),
        new FrameQueue()));
    assertEquals(403, origin.httpStatus());

    ParleyException unreachable = failure(ParleyClient.create("http://127.0.0.1:" + TestNodes.freePort())
        .login("ann", "secret-ann"));
    assertEquals(ErrorCode.UNAVAILABLE, unreachable.code());
    assertFalse(unreachable.fromServer());
  }

  @Test
  void browserStyleTokenAndLogoutClosesForGood() {
    ParleySession cyd = newUser(parley, "cyd");
    FrameQueue frames = new FrameQueue();
    ParleySocket socket = cyd.connect(SocketOptions.defaults().withTokenInSubprotocol(true), frames).join();
    assertEquals("parley.v1", socket.subprotocol());

    cyd.logout().join();
    SocketEvent.Disconnected d = frames.next(SocketEvent.Disconnected.class, WAIT);
    assertEquals(1008, d.code());
    assertFalse(d.reconnecting(), "1008 logged out is not retried");
    SocketEvent.Closed closed = socket.closed().join();
    assertFalse(closed.deliberate());
    assertEquals(ErrorCode.UNAVAILABLE, failure(socket.send("anything", "x")).code());
    assertEquals(ErrorCode.UNAUTHORIZED, failure(cyd.conversations()).code());
    assertEquals(ErrorCode.UNAUTHORIZED, failure(cyd.relogin()).code(), "a logged-out session stays out");
  }

  @Test
  void anAnonymousSessionSendsNoCredentials() {
    ParleySession nobody = parley.anonymous();
    assertNull(nobody.token());
    assertFalse(nobody.canRelogin());
    ParleyException rest = failure(nobody.conversations());
    assertEquals(401, rest.httpStatus());
    assertEquals(ErrorCode.UNAUTHORIZED, rest.code());
    assertEquals(401, failure(nobody.connect(new FrameQueue())).httpStatus());
    // In the browser way it offers parley.v1 alone, which is no credential either.
    assertEquals(401, failure(nobody.connect(SocketOptions.defaults().withTokenInSubprotocol(true), new FrameQueue()))
        .httpStatus());
  }

  private static List<Long> seqs(HistoryPage page) {
    return page.messages().stream().map(MessageView::seq).toList();
  }
}
