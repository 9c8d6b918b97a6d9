package dev.parley.cli;

import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationList;
import dev.parley.protocol.ConversationListItem;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.CreateConversationRequest;
import dev.parley.protocol.ErrorBody;
import dev.parley.protocol.LoginRequest;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.RegisterRequest;
import dev.parley.protocol.ServerFrame;
import dev.parley.protocol.SessionToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A terminal chat client (JDK HttpClient and WebSocket, the protocol module's codec): logs in, opens
 * {@code /ws}, reads commands from stdin and prints every server frame as one line. After a close
 * that reconnecting can fix (1001, 1006, 1011, 4008) it reconnects, logging in again if the token is
 * gone, and resubscribes each joined conversation with {@code sinceSeq} = the newest seq it saw.
 * Text from the server is printed with control characters replaced, so nobody can drive the terminal.
 */
public final class ChatClient {
  private static final String USAGE = """
      usage: ChatClient --url http://127.0.0.1:8080 --user NAME [--password PW] [--register]
        (without --password the PARLEY_PASSWORD environment variable is used)
      commands:
        /new <private|small|large|channel> <name|-> [members...]   create (becomes current)
        /join <conv> [sinceSeq]  subscribe (becomes current)   /leave <conv>   unsubscribe
        /to <conv>               set the current conversation  /list           your conversations
        /history [beforeSeq]     a page of older messages      /read [upTo]    mark read (default: newest seen)
        /typing                  say you are typing            /quit           log out and exit
        anything else            a message to the current conversation
      """;
  private static final Map<String, ConversationType> TIERS = Map.of("private", ConversationType.PRIVATE,
      "small", ConversationType.SMALL_GROUP, "large", ConversationType.LARGE_GROUP, "channel", ConversationType.CHANNEL);
  /** Closes after which a new connection can succeed: going away, abnormal, internal error, slow consumer. */
  private static final Set<Integer> RETRYABLE = Set.of(1001, 1006, 1011, 4008);
  private static final int MAX_RECONNECTS = 5;

  private final PrintStream out;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  /** Per conversation: the newest seq seen (messages, own acks, subscribe), the resume point. */
  private final Map<String, Long> cursors = new ConcurrentHashMap<>();
  private final Set<String> joined = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private String baseUrl;
  private String user;
  private String password;
  private volatile String token;
  private volatile WebSocket socket;
  private volatile String current;
  private volatile boolean quitting;

  private ChatClient(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out));
  }

  /**
   * Runs one client on the given streams until {@code /quit}, the end of {@code in}, or a connection
   * lost for good. Returns the exit code: 0 normally, 1 when registering, logging in or connecting
   * fails, 2 for bad arguments, 3 when the connection was lost and reconnecting failed.
   */
  public static int run(String[] args, InputStream in, PrintStream out) {
    return new ChatClient(out).start(args, in);
  }

  private int start(String[] args, InputStream in) {
    boolean register = false;
    password = System.getenv("PARLEY_PASSWORD");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--register")) {
        register = true;
      } else if (i + 1 < args.length && args[i].equals("--url")) {
        baseUrl = args[++i].replaceAll("/+$", "");
      } else if (i + 1 < args.length && args[i].equals("--user")) {
        user = args[++i];
      } else if (i + 1 < args.length && args[i].equals("--password")) {
        password = args[++i];
      } else {
        out.print(USAGE);
        return 2;
      }
    }
    if (baseUrl == null || !baseUrl.matches("https?://.+") || user == null || password == null) {
      out.print(USAGE);
      return 2;
    }
    try {
      if (register) {
        Reply r = call("POST", "/api/users", null, new RegisterRequest(user, password));
        if (r.status() != 201 && r.status() != 409) {
          print("register failed: " + r.error());
          return 1;
        }
        print(r.status() == 201 ? "registered " + user : "already registered: " + user);
      }
      String failure = login();
      if (failure != null) {
        print("login failed: " + failure);
        return 1;
      }
      connect();
    } catch (RuntimeException e) {
      print("cannot start: " + describe(e));
      return 1;
    }
    print("connected as " + user + "; /help lists the commands");
    Thread reader = new Thread(() -> readCommands(in), "chat-stdin");
    reader.setDaemon(true);
    reader.start();
    int code = exit.join();
    quit();
    return code;
  }

  private void readCommands(InputStream in) {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while (!exit.isDone() && (line = lines.readLine()) != null) {
        try {
          if (!line.isBlank()) {
            command(line);
          }
        } catch (RuntimeException e) {
          print("! " + describe(e));
        }
      }
    } catch (IOException e) {
      print("! cannot read input: " + e.getMessage());
    }
    exit.complete(0);
  }

  private void command(String line) {
    String[] w = line.strip().split("\\s+");
    switch (w[0]) {
      case "/quit" -> exit.complete(0);
      case "/help" -> out.print(USAGE);
      case "/new" -> create(w);
      case "/join" -> {
        String conv = arg(w, 1);
        joined.add(conv);
        send(new ClientFrame.SubscribeFrame(conv, w.length > 2 ? Long.valueOf(w[2]) : null, "join:" + conv));
      }
      case "/leave" -> {
        String conv = arg(w, 1);
        joined.remove(conv);
        send(new ClientFrame.UnsubscribeFrame(conv));
        print("left " + conv);
      }
      case "/to" -> {
        current = arg(w, 1);
        print("talking in " + current);
      }
      case "/history" -> send(new ClientFrame.HistoryFrame(conv(), w.length > 1 ? Long.valueOf(w[1]) : null,
          null, null, "history"));
      case "/read" -> send(new ClientFrame.ReadFrame(conv(),
          w.length > 1 ? Long.valueOf(w[1]) : cursors.getOrDefault(conv(), 0L), "read"));
      case "/typing" -> send(new ClientFrame.TypingFrame(conv()));
      case "/list" -> list();
      default -> {
        if (w[0].startsWith("/")) {
          print("unknown command " + w[0] + "; /help lists the commands");
        } else {
          send(new ClientFrame.SendFrame(conv(), UUID.randomUUID().toString(), line, null, null));
        }
      }
    }
  }

  private void create(String[] w) {
    ConversationType type = TIERS.get(arg(w, 1).toLowerCase(Locale.ROOT));
    if (type == null) {
      throw new IllegalArgumentException("the tier is one of private, small, large, channel");
    }
    String name = arg(w, 2).equals("-") ? null : w[2];
    var members = Arrays.stream(w, 3, w.length).map(m -> m.toLowerCase(Locale.ROOT)).toList();
    Reply r = call("POST", "/api/conversations", token, new CreateConversationRequest(type, name, members));
    if (r.status() != 201) {
      print("error " + r.error());
      return;
    }
    ConversationInfo info = ProtocolCodec.read(r.body(), ConversationInfo.class);
    current = info.id();
    print("created " + info.id() + " (" + info.type() + ", " + info.memberCount() + " members); /join it to chat");
  }

  private void list() {
    Reply r = call("GET", "/api/conversations", token, null);
    if (r.status() != 200) {
      print("error " + r.error());
      return;
    }
    var items = ProtocolCodec.read(r.body(), ConversationList.class).items();
    if (items.isEmpty()) {
      print("no conversations yet");
    }
    for (ConversationListItem i : items) {
      MessageView last = i.lastMessage();
      print(i.conv() + "  " + i.type() + (i.name() == null ? "" : " \"" + i.name() + "\"") + "  unread " + i.unread()
          + (last == null ? "" : "  last #" + last.seq() + " " + last.sender() + ": " + text(last)));
    }
  }

  // -- the connection ---------------------------------------------------------------------------

  /** Logs in; null on success, else why not. */
  private String login() {
    Reply r = call("POST", "/api/sessions", null, new LoginRequest(user, password));
    if (r.status() != 200) {
      return r.error();
    }
    SessionToken t = ProtocolCodec.read(r.body(), SessionToken.class);
    token = t.token();
    user = t.userId();
    return null;
  }

  private void connect() {
    URI uri = URI.create(baseUrl.replaceFirst("^http", "ws") + "/ws");
    http.newWebSocketBuilder().header("Authorization", "Bearer " + token).connectTimeout(Duration.ofSeconds(10))
        .buildAsync(uri, new Listener()).join();
  }

  private synchronized void send(ClientFrame frame) {
    WebSocket ws = socket;
    if (ws == null || ws.isOutputClosed()) {
      throw new IllegalStateException("not connected");
    }
    ws.sendText(ProtocolCodec.write(frame), true).join();
  }

  private void closed(WebSocket ws, int code, String reason) {
    if (ws != socket || quitting) {
      return;
    }
    print("closed " + code + (reason.isEmpty() ? "" : " " + reason));
    if (!RETRYABLE.contains(code)) {
      exit.complete(3);
      return;
    }
    CompletableFuture.runAsync(() -> {
      for (int attempt = 1; attempt <= MAX_RECONNECTS && !quitting; attempt++) {
        try {
          TimeUnit.MILLISECONDS.sleep(Math.min(1000L << (attempt - 1), 16_000));
          reconnect();
          return;
        } catch (InterruptedException e) {
          break;
        } catch (RuntimeException e) {
          print("reconnect " + attempt + " failed: " + describe(e));
        }
      }
      exit.complete(3);
    });
  }

  /** Connects again (logging in again when the token is no longer valid) and resumes every joined conversation. */
  private void reconnect() {
    try {
      connect();
    } catch (RuntimeException e) {
      if (!(e.getCause() instanceof WebSocketHandshakeException h) || h.getResponse().statusCode() != 401) {
        throw e;
      }
      String failure = login();
      if (failure != null) {
        throw new IllegalStateException("login: " + failure);
      }
      connect();
    }
    print("reconnected");
    for (String conv : joined) {
      send(new ClientFrame.SubscribeFrame(conv, cursors.get(conv), "rejoin:" + conv));
    }
  }

  private void quit() {
    quitting = true;
    WebSocket ws = socket;
    try {
      if (ws != null && !ws.isOutputClosed()) {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
        for (int i = 0; i < 20 && !ws.isInputClosed(); i++) {
          TimeUnit.MILLISECONDS.sleep(50);
        }
      }
      call("DELETE", "/api/sessions", token, null);
    } catch (Exception e) {
      // Best effort: the server forgets the token after its TTL anyway.
    } finally {
      if (ws != null) {
        ws.abort();
      }
    }
    print("bye");
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();
    private boolean ended;

    @Override
    public void onOpen(WebSocket ws) {
      socket = ws;
      ws.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String json = partial.toString();
        partial.setLength(0);
        try {
          show(ProtocolCodec.readServerFrame(json));
        } catch (RuntimeException e) {
          print("? " + json);
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      end(ws, code, reason);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      end(ws, 1006, "connection lost: " + describe(error));
    }

    private synchronized void end(WebSocket ws, int code, String reason) {
      if (!ended) {
        ended = true;
        closed(ws, code, reason);
      }
    }
  }

  // -- output -----------------------------------------------------------------------------------

  private void show(ServerFrame f) {
    if (f instanceof ServerFrame.MessageFrame m) {
      seen(m.conv(), m.message().seq());
      print(line(m.message()));
    } else if (f instanceof ServerFrame.AckFrame a) {
      seen(a.conv(), a.seq());
      print("ack #" + a.seq() + (a.duplicate() ? " (duplicate)" : "") + where(a.conv()));
    } else if (f instanceof ServerFrame.EditedFrame e) {
      print("[" + e.conv() + "#" + e.seq() + "] edited by " + e.by() + ": " + e.text());
    } else if (f instanceof ServerFrame.DeletedFrame d) {
      print("[" + d.conv() + "#" + d.seq() + "] deleted by " + d.by());
    } else if (f instanceof ServerFrame.ReceiptFrame r) {
      String seen = r.seenBy() != null ? "seen by " + (r.seenBy().isEmpty() ? "nobody" : String.join(", ", r.seenBy()))
          : r.seenCount() != null ? "seen by " + r.seenCount() : r.views() + " views";
      print("receipt #" + r.seq() + " " + seen + where(r.conv()));
    } else if (f instanceof ServerFrame.UnreadFrame u) {
      print("unread " + u.count() + " (newest #" + u.lastSeq() + ")" + where(u.conv()));
    } else if (f instanceof ServerFrame.HistoryPageFrame h) {
      h.page().messages().forEach(m -> print(line(m)));
      print("history: " + h.page().messages().size() + " messages" + (h.page().hasMoreBefore() && !h.page()
          .messages().isEmpty() ? "; older: /history " + h.page().messages().get(0).seq() : "") + where(h.page().conv()));
    } else if (f instanceof ServerFrame.SubscribedFrame s) {
      if (("join:" + s.conv()).equals(s.ref())) {
        current = s.conv();
      }
      if (s.replayedFrom() == null) {
        seen(s.conv(), s.lastSeq());
      }
      long holeEnd = s.replayedFrom() != null ? s.replayedFrom() : s.lastSeq() + 1;
      print("joined " + s.conv() + " at #" + s.lastSeq()
          + (s.replayedFrom() == null ? "" : ", replaying from #" + s.replayedFrom())
          + (s.gap() ? ", GAP: missed messages, page them with /history " + holeEnd : "")
          + (s.online() == null ? "" : ", online: " + String.join(", ", s.online())));
    } else if (f instanceof ServerFrame.TypingIndicatorFrame t) {
      String who = t.users() == null ? t.count() + " people" : t.users().isEmpty() ? "nobody" : String.join(", ", t.users());
      print("typing: " + who + where(t.conv()));
    } else if (f instanceof ServerFrame.PresenceFrame p) {
      print("presence: " + p.user() + (p.online() ? " online" : " offline") + where(p.conv()));
    } else if (f instanceof ServerFrame.ErrorFrame e) {
      if (e.ref() != null && e.ref().matches("(re)?join:.*")) {
        joined.remove(e.ref().substring(e.ref().indexOf(':') + 1));
      }
      print("error " + e.code().code() + ": " + e.message()
          + (e.retryAfterMs() == null ? "" : " (retry after " + e.retryAfterMs() + " ms)"));
    }
  }

  private void seen(String conv, long seq) {
    cursors.merge(conv, seq, Math::max);
  }

  private String where(String conv) {
    return conv.equals(current) ? "" : " (in " + conv + ")";
  }

  private static String line(MessageView m) {
    return "[" + m.conv() + "#" + m.seq() + "] " + m.sender() + ": " + text(m);
  }

  private static String text(MessageView m) {
    if (m.deleted()) {
      return "(deleted)";
    }
    return (m.text() == null ? "" : m.text()) + (m.attachments().isEmpty() ? "" : " [+" + m.attachments().size()
        + " attachment(s)]") + (m.editedAt() == null ? "" : " (edited)");
  }

  /** One line; control characters (escape sequences, newlines) from the server are shown as '?'. */
  private void print(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
    out.println(sb);
  }

  private String conv() {
    if (current == null) {
      throw new IllegalStateException("no current conversation: /join <conv> or /to <conv> first");
    }
    return current;
  }

  private static String arg(String[] w, int i) {
    if (w.length <= i) {
      throw new IllegalArgumentException("missing argument to " + w[0] + "; /help lists the commands");
    }
    return w[i];
  }

  private static String describe(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t instanceof java.util.concurrent.CompletionException) {
      t = t.getCause();
    }
    if (t instanceof WebSocketHandshakeException h) {
      return "the server refused the WebSocket with HTTP " + h.getResponse().statusCode();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  // -- REST -------------------------------------------------------------------------------------

  private record Reply(int status, String body) {
    String error() {
      try {
        ErrorBody e = ProtocolCodec.read(body, ErrorBody.class);
        return e.code().code() + ": " + e.message();
      } catch (RuntimeException notJson) {
        return "HTTP " + status;
      }
    }
  }

  private Reply call(String method, String path, String bearer, Object body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(15))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(ProtocolCodec.write(body)));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + baseUrl + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
