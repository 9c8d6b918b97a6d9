package dev.parley.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.parley.app.ParleyNode;
import dev.parley.app.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The terminal client against a real embedded node, driven in-process through piped stdin and captured stdout. */
class ChatClientTest {
  @TempDir static Path dir;
  private static ParleyNode node;
  private static String url;

  @BeforeAll
  static void start() {
    node = ParleyNode.start(TestNodes.embedded(dir.resolve("node")));
    url = node.httpUrl();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stopAndWait(Duration.ofSeconds(30));
    }
  }

  @Test
  void twoUsersChatReadTypeAndCatchUp() {
    try (Terminal bob = new Terminal("--url", url, "--user", "bob", "--password", "secret-bob", "--register");
        Terminal ann = new Terminal("--url", url, "--user", "Ann", "--password", "secret-ann", "--register")) {
      bob.await("connected as bob");
      ann.await("connected as ann");
      ann.type("hello?");
      ann.await("no current conversation");
      ann.type("/new private - bob");
      ann.await("created dm:ann:bob (PRIVATE, 2 members)");
      ann.type("/join dm:ann:bob");
      bob.type("/join dm:ann:bob");
      ann.await("joined dm:ann:bob at #0");
      bob.await("joined dm:ann:bob at #0");

      ann.type("hello bob, it's ann");
      bob.await("[dm:ann:bob#1] ann: hello bob, it's ann");
      ann.await("ack #1");
      bob.type("/read");
      ann.await("receipt #1 seen by bob");
      bob.await("unread 0 (newest #1)");
      bob.type("/typing");
      ann.await("typing: bob");
      // The list's unread counts come from stored read positions, flushed every second: ask until it shows.
      ann.awaitRetyping("/list", "dm:ann:bob  PRIVATE  unread 0  last #1 ann: hello bob, it's ann");
      ann.type("/join no-such-conversation");
      ann.await("error not_found: no conversation no-such-conversation");

      bob.type("/quit");
      assertEquals(0, bob.exitCode());
      ann.await("presence: bob offline");
      // A terminal escape is not text (docs/protocol.md "Text"): refused before it is sent, nothing stored.
      ann.type("you missed this \u001b[31m");
      ann.await("! field 'text' in 'send' contains a control character (U+001B) at index 16");
      ann.type("you missed this");
      ann.await("ack #2");
    }
    // A new session resumes from the last seq it saw: exactly the missed message is replayed, once.
    try (Terminal bob = new Terminal("--url", url, "--user", "bob", "--password", "secret-bob", "--register")) {
      bob.await("already registered: bob");
      bob.type("/join dm:ann:bob 1");
      bob.await("joined dm:ann:bob at #2, replaying from #2");
      bob.await("[dm:ann:bob#2] ann: you missed this");
      assertFalse(bob.screen().contains("[dm:ann:bob#1]"), "only the missed message is replayed:\n" + bob.screen());
      bob.type("/history");
      bob.await("[dm:ann:bob#1] ann: hello bob, it's ann");
      bob.await("history: 2 messages");
      bob.closeInput();
      assertEquals(0, bob.exitCode(), "end of input exits normally");
    }
  }

  @Test
  void aWrongPasswordExitsNonZero() {
    try (Terminal cyd = new Terminal("--url", url, "--user", "cyd", "--password", "secret-cyd", "--register")) {
      cyd.await("connected as cyd");
    }
    try (Terminal wrong = new Terminal("--url", url, "--user", "cyd", "--password", "not-the-password")) {
      assertEquals(1, wrong.exitCode());
      wrong.await("login failed: unauthorized: wrong username or password");
    }
    try (Terminal noArgs = new Terminal("--url", url)) {
      assertEquals(2, noArgs.exitCode());
    }
  }

  @Test
  void reconnectsAndResumesAfterTheServerRestarts() throws IOException {
    Path data = Files.createDirectory(dir.resolve("restart"));
    int port = TestNodes.freePort();
    ParleyNode first = ParleyNode.start(TestNodes.embedded(data, port));
    String at = first.httpUrl();
    ParleyNode second = null;
    try (Terminal dia = new Terminal("--url", at, "--user", "dia", "--password", "secret-dia", "--register");
        Terminal eddie = new Terminal("--url", at, "--user", "eddie", "--password", "secret-eddie", "--register")) {
      dia.await("connected as dia");
      eddie.await("connected as eddie");
      dia.type("/new small pair eddie");
      String conv = dia.await("created ").split("created ")[1].split(" ")[0];
      dia.type("/join " + conv);
      eddie.type("/join " + conv);
      dia.await("joined " + conv);
      eddie.await("joined " + conv);
      dia.type("before the restart");
      eddie.await("dia: before the restart");

      first.stopAndWait(Duration.ofSeconds(30));
      eddie.await("closed 100");
      second = ParleyNode.start(TestNodes.embedded(data, port));
      // Tokens were in memory: the clients log in again, reconnect and resubscribe from seq 1.
      dia.await("reconnected");
      eddie.await("reconnected");
      eddie.await("joined " + conv + " at #1");
      dia.await("joined " + conv + " at #1");
      dia.type("after the restart");
      eddie.await("[" + conv + "#2] dia: after the restart");
    } finally {
      if (second != null) {
        second.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  /** One client on its own thread: what the test types goes to its stdin, what it prints is collected. */
  private static final class Terminal implements AutoCloseable {
    private final PipedOutputStream keys = new PipedOutputStream();
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    Terminal(String... args) {
      try {
        PipedInputStream stdin = new PipedInputStream(keys, 1 << 16);
        PrintStream stdout = new PrintStream(screen, true, StandardCharsets.UTF_8);
        Thread t = new Thread(() -> {
          try {
            exit.complete(ChatClient.run(args, stdin, stdout));
          } catch (Throwable e) {
            exit.completeExceptionally(e);
          }
        }, "chat-client-" + args[args.length > 3 ? 3 : 0]);
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void type(String line) {
      try {
        keys.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        keys.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    String screen() {
      return screen.toString(StandardCharsets.UTF_8);
    }

    /** Waits until a printed line contains {@code text} and returns that line. */
    String await(String text) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        boolean exited = exit.isDone();
        for (String line : screen().split("\n")) {
          if (line.contains(text)) {
            return line;
          }
        }
        if (exited) {
          break;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      throw new AssertionError("no line containing '" + text + "' in:\n" + screen());
    }

    /** Types {@code line} every half second until a printed line contains {@code text}; returns that line. */
    String awaitRetyping(String line, String text) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline && !screen().contains(text)) {
        type(line);
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      return await(text);
    }

    int exitCode() {
      try {
        return exit.get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("the client did not exit; it printed:\n" + screen(), e);
      }
    }

    void closeInput() {
      try {
        keys.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      if (!exit.isDone()) {
        type("/quit");
        exitCode();
      }
    }
  }
}
