package dev.parley.sql;

import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * The one classifier of database failures. Every place that decides "retry or give up" or
 * "{@code unavailable} or {@code internal}" asks here, so a deadlock is transient for the receipt
 * writer and for the account store alike.
 *
 * <p><b>Transient</b> (worth retrying; answered {@code unavailable}): anywhere in the cause chain
 * (and in {@link SQLException#getNextException()} chains)
 * <ul>
 *   <li>a connection-level JDBC exception: {@link SQLTransientException} (HikariCP's pool timeout
 *       is one), {@link SQLRecoverableException}, {@link SQLNonTransientConnectionException};</li>
 *   <li>SQLState class {@code 08} (connection exception), {@code 40} (transaction rollback:
 *       serialization failure, deadlock), {@code 57P} (operator intervention: admin shutdown,
 *       crash shutdown, cannot connect now) or {@code 53} (insufficient resources: too many
 *       connections, disk full, out of memory).</li>
 * </ul>
 * Everything else (a constraint, a syntax error, a data exception) is permanent: retrying changes
 * nothing. {@link #isDataError} singles out classes {@code 22} and {@code 23}: the rows' fault, not
 * the database's.
 */
public final class SqlFailures {
  private static final String[] TRANSIENT_STATE_PREFIXES = {"08", "40", "57P", "53"};
  private static final String[] DATA_STATE_PREFIXES = {"22", "23"};
  /** Cause chains are short; this only stops a pathological cycle. */
  private static final int MAX_DEPTH = 32;

  private SqlFailures() {}

  /** Whether retrying could succeed: a lost or refused connection, a pool timeout, a deadlock or serialization abort. */
  public static boolean isTransient(Throwable failure) {
    return anyInChain(failure, t -> t instanceof SQLTransientException || t instanceof SQLRecoverableException
        || t instanceof SQLNonTransientConnectionException
        || (t instanceof SQLException s && hasStatePrefix(s.getSQLState(), TRANSIENT_STATE_PREFIXES)));
  }

  /** SQLState class 22 (data exception) or 23 (integrity constraint violation). */
  public static boolean isDataError(Throwable failure) {
    return anyInChain(failure, t -> t instanceof SQLException s && hasStatePrefix(s.getSQLState(), DATA_STATE_PREFIXES));
  }

  /**
   * The failure to answer a client with: {@code unavailable} ("retry") when transient, otherwise an
   * {@link IllegalStateException} that the error mapper answers as {@code internal} (details only in
   * the log). {@code what} names the store for the log.
   */
  public static RuntimeException toClientFailure(String what, Throwable failure) {
    if (isTransient(failure)) {
      return new ProtocolException(ErrorCode.UNAVAILABLE, "the database is unavailable; retry", failure);
    }
    return new IllegalStateException(what + ": " + failure.getMessage(), failure);
  }

  private static boolean hasStatePrefix(String state, String[] prefixes) {
    if (state == null) {
      return false;
    }
    for (String p : prefixes) {
      if (state.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyInChain(Throwable failure, java.util.function.Predicate<Throwable> test) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < MAX_DEPTH; t = t.getCause(), depth++) {
      if (test.test(t)) {
        return true;
      }
      if (t instanceof SQLException s) {
        int next = 0;
        for (SQLException n = s.getNextException(); n != null && next < MAX_DEPTH; n = n.getNextException(), next++) {
          if (test.test(n)) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
