package dev.parley.faults;

import dev.parley.client.FrameQueue;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketEvent;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A slow consumer: in one 3-member conversation a sender posts {@code messages} messages of
 * {@code textChars} characters as fast as the node takes them; one member's socket reads nothing, the
 * other reads everything. Expected (docs/protocol.md, close 4008): the silent socket is closed with
 * 4008 once {@code queue} frames wait for it, and the reading member gets every message once, in order,
 * and stays connected. Measured: how long the reading member took to get them all.
 */
final class SlowConsumer {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** What is sent, and the outbound queue a socket may fill before 4008. */
  record Size(int messages, int textChars, int queue) {
    Size withMessages(int n) {
      return new Size(n, textChars, queue);
    }
  }

  static final Size FULL = new Size(3000, 20_000, 1000);
  static final Size QUICK = new Size(300, 50_000, 16);

  private SlowConsumer() {}

  static Findings run(Size size) throws Exception {
    Findings f = new Findings("slow consumer", size.messages() + " messages of " + size.textChars() / 1000
        + " k chars into a 3-member conversation; one member's socket reads nothing, one reads all "
        + "(max-outbound-queue " + size.queue() + ")");
    FaultNode.Options options = FaultNode.Options.plain()
        .with("parley.session.max-outbound-queue", Integer.toString(size.queue()))
        .with("parley.session.max-message-size", "128KiB")
        .with("parley.conversation.max-text-length", "60000");
    try (FaultNode node = FaultNode.start(options)) {
      Crowd crowd = new Crowd(node.url());
      ParleySession ann = crowd.user("ann");
      ParleySession bo = crowd.user("bo");
      ParleySession cy = crowd.user("cy");
      String conv = Crowd.join(ann.createConversation(ConversationType.SMALL_GROUP, "firehose",
          List.of(bo.userId(), cy.userId()))).id();
      node.forgetOnClose(conv);
      String text = "x".repeat(size.textChars());
      FrameQueue fastFrames = new FrameQueue();
      FrameQueue slowFrames = new FrameQueue();
      try (ParleySocket sender = Crowd.join(ann.connect(Crowd.ONCE, new FrameQueue()));
          ParleySocket fast = Crowd.join(bo.connect(Crowd.ONCE, fastFrames));
          ParleySocket slow = Crowd.join(cy.connect(Crowd.ONCE.withReading(false), slowFrames))) {
        slow.subscribe(conv).get(10, TimeUnit.SECONDS);
        fast.subscribe(conv).get(10, TimeUnit.SECONDS);
        long start = System.nanoTime();
        // At most 8 sends unanswered (the sender's own answers must not fill its outbound queue);
        // one the conversation refuses as overloaded is repeated with the same clientMsgId.
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(8);
        for (int i = 1; i <= size.messages(); i++) {
          window.acquire();
          sender.sendUntilStored(new ClientFrame.SendFrame(conv, java.util.UUID.randomUUID().toString(), text))
              .whenComplete((ack, failure) -> window.release());
        }
        long inOrder = 0;
        for (long seq = 1; seq <= size.messages(); seq++) {
          ServerFrame.MessageFrame m;
          try {
            m = fastFrames.next(ServerFrame.MessageFrame.class, WAIT);
          } catch (IllegalStateException nothingCame) {
            break;
          }
          inOrder += m.message().seq() == seq ? 1 : 0;
        }
        double fastMs = (System.nanoTime() - start) / 1e6;
        slow.resumeReading();
        int slowRead = 0;
        SocketEvent.Disconnected cut = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (cut == null && System.nanoTime() < deadline) {
          Object item = slowFrames.poll(Duration.ofMillis(500));
          slowRead += item instanceof ServerFrame.MessageFrame ? 1 : 0;
          cut = item instanceof SocketEvent.Disconnected d ? d : null;
        }
        boolean fastConnected = !fast.closed().isDone() && fast.isConnected();
        int code = cut == null ? 0 : cut.code();
        f.figure("slowCloseCode", code).figure("fastInOrder", inOrder).figure("fastAllMs", fastMs)
            .figure("fastConnected", fastConnected ? 1 : 0);
        f.expect("the silent socket is closed with 4008", cut == null ? "not closed" : "closed " + code, code == 4008)
            .expect("the reading member gets every message once, in order", inOrder + " of " + size.messages(),
                inOrder == size.messages())
            .expect("the reading member stays connected", fastConnected ? "connected" : "closed", fastConnected)
            .report("time until the reading member had every message", Findings.ms(fastMs))
            .report("frames the silent socket still held when it read again", Integer.toString(slowRead));
      }
    }
    return f;
  }
}
