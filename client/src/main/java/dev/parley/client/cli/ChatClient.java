package dev.parley.client.cli;

import dev.parley.client.Backoff;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketEvent;
import dev.parley.client.SocketListener;
import dev.parley.client.SocketOptions;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationListItem;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.ServerFrame;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A terminal chat client on the Parley Java client library: logs in, opens {@code /ws}, reads commands
 * from stdin and prints every server frame as one line. The library's socket does the reconnecting
 * (logging in again when the node forgot the token) and resumes each joined conversation from the
 * newest seq shown, so a node restart costs no messages; typing, presence and receipts sent while
 * disconnected are not shown. Text from the server is printed with control characters replaced.
 */
@Command(name = "parley-chat", sortOptions = false,
    description = "Chat with a Parley node from the terminal.",
    footer = {"", "Without --password the PARLEY_PASSWORD environment variable is used.", "", ChatClient.COMMANDS})
public final class ChatClient implements Callable<Integer> {
  static final String COMMANDS = """
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
  /** About 31 s of attempts at most (1, 2, 4, 8, 16 s, jittered): long enough for a node restart. */
  private static final Backoff RECONNECT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(16), 0.5, 5);

  @Option(names = "--url", required = true, description = "the node, e.g. http://127.0.0.1:8080")
  private String url;
  @Option(names = "--user", required = true, description = "your username")
  private String user;
  @Option(names = "--password", defaultValue = "${env:PARLEY_PASSWORD}", description = "your password")
  private String password;
  @Option(names = "--register", description = "create the account first (an existing one is fine)")
  private boolean register;
  @Spec
  private CommandSpec spec;

  private final InputStream in;
  private final Screen screen;
  /** Per conversation: the newest seq shown (messages, own acks), the default of /read. */
  private final Map<String, Long> seen = new ConcurrentHashMap<>();
  /** Conversations with a /join waiting for its answer: the answer makes them current. */
  private final Set<String> joining = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private ParleySession session;
  private ParleySocket socket;
  private volatile String current;

  private ChatClient(InputStream in, PrintStream out) {
    this.in = in;
    this.screen = new Screen(out);
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
    PrintWriter writer = new PrintWriter(out, true, StandardCharsets.UTF_8);
    return new CommandLine(new ChatClient(in, out)).setOut(writer).setErr(writer).execute(args);
  }

  @Override
  public Integer call() {
    if (password == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "no --password and no PARLEY_PASSWORD");
    }
    ParleyClient parley;
    try {
      parley = ParleyClient.create(url);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try {
      if (register) {
        try {
          parley.register(user, password).join();
          screen.print("registered " + user);
        } catch (RuntimeException e) {
          ParleyException p = ParleyException.unwrap(e);
          if (p.code() != ErrorCode.CONFLICT) {
            screen.print("register failed: " + describe(p));
            return 1;
          }
          screen.print("already registered: " + user);
        }
      }
      try {
        session = parley.login(user, password).join();
      } catch (RuntimeException e) {
        screen.print("login failed: " + describe(e));
        return 1;
      }
      socket = session.connect(SocketOptions.defaults().withReconnect(true, RECONNECT), new Printer()).join();
    } catch (RuntimeException e) {
      screen.print("cannot start: " + describe(e));
      return 1;
    }
    screen.print("connected as " + session.userId() + "; /help lists the commands");
    Thread reader = new Thread(this::readCommands, "chat-stdin");
    reader.setDaemon(true);
    reader.start();
    int code = exit.join();
    quit();
    return code;
  }

  private void readCommands() {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while (!exit.isDone() && (line = lines.readLine()) != null) {
        try {
          if (!line.isBlank()) {
            command(line);
          }
        } catch (RuntimeException e) {
          screen.print("! " + describe(e));
        }
      }
    } catch (IOException e) {
      screen.print("! cannot read input: " + e.getMessage());
    }
    exit.complete(0);
  }

  private void command(String line) {
    String[] w = line.strip().split("\\s+");
    switch (w[0]) {
      case "/quit" -> exit.complete(0);
      case "/help" -> screen.raw(COMMANDS);
      case "/new" -> create(w);
      case "/join" -> {
        String conv = arg(w, 1);
        joining.add(conv);
        socket.subscribe(conv, w.length > 2 ? Long.valueOf(w[2]) : null)
            .whenComplete((answer, failure) -> joining.remove(conv));
      }
      case "/leave" -> {
        String conv = arg(w, 1);
        socket.unsubscribe(conv).join();
        screen.print("left " + conv);
      }
      case "/to" -> {
        current = arg(w, 1);
        screen.print("talking in " + current);
      }
      case "/history" -> socket.history(conv(), w.length > 1 ? Long.valueOf(w[1]) : null, null, null);
      case "/read" -> socket.read(conv(), w.length > 1 ? Long.parseLong(w[1]) : seen.getOrDefault(conv(), 0L)).join();
      case "/typing" -> socket.typing(conv()).join();
      case "/list" -> list();
      default -> {
        if (w[0].startsWith("/")) {
          screen.print("unknown command " + w[0] + "; /help lists the commands");
        } else {
          // Errors come back as error frames, which the printer shows.
          socket.send(conv(), line);
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
    ConversationInfo info = session.createConversation(type, name, members).join();
    current = info.id();
    screen.print("created " + info.id() + " (" + info.type() + ", " + info.memberCount() + " members); /join it to chat");
  }

  private void list() {
    var items = session.conversations().join().items();
    if (items.isEmpty()) {
      screen.print("no conversations yet");
    }
    for (ConversationListItem i : items) {
      MessageView last = i.lastMessage();
      screen.print(i.conv() + "  " + i.type() + (i.name() == null ? "" : " \"" + i.name() + "\"") + "  unread "
          + i.unread() + (last == null ? "" : "  last #" + last.seq() + " " + last.sender() + ": " + Screen.text(last)));
    }
  }

  private void quit() {
    try {
      socket.close();
      session.logout().join();
    } catch (RuntimeException e) {
      // Best effort: the server forgets the token after its TTL anyway.
    }
    screen.print("bye");
  }

  /** Prints what the socket delivers and keeps the little state the commands need. */
  private final class Printer implements SocketListener {
    @Override
    public void onFrame(ServerFrame f) {
      if (f instanceof ServerFrame.MessageFrame m) {
        seen.merge(m.conv(), m.message().seq(), Math::max);
      } else if (f instanceof ServerFrame.AckFrame a) {
        seen.merge(a.conv(), a.seq(), Math::max);
      } else if (f instanceof ServerFrame.SubscribedFrame s && s.ref() != null && joining.remove(s.conv())) {
        current = s.conv();
      }
      screen.show(f, current);
    }

    @Override
    public void onEvent(SocketEvent event) {
      if (event instanceof SocketEvent.Disconnected d) {
        screen.print("closed " + d.code() + (d.reason().isEmpty() ? "" : " " + d.reason()));
      } else if (event instanceof SocketEvent.ReconnectFailed r) {
        screen.print("reconnect " + r.attempt() + " failed: " + describe(r.error()));
      } else if (event instanceof SocketEvent.Reconnected) {
        screen.print("reconnected");
      } else if (event instanceof SocketEvent.Closed c && !c.deliberate()) {
        screen.print("connection lost for good: " + c.reason());
        exit.complete(3);
      }
    }

    @Override
    public void onUnreadable(String text, ProtocolException error) {
      screen.print("? " + text);
    }
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

  /** "code: message" for an error from the server, else just what went wrong. */
  private static String describe(Throwable e) {
    ParleyException p = ParleyException.unwrap(e);
    return p.fromServer() ? p.code().code() + ": " + p.getMessage() : p.getMessage();
  }
}
