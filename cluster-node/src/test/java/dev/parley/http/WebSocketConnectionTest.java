package dev.parley.http;

import dev.parley.session.ClientSocket;
import dev.parley.session.OutboundFrame;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractWebSocketUpgrade;
import static org.apache.pekko.http.javadsl.server.Directives.parameter;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link WebSocketConnection} against a real pekko-http server and the JDK WebSocket client. This is the test that
 * catches breakage of the pekko-http internals the connection is built on when pekko-http is upgraded.
 */
class WebSocketConnectionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final WebSocketLimits DEFAULT_LIMITS = new WebSocketLimits(64 * 1024, 32, 64, Duration.ofSeconds(30));

  private static Server server;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = Server.start("ws-connection-test", "");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  // -- tests --------------------------------------------------------------------------------------------------

  @Test
  void echoesTextMessages() throws Exception {
    TestListener listener = server.register(TestListener.echo(DEFAULT_LIMITS));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);

    ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
    assertEquals("hello", client.nextText());

    ws.sendText("frag-", false).get(5, TimeUnit.SECONDS);
    ws.sendText("ment", false).get(5, TimeUnit.SECONDS);
    ws.sendText("", false).get(5, TimeUnit.SECONDS);
    ws.sendText("ed", true).get(5, TimeUnit.SECONDS);
    assertEquals("frag-mented", client.nextText());

    String unicode = "h\u00e9llo w\u00f6rld \u2713 \uD83D\uDE00";
    ws.sendText(unicode, true).get(5, TimeUnit.SECONDS);
    assertEquals(unicode, client.nextText());

    assertEquals(List.of("hello", "frag-mented", unicode), listener.received);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    assertEquals(new Closed(1000, "done", true), listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(1000, client.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS).code());
  }

  @Test
  void closesWith1009WhenAMessageExceedsTheLimit() throws Exception {
    WebSocketLimits limits = new WebSocketLimits(1024, 32, 64, Duration.ofSeconds(30));

    // Exactly at the limit passes (counted in UTF-8 bytes: 511 two-byte chars + 2 ASCII = 1024 bytes) ...
    TestListener listener = server.register(TestListener.echo(limits));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    String atLimit = "\u00e9".repeat(511) + "ab";
    assertEquals(1024, atLimit.getBytes(StandardCharsets.UTF_8).length);
    ws.sendText(atLimit, true).get(5, TimeUnit.SECONDS);
    assertEquals(atLimit, client.nextText());
    // ... one byte more, split over two fragments, closes with 1009.
    ws.sendText("\u00e9".repeat(300), false).get(5, TimeUnit.SECONDS);
    ws.sendText("\u00e9".repeat(212) + "a", true).get(5, TimeUnit.SECONDS);
    Closed clientSaw = client.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(new Closed(1009, "message too big", true), clientSaw);
    assertEquals(new Closed(1009, "message too big", false), listener.firstClose.get(5, TimeUnit.SECONDS));
    assertEquals(List.of(atLimit), listener.received);

    // A 10 MiB message in 64 KiB fragments is cut off early; nothing reaches the listener.
    TestListener big = server.register(TestListener.echo(limits));
    Client bigClient = new Client(true);
    WebSocket bigWs = connect(server, big, bigClient);
    String fragment = "x".repeat(64 * 1024);
    int fragments = 10 * 16;
    long sent = 0;
    for (int i = 0; i < fragments && !bigClient.closed.isDone(); i++) {
      try {
        bigWs.sendText(fragment, i == fragments - 1).get(5, TimeUnit.SECONDS);
        sent += fragment.length();
      } catch (Exception e) {
        break; // the server closed the connection under the send
      }
    }
    assertEquals(new Closed(1009, "message too big", false), big.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(1009, bigClient.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS).code());
    assertTrue(big.received.isEmpty(), "listener saw " + big.received.size() + " messages");
    assertEquals(1, big.closes.size());
    assertTrue(sent < (long) fragments * fragment.length(), "the whole 10 MiB went out before the close");
    System.out.printf("10 MiB message: client managed to send %d KiB before the 1009 close%n", sent / 1024);
  }

  @Test
  void closesWith1003OnBinary() throws Exception {
    TestListener listener = server.register(TestListener.echo(DEFAULT_LIMITS));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).get(5, TimeUnit.SECONDS);
    assertEquals(new Closed(1003, "text frames only", true), client.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(new Closed(1003, "text frames only", false), listener.firstClose.get(5, TimeUnit.SECONDS));
    assertTrue(listener.received.isEmpty());
  }

  @Test
  void serverCloseSendsChosenCode() throws Exception {
    TestListener listener = server.register(new TestListener(DEFAULT_LIMITS, h -> {}, (h, m) -> {
      h.send("bye");
      h.close(1008, "policy");
      h.send("after close"); // ignored
      h.close(1000, "second close"); // ignored
      h.processed();
    }));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    ws.sendText("close please", true).get(5, TimeUnit.SECONDS);
    assertEquals(new Closed(1008, "policy", true), client.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(List.of("bye"), client.allTexts(), "frames sent before close() go out first; after it, none");
    assertEquals(new Closed(1008, "policy", false), listener.firstClose.get(5, TimeUnit.SECONDS));
    assertFalse(listener.handle.get().isOpen());
    Thread.sleep(300);
    assertEquals(1, listener.closes.size());
  }

  @Test
  void handleRejectsCloseCodesThatMayNotBeSent() throws Exception {
    TestListener listener = server.register(TestListener.echo(DEFAULT_LIMITS));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    ClientSocket handle = listener.handle.get(5, TimeUnit.SECONDS);
    for (int code : new int[] {999, 1004, 1005, 1006, 1015, 2999, 5000}) {
      try {
        handle.close(code, "nope");
        fail("close code " + code + " accepted");
      } catch (IllegalArgumentException expected) {
        // ok
      }
    }
    ws.sendText("still open", true).get(5, TimeUnit.SECONDS);
    assertEquals("still open", client.nextText());
    // A reason longer than a control frame allows is truncated, not rejected.
    handle.close(4000, "r".repeat(500));
    Closed closed = client.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(4000, closed.code());
    assertEquals("r".repeat(123), closed.reason());
  }

  @Test
  void slowConsumerIsClosedWith4008() throws Exception {
    WebSocketLimits limits = new WebSocketLimits(64 * 1024, 32, 16, Duration.ofSeconds(30));
    TestListener listener = server.register(TestListener.flood(limits, 16 * 1024, 100_000, 1));
    Client client = new Client(false); // never reads until told to
    long start = System.nanoTime();
    connect(server, listener, client);

    Closed serverSide = listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(new Closed(4008, "slow consumer", false), serverSide);
    assertTrue(millis < 5_000, "took " + millis + " ms to detect the slow consumer");

    // The client now reads what the socket buffers held, then the 4008 close frame.
    client.requestAll();
    assertEquals(new Closed(4008, "slow consumer", true), client.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    int flooded = listener.sent.get();
    int got = client.texts.size();
    System.out.printf("slow consumer: closed after %d ms; server sent %d frames, client read %d before the close%n",
        millis, flooded, got);
    assertTrue(got < flooded, "queued frames are dropped on 4008");
    assertEquals(1, listener.closes.size());
  }

  @Test
  void consumerThatKeepsUpIsNotClosed() throws Exception {
    WebSocketLimits limits = new WebSocketLimits(64 * 1024, 32, 64, Duration.ofSeconds(30));
    int count = 300;
    TestListener listener = server.register(TestListener.flood(limits, 16 * 1024, count, 1));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    for (int i = 0; i < count; i++) {
      assertEquals(16 * 1024, client.nextText().length());
    }
    assertFalse(listener.firstClose.isDone(), "closed: " + listener.closes);
    ws.sendClose(1000, "").get(5, TimeUnit.SECONDS);
    assertEquals(1000, listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS).code());
  }

  @Test
  void inboundFlowControlStopsAtMaxInFlight() throws Exception {
    WebSocketLimits limits = new WebSocketLimits(64 * 1024, 4, 64, Duration.ofSeconds(30));
    TestListener listener = server.register(new TestListener(limits, h -> {}, (h, m) -> {})); // never processed()
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    for (int i = 0; i < 10; i++) {
      ws.sendText("m" + i, true).get(5, TimeUnit.SECONDS);
    }
    awaitSize(listener.received, 4);
    Thread.sleep(300);
    assertEquals(4, listener.received.size(), "stops at maxInFlight");

    ClientSocket handle = listener.handle.get();
    handle.processed();
    awaitSize(listener.received, 5);
    Thread.sleep(300);
    assertEquals(5, listener.received.size());
    for (int i = 0; i < 4; i++) {
      handle.processed();
    }
    awaitSize(listener.received, 9); // 4 acknowledged, 4 more let in
    Thread.sleep(300);
    assertEquals(9, listener.received.size());
    handle.processed();
    awaitSize(listener.received, 10);
    assertEquals(List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"), listener.received);
    // Still at maxInFlight: not even the peer's close frame is read until a message is acknowledged.
    ws.sendClose(1000, "").get(5, TimeUnit.SECONDS);
    Thread.sleep(300);
    assertFalse(listener.firstClose.isDone());
    handle.processed();
    assertEquals(1000, listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS).code());
  }

  @Test
  void peerCloseIsReportedOnce() throws Exception {
    TestListener listener = server.register(TestListener.echo(DEFAULT_LIMITS));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    ws.sendText("x", true).get(5, TimeUnit.SECONDS);
    assertEquals("x", client.nextText());

    ws.sendClose(1001, "bye").get(5, TimeUnit.SECONDS);
    assertEquals(new Closed(1001, "bye", true), listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    // pekko answers the close with the peer's own code once our stage has completed.
    assertEquals(new Closed(1001, "bye", true), client.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    ClientSocket handle = listener.handle.get();
    assertFalse(handle.isOpen());
    handle.send("ignored");
    handle.close(1000, "ignored");
    Thread.sleep(500);
    assertEquals(1, listener.closes.size(), "closes: " + listener.closes);
  }

  @Test
  void droppedConnectionIsReportedAs1006() throws Exception {
    TestListener listener = server.register(TestListener.echo(DEFAULT_LIMITS));
    Client client = new Client(true);
    WebSocket ws = connect(server, listener, client);
    ws.sendText("x", true).get(5, TimeUnit.SECONDS);
    assertEquals("x", client.nextText());
    ws.abort();
    Closed closed = listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(1006, closed.code());
    assertTrue(closed.byPeer());
    Thread.sleep(300);
    assertEquals(1, listener.closes.size());
  }

  @Test
  void keepAlivePingsKeepAnIdleSocketOpen() throws Exception {
    Server idle = Server.start("ws-idle-test", "pekko.http.server.idle-timeout = 2s");
    try {
      TestListener pinging = idle.register(TestListener.echo(
          new WebSocketLimits(64 * 1024, 32, 64, Duration.ofMillis(500))));
      TestListener silent = idle.register(TestListener.echo(
          new WebSocketLimits(64 * 1024, 32, 64, Duration.ofMinutes(1))));
      Client pingingClient = new Client(true);
      Client silentClient = new Client(true);
      WebSocket ws = connect(idle, pinging, pingingClient);
      connect(idle, silent, silentClient);

      Thread.sleep(4_000);
      // Control: without pings the server's idle-timeout ends the socket ...
      assertTrue(silent.firstClose.isDone(), "idle-timeout did not close the connection without keep-alive");
      assertEquals(1006, silent.firstClose.get().code());
      // ... with them it is still open and working.
      assertFalse(pinging.firstClose.isDone(), "closed: " + pinging.closes);
      assertFalse(pingingClient.closed.isDone(), "client saw " + pingingClient.closed.getNow(null));
      ws.sendText("still here", true).get(5, TimeUnit.SECONDS);
      assertEquals("still here", pingingClient.nextText());
      assertTrue(pingingClient.pings.get() >= 4, "pings: " + pingingClient.pings.get());
      ws.sendClose(1000, "").get(5, TimeUnit.SECONDS);
      assertEquals(1000, pinging.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS).code());
    } finally {
      idle.stop();
    }
  }

  @Test
  void manyConcurrentConnectionsEcho() throws Exception {
    int connections = 50;
    int messages = 20;
    List<TestListener> listeners = new ArrayList<>();
    List<Client> clients = new ArrayList<>();
    List<CompletableFuture<WebSocket>> sockets = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      TestListener listener = server.register(TestListener.echo(DEFAULT_LIMITS));
      Client client = new Client(true);
      listeners.add(listener);
      clients.add(client);
      sockets.add(HTTP.newWebSocketBuilder().connectTimeout(WAIT).buildAsync(server.uri(listener), client));
    }
    List<CompletableFuture<?>> sends = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      int conn = c;
      CompletableFuture<WebSocket> chain = sockets.get(c);
      for (int m = 0; m < messages; m++) {
        String text = "c" + conn + "-m" + m;
        chain = chain.thenCompose(ws -> ws.sendText(text, true));
      }
      sends.add(chain);
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (int c = 0; c < connections; c++) {
      for (int m = 0; m < messages; m++) {
        assertEquals("c" + c + "-m" + m, clients.get(c).nextText());
      }
      assertEquals(messages, listeners.get(c).received.size());
    }
    for (CompletableFuture<WebSocket> ws : sockets) {
      ws.get().sendClose(1000, "done");
    }
    for (TestListener listener : listeners) {
      assertEquals(new Closed(1000, "done", true), listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
  }

  @Test
  void closeHandshakeTimesOutWhenThePeerNeverAnswers() throws Exception {
    TestListener listener = server.register(new TestListener(DEFAULT_LIMITS, h -> {}, (h, m) -> h.close(1008, "policy")));
    try (RawClient raw = RawClient.connect(server, listener)) {
      raw.sendText("close please");
      RawClient.Frame close = raw.readFrame();
      assertEquals(8, close.opcode());
      assertEquals(1008, close.closeCode());
      long start = System.nanoTime();
      // We never answer the close: pekko's close timeout (fed by our ticks) must end the connection.
      assertTrue(raw.awaitEndOfStream(Duration.ofSeconds(10)), "connection not closed");
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(millis >= 2_000 && millis < 6_000, "closed after " + millis + " ms");
      assertEquals(List.of(new Closed(1008, "policy", false)), listener.closes);
    }
  }

  @Test
  void answersPingsWithPongsAndEchoesAfterwards() throws Exception {
    TestListener listener = server.register(TestListener.echo(DEFAULT_LIMITS));
    try (RawClient raw = RawClient.connect(server, listener)) {
      raw.sendFrame(9, "abc".getBytes(StandardCharsets.US_ASCII));
      RawClient.Frame pong = raw.readFrame();
      assertEquals(10, pong.opcode());
      assertEquals("abc", new String(pong.payload(), StandardCharsets.US_ASCII));
      raw.sendText("after ping");
      RawClient.Frame echo = raw.readFrame();
      assertEquals(1, echo.opcode());
      assertEquals("after ping", new String(echo.payload(), StandardCharsets.UTF_8));
      // Invalid UTF-8 is a protocol error found by pekko: it closes with 1007 and we report it.
      raw.sendFrame(1, new byte[] {(byte) 0xc3, (byte) 0x28});
      RawClient.Frame close = raw.readFrame();
      assertEquals(8, close.opcode());
      assertEquals(1007, close.closeCode());
      assertEquals(1007, listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS).code());
      assertFalse(listener.firstClose.get().byPeer());
    }
  }

  @Test
  void connectionIsAbortedWhenThePeerDoesNotReadOurClose() throws Exception {
    // A queue of 256 frames (4 MiB) overflows only once the socket's buffers are full, even on a busy
    // machine where the stage may not run for a while (with 16, a 16 ms stall overflowed it while the
    // buffers were still empty, and the 4008 close frame could leave).
    WebSocketLimits limits = new WebSocketLimits(64 * 1024, 32, 256, Duration.ofSeconds(30));
    TestListener listener = TestListener.flood(limits, 16 * 1024, 100_000, 1);
    listener.abortTimeout = Duration.ofSeconds(2); // default 30 s
    server.register(listener);
    try (RawClient raw = RawClient.connect(server, listener)) {
      assertEquals(new Closed(4008, "slow consumer", false), listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      // Not reading: the 4008 close frame cannot leave, so the connection is aborted after the abort timeout.
      Thread.sleep(listener.abortTimeout.toMillis() + 1_000);
      List<Integer> opcodes = raw.drainOpcodes(Duration.ofSeconds(10));
      assertFalse(opcodes.contains(8), "a close frame went out although the peer never read: " + opcodes.size());
    }
  }

  @Test
  void aPeerThatAnswersNoPingsIsDroppedAsHalfOpen() throws Exception {
    WebSocketLimits limits = new WebSocketLimits(64 * 1024, 32, 64, Duration.ofMillis(300));
    TestListener listener = server.register(TestListener.echo(limits));
    try (RawClient raw = RawClient.connect(server, listener)) {
      // The raw client never answers the pings (like a peer whose network vanished without a FIN).
      Closed closed = listener.firstClose.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(1006, closed.code());
      assertTrue(closed.reason().startsWith("peer unresponsive"), closed.reason());
    }
  }

  @Test
  void utf8LengthCountsEncodedBytes() {
    for (String s : new String[] {"", "abc", "h\u00e9llo", "\u2713", "\uD83D\uDE00", "a\u00e9\u2713\uD83D\uDE00z"}) {
      assertEquals(s.getBytes(StandardCharsets.UTF_8).length, WebSocketConnection.utf8Length(s), s);
    }
    // A surrogate pair split across two decoded parts still sums to 4.
    assertEquals(4, WebSocketConnection.utf8Length("\uD83D") + WebSocketConnection.utf8Length("\uDE00"));
    assertEquals(123, WebSocketConnection.truncateReason("\u2713".repeat(100)).getBytes(StandardCharsets.UTF_8).length);
    assertEquals(120, WebSocketConnection.truncateReason("\uD83D\uDE00".repeat(40)).getBytes(StandardCharsets.UTF_8).length);
  }

  // -- fixtures -----------------------------------------------------------------------------------------------

  record Closed(int code, String reason, boolean byPeer) {}

  private static WebSocket connect(Server server, TestListener listener, Client client) throws Exception {
    WebSocket ws = HTTP.newWebSocketBuilder().connectTimeout(WAIT).buildAsync(server.uri(listener), client)
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    listener.handle.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return ws;
  }

  private static void awaitSize(List<?> list, int size) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (list.size() < size && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(size, list.size());
  }

  /** Just enough of a WebSocket client to misbehave: never answers a close, or never reads. */
  private static final class RawClient implements AutoCloseable {
    record Frame(int opcode, byte[] payload) {
      int closeCode() {
        return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
      }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawClient(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      this.out = socket.getOutputStream();
    }

    static RawClient connect(Server server, TestListener listener) throws Exception {
      URI uri = server.uri(listener);
      Socket socket = new Socket(uri.getHost(), uri.getPort());
      socket.setSoTimeout((int) WAIT.toMillis());
      RawClient client = new RawClient(socket);
      byte[] key = new byte[16];
      new java.util.Random().nextBytes(key);
      String request = "GET " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\n"
          + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n";
      client.out.write(request.getBytes(StandardCharsets.US_ASCII));
      client.out.flush();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) client.in.readUnsignedByte());
      }
      assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
      listener.handle.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      return client;
    }

    void sendText(String text) throws IOException {
      sendFrame(1, text.getBytes(StandardCharsets.UTF_8));
    }

    void sendFrame(int opcode, byte[] payload) throws IOException {
      if (payload.length > 125) {
        throw new IllegalArgumentException("short frames only");
      }
      byte[] mask = {1, 2, 3, 4};
      byte[] frame = new byte[2 + 4 + payload.length];
      frame[0] = (byte) (0x80 | opcode);
      frame[1] = (byte) (0x80 | payload.length);
      System.arraycopy(mask, 0, frame, 2, 4);
      for (int i = 0; i < payload.length; i++) {
        frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
      }
      out.write(frame);
      out.flush();
    }

    Frame readFrame() throws IOException {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      return new Frame(b0 & 0x0f, payload);
    }

    /** True if the server ended the connection (EOF or reset) within {@code timeout}. */
    boolean awaitEndOfStream(Duration timeout) throws IOException {
      socket.setSoTimeout((int) timeout.toMillis());
      try {
        while (true) {
          readFrame();
        }
      } catch (EOFException | SocketException e) {
        return true;
      } catch (SocketTimeoutException e) {
        return false;
      }
    }

    /** Reads frames until the server ends the connection; fails if it does not within {@code timeout}. */
    List<Integer> drainOpcodes(Duration timeout) throws IOException {
      socket.setSoTimeout((int) timeout.toMillis());
      List<Integer> opcodes = new ArrayList<>();
      try {
        while (true) {
          opcodes.add(readFrame().opcode());
        }
      } catch (EOFException | SocketException e) {
        return opcodes;
      } catch (SocketTimeoutException e) {
        fail("connection still open after " + opcodes.size() + " frames");
        return opcodes;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** A pekko-http server whose {@code /ws?id=...} upgrades with the listener registered under that id. */
  private static final class Server {
    final ActorSystem<Void> system;
    final ServerBinding binding;
    final Map<String, TestListener> registry;

    private Server(ActorSystem<Void> system, ServerBinding binding, Map<String, TestListener> registry) {
      this.system = system;
      this.binding = binding;
      this.registry = registry;
    }

    static Server start(String name, String extraConfig) throws Exception {
      Config config = ConfigFactory.parseString(extraConfig + "\n"
          + "pekko.actor.provider = local\n"
          + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
          + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
          + "pekko.loglevel = INFO\n");
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
      Map<String, TestListener> registry = new ConcurrentHashMap<>();
      Route route = path("ws", () -> parameter("id", id -> extractWebSocketUpgrade(upgrade -> {
        TestListener listener = registry.remove(id);
        if (listener == null) {
          return complete(StatusCodes.NOT_FOUND, "no listener " + id);
        }
        return complete(listener.abortTimeout == null
            ? WebSocketConnection.upgrade(upgrade, Optional.empty(), listener.limits, listener, system)
            : WebSocketConnection.upgrade(upgrade, Optional.empty(), listener.limits, listener, system,
                listener.abortTimeout));
      })));
      ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(route)
          .toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      return new Server(system, binding, registry);
    }

    TestListener register(TestListener listener) {
      registry.put(listener.id, listener);
      return listener;
    }

    URI uri(TestListener listener) {
      return URI.create("ws://127.0.0.1:" + binding.localAddress().getPort() + "/ws?id=" + listener.id);
    }

    void stop() throws Exception {
      binding.unbind().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /** Server side: records everything, behaviour per test. */
  private static final class TestListener implements WebSocketListener {
    final String id = UUID.randomUUID().toString();
    final WebSocketLimits limits;
    final Consumer<ClientSocket> onOpen;
    final BiConsumer<ClientSocket, String> onMessage;
    final CompletableFuture<ClientSocket> handle = new CompletableFuture<>();
    final List<String> received = new CopyOnWriteArrayList<>();
    final List<Closed> closes = new CopyOnWriteArrayList<>();
    final CompletableFuture<Closed> firstClose = new CompletableFuture<>();
    final AtomicInteger sent = new AtomicInteger();
    /** Overrides {@link WebSocketConnection#ABORT_TIMEOUT} when set. */
    volatile Duration abortTimeout;

    TestListener(WebSocketLimits limits, Consumer<ClientSocket> onOpen,
        BiConsumer<ClientSocket, String> onMessage) {
      this.limits = limits;
      this.onOpen = onOpen;
      this.onMessage = onMessage;
    }

    static TestListener echo(WebSocketLimits limits) {
      return new TestListener(limits, h -> {}, (h, m) -> {
        h.send(m);
        h.processed();
      });
    }

    /** Sends {@code count} frames of {@code size} bytes from another thread, pausing 1 ms every {@code batch}. */
    static TestListener flood(WebSocketLimits limits, int size, int count, int batch) {
      TestListener[] self = new TestListener[1];
      self[0] = new TestListener(limits, h -> {
        OutboundFrame frame = OutboundFrame.text("f".repeat(size)); // rendered once, sent many times
        Thread thread = new Thread(() -> {
          try {
            for (int i = 0; i < count && h.isOpen(); i++) {
              h.send(frame);
              self[0].sent.incrementAndGet();
              if ((i + 1) % batch == 0) {
                Thread.sleep(1);
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }, "flood");
        thread.setDaemon(true);
        thread.start();
      }, (h, m) -> h.processed());
      return self[0];
    }

    @Override
    public void opened(ClientSocket h) {
      handle.complete(h);
      onOpen.accept(h);
    }

    @Override
    public void received(String message) {
      received.add(message);
      onMessage.accept(handle.getNow(null), message);
    }

    @Override
    public void closed(int code, String reason, boolean byPeer) {
      Closed c = new Closed(code, reason, byPeer);
      closes.add(c);
      firstClose.complete(c);
    }
  }

  /** Client side (JDK): collects texts; {@code autoRequest=false} reads nothing until {@link #requestAll()}. */
  private static final class Client implements WebSocket.Listener {
    final boolean autoRequest;
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<Closed> closed = new CompletableFuture<>();
    final AtomicInteger pings = new AtomicInteger();
    final AtomicLong errors = new AtomicLong();
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket socket;

    Client(boolean autoRequest) {
      this.autoRequest = autoRequest;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      socket = webSocket;
      if (autoRequest) {
        webSocket.request(1);
      }
    }

    void requestAll() {
      socket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      if (autoRequest) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      pings.incrementAndGet();
      if (autoRequest) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(new Closed(statusCode, reason, true));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      errors.incrementAndGet();
      closed.complete(new Closed(-1, String.valueOf(error), true));
    }

    String nextText() throws InterruptedException {
      String text = texts.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      if (text == null) {
        fail("no text within " + WAIT + "; closed: " + closed.getNow(null));
      }
      return text;
    }

    List<String> allTexts() {
      return new ArrayList<>(texts);
    }
  }
}
