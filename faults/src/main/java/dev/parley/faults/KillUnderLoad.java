package dev.parley.faults;

import java.time.Duration;

/**
 * kill -9 under load: {@code clients} senders keep one send each in flight; the node gets SIGKILL (no
 * shutdown hook, no final flush) and is started again on the same database and port. The clients'
 * sockets reconnect on their own and resend what had no answer with its original clientMsgId; what
 * still has no ack afterwards is resent once more by the checker. Expected: every ack the clients got
 * is in history exactly once, at its seq. Measured: the time from the kill until the first ack of the
 * new node (it includes starting a JVM), and the answers clients got meanwhile.
 */
final class KillUnderLoad {
  static final Timeline FULL = Timeline.of(50, 20, 0, 20);
  static final Timeline QUICK = Timeline.of(8, 2, 0, 2);

  private KillUnderLoad() {}

  static Findings run(Timeline size) throws Exception {
    Findings f = new Findings("kill -9 under load", size.clients() + " clients sending (one in flight each) for "
        + size.before().toSeconds() + " s; SIGKILL; restart on the same database; " + size.after().toSeconds()
        + " s more; unacked sends resent with their clientMsgId; history checked");
    try (FaultNode node = FaultNode.start(FaultNode.Options.plain());
        Senders senders = Senders.open(node, size.clients())) {
      Senders.Instants at = senders.drive(size, () -> node.process().kill(), node::launch);
      long ackedBefore = senders.ledger.ackedSentBetween(Long.MIN_VALUE, at.began());
      double restartMs = (at.ended() - at.ending()) / 1e6;
      // The old process is dead once kill() returns (at.ending()): any later ack is the new node's.
      double resumeMs = senders.ledger.firstAckAfterMs(at.began(), at.ending());
      Senders.Verdict v = senders.settle(Duration.ofSeconds(60));
      f.figure("ackedBeforeKill", ackedBefore).figure("restartMs", restartMs).figure("killToFirstAckMs", resumeMs);
      Senders.report(f, v);
      f.report("time from SIGKILL to the first ack (includes a new node JVM: " + Findings.ms(restartMs) + " to serve)",
          Findings.ms(resumeMs));
    }
    return f;
  }
}
