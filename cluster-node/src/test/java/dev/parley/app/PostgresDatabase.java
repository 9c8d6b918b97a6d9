package dev.parley.app;

import dev.parley.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A throw-away database on the machine's PostgreSQL ({@link TestDatabase}: 127.0.0.1:5432, trust auth;
 * override with PARLEY_TEST_PG_HOST / PARLEY_TEST_PG_USER), created for one test class and dropped
 * afterwards, seen as a node's journal database.
 */
public final class PostgresDatabase implements AutoCloseable {
  public static final String HOST = TestDatabase.HOST;
  public static final String USER = TestDatabase.USER;

  private final TestDatabase db;

  private PostgresDatabase(TestDatabase db) {
    this.db = db;
  }

  public static PostgresDatabase create() {
    return new PostgresDatabase(TestDatabase.create());
  }

  public String url() {
    return db.url();
  }

  public String user() {
    return db.user();
  }

  public String name() {
    return db.name();
  }

  /** The testkit's database underneath (for {@link ChildNode}). */
  public TestDatabase throwaway() {
    return db;
  }

  /** This database as a node's journal database (full mode), for Flyway and test pools. */
  public NodeConfig.Database database() {
    return new NodeConfig.Database(url(), USER, "", "org.postgresql.Driver", "slick.jdbc.PostgresProfile$", "postgresql");
  }

  public Connection connect() throws SQLException {
    return db.connect();
  }

  @Override
  public void close() {
    db.close();
  }
}
