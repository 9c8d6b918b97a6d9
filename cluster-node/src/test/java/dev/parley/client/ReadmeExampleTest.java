package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.app.ParleyNode;
import dev.parley.app.TestNodes;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ServerFrame;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Java client" example runs against a real node, and the README quotes exactly the lines
 * between the markers below (indentation removed), so the two cannot drift apart.
 */
class ReadmeExampleTest {
  private static final Path THIS_FILE = Path.of("src/test/java/dev/parley/client/ReadmeExampleTest.java");
  private static final Path README = Path.of("../README.md");

  @TempDir Path dir;

  @Test
  void theExampleRuns() {
    ParleyNode node = ParleyNode.start(TestNodes.embedded(dir));
    try {
      String url = node.httpUrl();
      ParleyClient setup = ParleyClient.create(url);
      setup.register("ann", "secret-ann").join();
      setup.register("bob", "secret-bob").join();

      example(url);

      ParleySession bob = setup.login("bob", "secret-bob").join();
      MessageView got = bob.history("dm:ann:bob", null, null, null).join().messages().get(0);
      assertEquals(List.of(1L, "ann", "hello bob"), List.of(got.seq(), got.sender(), got.text()));
    } finally {
      node.stopAndWait(Duration.ofSeconds(30));
    }
  }

  private static void example(String url) {
    // README:java-client
    ParleyClient parley = ParleyClient.create(url);
    ParleySession ann = parley.login("ann", "secret-ann").join();
    ConversationInfo chat = ann.createConversation(ConversationType.PRIVATE, null, List.of("bob")).join();
    FrameQueue frames = new FrameQueue();
    try (ParleySocket socket = ann.connect(frames).join()) {
      socket.subscribe(chat.id()).join();
      ServerFrame.AckFrame ack = socket.send(chat.id(), "hello bob").join();
      MessageView echo = frames.next(ServerFrame.MessageFrame.class, Duration.ofSeconds(5)).message();
      System.out.println("#" + ack.seq() + " " + echo.sender() + ": " + echo.text());
    }
    ann.logout().join();
    // README:end
  }

  @Test
  void theReadmeQuotesTheExample() throws IOException {
    String source = Files.readString(THIS_FILE);
    int from = source.indexOf('\n', source.indexOf("// README:java-client")) + 1;
    int to = source.lastIndexOf('\n', source.indexOf("// README:end"));
    String region = source.substring(from, to).stripIndent();
    Matcher block = Pattern.compile("## Java client\n.*?```java\n(.*?)```", Pattern.DOTALL)
        .matcher(Files.readString(README));
    assertEquals(true, block.find(), "README.md has a '## Java client' section with a ```java block");
    assertEquals(region, block.group(1).stripTrailing(),
        "README.md's Java client example must be the marked region of " + THIS_FILE);
  }
}
