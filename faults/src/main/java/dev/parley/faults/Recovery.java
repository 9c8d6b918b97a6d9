package dev.parley.faults;

import dev.parley.client.FrameQueue;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ServerFrame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recovery after a full restart: {@code conversations} 2-member conversations are created through the
 * API, each with one message; the node stops (SIGTERM) and starts again on the same database. Then a
 * sample of them (all, unless {@code sample} is smaller) each gets a new message, {@code inFlight} at
 * a time; a send needs the conversation's entity recovered from the journal, so the ack proves the
 * conversation answers. Expected: every sampled conversation acks its new message as seq 2 (its first
 * message survived). Measured: the node's restart time, and the time until every sampled
 * conversation answered (with the per-conversation p50 / p99).
 */
final class Recovery {
  /** Conversations made, how many get a send after the restart, among how many owners, sends in flight. */
  record Size(int conversations, int sample, int owners, int inFlight) {
    Size withConversations(int n) {
      return new Size(n, Math.min(n, sample), owners, inFlight);
    }
  }

  static final Size FULL = new Size(100_000, 100_000, 100, 128);
  static final Size QUICK = new Size(300, 300, 10, 32);

  private Recovery() {}

  static Findings run(Size size) throws Exception {
    Findings f = new Findings("recovery", size.conversations() + " conversations with one message each; full "
        + "restart (SIGTERM, start); a new message to " + Math.min(size.sample(), size.conversations())
        + " of them, " + size.inFlight() + " in flight");
    try (FaultNode node = FaultNode.start(FaultNode.Options.plain())) {
      Crowd crowd = new Crowd(node.url());
      List<ParleySession> owners = crowd.users("o", size.owners());
      List<ParleySession> members = crowd.users("m", size.owners());
      long createdFrom = System.nanoTime();
      List<String> convs = Crowd.parallel(size.conversations(), size.inFlight(), i -> owners.get(i % size.owners())
          .createConversation(ConversationType.SMALL_GROUP, "r" + i, List.of(members.get(i % size.owners()).userId()))
          .thenApply(c -> c.id()));
      double createSeconds = (System.nanoTime() - createdFrom) / 1e9;
      convs.forEach(node::forgetOnClose);
      Map<String, Integer> ownerOf = new HashMap<>();
      for (int i = 0; i < convs.size(); i++) {
        ownerOf.put(convs.get(i), i % size.owners());
      }
      long[] firstRound = sendOneEach(owners, ownerOf, convs, size.inFlight(), 1, new AtomicLong());
      long restartFrom = System.nanoTime();
      node.process().stop();
      node.launch();
      double restartMs = (System.nanoTime() - restartFrom) / 1e6;
      List<String> sample = new ArrayList<>(convs);
      Collections.shuffle(sample);
      sample = sample.subList(0, Math.min(size.sample(), sample.size()));
      long from = System.nanoTime();
      AtomicLong retries = new AtomicLong();
      long[] latencies = sendOneEach(owners, ownerOf, sample, size.inFlight(), 2, retries);
      long retried = retries.get();
      double allMs = (System.nanoTime() - from) / 1e6;
      long wrong = Arrays.stream(latencies).filter(l -> l < 0).count();
      long unsent = Arrays.stream(firstRound).filter(l -> l < 0).count();
      long[] ok = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
      double p50 = ok.length == 0 ? Double.NaN : ok[ok.length / 2] / 1e6;
      double p99 = ok.length == 0 ? Double.NaN
          : ok[(int) Math.min(ok.length - 1, Math.ceil(ok.length * 0.99) - 1)] / 1e6;
      f.figure("conversations", convs.size()).figure("sampled", sample.size()).figure("notAnswered", wrong + unsent)
          .figure("restartMs", restartMs).figure("allAnsweredMs", allMs).figure("p50Ms", p50).figure("p99Ms", p99)
          .figure("createPerSec", convs.size() / createSeconds).figure("retried", retried);
      f.expect("every sampled conversation answers after the restart, its earlier message kept (ack seq 2)",
              wrong + " of " + sample.size() + " did not" + (unsent == 0 ? "" : "; " + unsent + " first sends failed"),
              wrong == 0 && unsent == 0)
          .report("sends after the restart answered with an error and repeated (same clientMsgId)",
              Long.toString(retried))
          .report("node restart (SIGTERM to serving again)", Findings.ms(restartMs))
          .report("time until every sampled conversation answered", Findings.ms(allMs))
          .report("per-conversation time to ack, p50 / p99 (" + size.inFlight() + " in flight)",
              String.format(Locale.ROOT, "%.0f / %.0f ms", p50, p99));
    }
    return f;
  }

  /**
   * Sends one message to each of {@code convs} as its owner ({@code ownerOf}: index in {@code owners};
   * {@code inFlight} at a time, one socket per owner); each entry is the send's time to ack in ns, or -1
   * when it failed or was not acked as {@code seq}.
   */
  private static long[] sendOneEach(List<ParleySession> owners, Map<String, Integer> ownerOf, List<String> convs,
      int inFlight, long seq, AtomicLong retries) {
    List<ParleySocket> sockets = new ArrayList<>();
    for (ParleySession o : owners) {
      sockets.add(Crowd.join(o.connect(Crowd.ONCE, new FrameQueue())));
    }
    try {
      long[] out = new long[convs.size()];
      Crowd.parallel(convs.size(), inFlight, i -> {
        long t0 = System.nanoTime();
        String conv = convs.get(i);
        ParleySocket s = sockets.get(ownerOf.get(conv));
        return sendRetrying(s, new ClientFrame.SendFrame(conv, "r-" + seq + "-" + conv, "message " + seq), 5, retries)
            .handle((ack, failure) -> {
              out[i] = ack != null && ack.seq() == seq ? System.nanoTime() - t0 : -1;
              return null;
            });
      });
      return out;
    } finally {
      sockets.forEach(ParleySocket::close);
    }
  }

  /** The send, repeated with the same clientMsgId up to {@code left} more times after an error; null: never acked. */
  private static CompletableFuture<ServerFrame.AckFrame> sendRetrying(ParleySocket s, ClientFrame.SendFrame frame,
      int left, AtomicLong retries) {
    return s.send(frame).handle((ack, failure) -> {
      if (ack != null || left == 0) {
        return CompletableFuture.completedFuture(ack);
      }
      retries.incrementAndGet();
      return sendRetrying(s, frame, left - 1, retries);
    }).thenCompose(next -> next);
  }
}
