package dev.parley.faults;

import java.sql.Connection;
import java.time.Duration;

/**
 * PostgreSQL cut mid-persist and mid-flush: the node reaches PostgreSQL through a {@code TcpProxy};
 * while senders keep sends in flight (persists) and peers mark read every 100 ms (receipt flushes every
 * second), the proxy drops every connection and refuses new ones for {@code cut}, then lets them
 * through again. Expected: no acked message lost, none stored twice after resending the unacked ones
 * with their clientMsgId, and every read position the node took is in {@code conversation_reads}
 * after recovery. Measured: what sends made during the cut were told, and how long after the restore
 * the first send was acked.
 */
final class PostgresCut {
  static final Timeline FULL = Timeline.of(20, 10, 15, 30);
  static final Timeline QUICK = Timeline.of(4, 2, 3, 5);

  private PostgresCut() {}

  static Findings run(Timeline size) throws Exception {
    Findings f = new Findings("PostgreSQL cut", size.clients() + " senders + " + size.clients()
        + " readers marking every 100 ms; every node↔PostgreSQL connection dropped and refused for "
        + size.fault().toSeconds() + " s (TCP proxy), then restored; " + size.after().toSeconds() + " s more");
    try (FaultNode node = FaultNode.start(new FaultNode.Options(true, false, java.util.Map.of()));
        Senders senders = Senders.open(node, size.clients()); Marks marks = new Marks(senders)) {
      Senders.Instants at = senders.drive(size, node.postgres()::cut, node.postgres()::restore);
      long cutAt = at.began();
      long restoredAt = at.ending();
      marks.stop();
      double firstAck = senders.ledger.firstAckAfterMs(restoredAt);
      String firstAckSaid = Findings.ms(firstAck);
      long ackedDuring = senders.ledger.ackedSentBetween(cutAt, restoredAt);
      String otherDuring = Findings.counts(senders.ledger.errorsSentBetween(cutAt, restoredAt));
      Senders.Verdict v = senders.settle(Duration.ofSeconds(120));
      if (Double.isNaN(firstAck) && v.resend().firstAckAt() != 0) {
        firstAck = (v.resend().firstAckAt() - restoredAt) / 1e6; // none during the load: the checker's resends
        firstAckSaid = "none in the " + size.after().toSeconds() + " s of load after it; the checker's first resend "
            + "(sent after those) was acked " + Findings.ms(firstAck) + " after the restore";
      }
      Thread.sleep(3000); // two flush intervals: the last taken marks reach the table
      Marks.Compare receipts;
      try (Connection c = node.db.connect()) {
        receipts = marks.compare(c);
      }
      f.figure("ackedDuringCut", ackedDuring)
          .figure("restoreToFirstAckMs", firstAck)
          .figure("receiptPositionsLost", receipts.lost()).figure("receiptPositionsAhead", receipts.ahead());
      Senders.report(f, v);
      f.expect("read positions the node took (answered with unread) found in conversation_reads after recovery",
              receipts.lost() + " of " + receipts.positions() + " lost" + (receipts.examples().isEmpty() ? ""
                  : " " + receipts.examples()), receipts.lost() == 0)
          .expect("no stored read position past what was marked", receipts.ahead() + " ahead", receipts.ahead() == 0)
          .report("sends made during the cut: acked / other answers", ackedDuring + " / " + otherDuring)
          .report("readers' error frames", Findings.counts(marks.errors()))
          .report("time from restore to the first ack", firstAckSaid)
          .report("receipts written twice", "not observable: one row per (conversation, member), GREATEST upserts");
    }
    return f;
  }
}
