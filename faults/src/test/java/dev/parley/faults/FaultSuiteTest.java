package dev.parley.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The seconds-long version of every fault scenario, against a real node in its own JVM: each asserts
 * the behaviour the scenario promises (no acknowledged message lost, none stored twice, the node or
 * the socket resumes), never a time. The full run with figures is {@code Faults all}
 * (docs/reliability.md).
 */
class FaultSuiteTest {
  @Test
  void killUnderLoadLosesNoAckedMessageAndStoresNoneTwice() throws Exception {
    Findings f = printed(KillUnderLoad.run(KillUnderLoad.QUICK));
    assertNoLossNoDuplicates(f);
    assertTrue(f.get("ackedBeforeKill") > 0, table(f));
    assertTrue(!Double.isNaN(f.get("killToFirstAckMs")), table(f));
  }

  @Test
  void aPostgresCutLosesNoAckedMessageAndNoTakenReadPosition() throws Exception {
    Findings f = printed(PostgresCut.run(PostgresCut.QUICK));
    assertNoLossNoDuplicates(f);
    assertEquals(0, f.get("receiptPositionsLost"), table(f));
    assertEquals(0, f.get("receiptPositionsAhead"), table(f));
  }

  @Test
  void aRedisCutStillAcksSends() throws Exception {
    Findings f = printed(RedisCut.run(RedisCut.QUICK));
    assertNoLossNoDuplicates(f);
    assertTrue(f.get("ackedDuringCut") > 0, table(f));
    assertEquals(0, f.get("sendErrorsDuringCut"), table(f));
  }

  @Test
  void aPausedNodeServesAgain() throws Exception {
    Findings f = printed(PausedNode.run(PausedNode.QUICK));
    assertNoLossNoDuplicates(f);
    assertTrue(f.get("ackedAfterResume") > 0, table(f));
  }

  @Test
  void aSlowConsumerIsClosedWith4008WhileAReaderGetsEverything() throws Exception {
    SlowConsumer.Size size = SlowConsumer.QUICK;
    Findings f = printed(SlowConsumer.run(size));
    assertEquals(4008, f.get("slowCloseCode"), table(f));
    assertEquals(size.messages(), f.get("fastInOrder"), table(f));
    assertEquals(1, f.get("fastConnected"), table(f));
  }

  @Test
  void aReconnectStormResumesEverySocketOnce() throws Exception {
    Findings f = printed(ReconnectStorm.run(ReconnectStorm.QUICK));
    assertEquals(0, f.get("missing"), table(f));
    assertEquals(0, f.get("duplicated"), table(f));
  }

  @Test
  void everyConversationAnswersAfterAFullRestart() throws Exception {
    Findings f = printed(Recovery.run(Recovery.QUICK));
    assertEquals(0, f.get("notAnswered"), table(f));
  }

  private static void assertNoLossNoDuplicates(Findings f) {
    assertTrue(f.get("acked") > 0, table(f));
    assertEquals(0, f.get("ackedLost"), table(f));
    assertEquals(0, f.get("duplicates"), table(f));
    assertEquals(0, f.get("wrongSeq"), table(f));
    assertEquals(0, f.get("gaps"), table(f));
    assertEquals(0, f.get("resendFailing"), table(f));
  }

  /** The scenario's table, printed once when the scenario ran and the message of any failed assertion. */
  private static Supplier<String> table(Findings f) {
    return () -> FaultReport.markdown(List.of(f));
  }

  private static Findings printed(Findings f) {
    System.out.println(FaultReport.markdown(List.of(f)));
    return f;
  }
}
