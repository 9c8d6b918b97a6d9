package dev.parley.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The one SQL failure classifier: which SQLStates and exception types are worth a retry. */
class SqlFailuresTest {

  @ParameterizedTest
  @ValueSource(strings = {"08000", "08001", "08003", "08006", "08P01", "40001", "40P01", "57P01", "57P02", "57P03",
      "53000", "53100", "53200", "53300"})
  void connectionRollbackOperatorAndResourceClassesAreTransient(String state) {
    assertTrue(SqlFailures.isTransient(new SQLException("x", state)), state);
  }

  @ParameterizedTest
  @ValueSource(strings = {"23505", "23503", "22001", "22P02", "42P01", "42601", "XX000", "57014", "HY000"})
  void otherClassesArePermanent(String state) {
    assertFalse(SqlFailures.isTransient(new SQLException("x", state)), state);
  }

  @Test
  void connectionLevelExceptionsAreTransientWithoutAState() {
    assertTrue(SqlFailures.isTransient(new SQLTransientConnectionException("pool timeout")));
    assertTrue(SqlFailures.isTransient(new SQLRecoverableException("gone")));
    assertTrue(SqlFailures.isTransient(new SQLNonTransientConnectionException("refused")));
    assertFalse(SqlFailures.isTransient(new SQLException("no state")));
    assertFalse(SqlFailures.isTransient(new IllegalStateException("not SQL")));
    assertFalse(SqlFailures.isTransient(null));
  }

  @Test
  void theCauseChainAndNextExceptionsAreSearched() {
    assertTrue(SqlFailures.isTransient(new CompletionException(new RuntimeException(new SQLException("x", "40P01")))));
    SQLException batch = new SQLException("batch entry failed", "XX000");
    batch.setNextException(new SQLException("deadlock", "40P01"));
    assertTrue(SqlFailures.isTransient(batch));
  }

  @Test
  void dataErrorsAreClasses22And23() {
    assertTrue(SqlFailures.isDataError(new SQLException("nul byte", "22021")));
    assertTrue(SqlFailures.isDataError(new CompletionException(new SQLException("dup", "23505"))));
    assertFalse(SqlFailures.isDataError(new SQLException("gone", "08006")));
  }

  @Test
  void clientFailuresAreUnavailableOnlyWhenTransient() {
    ProtocolException down = assertInstanceOf(ProtocolException.class,
        SqlFailures.toClientFailure("store", new SQLException("x", "08006")));
    assertEquals(ErrorCode.UNAVAILABLE, down.code());
    assertInstanceOf(IllegalStateException.class, SqlFailures.toClientFailure("store", new SQLException("x", "42601")));
  }
}
