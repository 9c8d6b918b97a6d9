package dev.parley.faults;

import java.time.Duration;

/**
 * A paused node: SIGSTOP for longer than the cluster failure detector tolerates (Pekko's
 * acceptable-heartbeat-pause is 3 s), then SIGCONT, on a single node under load. Its sockets stay
 * open and unanswered meanwhile, as in a long GC pause or a frozen VM. Expected: the node serves
 * again after SIGCONT, no acked message lost or stored twice. Measured: what the sends made during
 * the pause were told, the drops clients saw, and the time from SIGCONT to the first ack. A 2-node
 * variant (the paused node downed by the other's Split Brain Resolver) is not part of this suite.
 */
final class PausedNode {
  static final Timeline FULL = Timeline.of(20, 5, 30, 15);
  static final Timeline QUICK = Timeline.of(4, 1, 5, 3);

  private PausedNode() {}

  static Findings run(Timeline size) throws Exception {
    Findings f = new Findings("paused node", size.clients() + " clients sending; the single node SIGSTOPped for "
        + size.fault().toSeconds() + " s (failure detector: 3 s), then SIGCONT; " + size.after().toSeconds()
        + " s more");
    try (FaultNode node = FaultNode.start(FaultNode.Options.plain());
        Senders senders = Senders.open(node, size.clients())) {
      Senders.Instants at = senders.drive(size, () -> node.process().pause(), () -> node.process().resume());
      long pausedAt = at.began();
      long resumedAt = at.ended();
      boolean alive = node.process().isAlive();
      double firstAck = senders.ledger.firstAckAfterMs(resumedAt);
      long ackedAfter = senders.ledger.ackedSentBetween(resumedAt, Long.MAX_VALUE);
      long ackedDuring = senders.ledger.ackedSentBetween(pausedAt, resumedAt);
      String otherDuring = Findings.counts(senders.ledger.errorsSentBetween(pausedAt, resumedAt));
      Senders.Verdict v = senders.settle(Duration.ofSeconds(60));
      f.figure("resumeToFirstAckMs", firstAck).figure("ackedAfterResume", ackedAfter)
          .figure("disconnects", senders.disconnects.get()).figure("reconnects", senders.reconnects.get());
      f.expect("the node serves again after SIGCONT (process alive, sends made after it acked)",
          (alive ? "alive" : "exited") + ", " + ackedAfter + " acked", alive && ackedAfter > 0);
      Senders.report(f, v);
      f.report("sends made during the pause: acked / other answers", ackedDuring + " / " + otherDuring)
          .report("client drops / reconnects", senders.disconnects.get() + " / " + senders.reconnects.get())
          .report("time from SIGCONT to the first ack", Findings.ms(firstAck));
    }
    return f;
  }
}
