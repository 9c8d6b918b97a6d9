package dev.parley.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A throw-away database on the machine's PostgreSQL (127.0.0.1:5432, trust auth; override with
 * PARLEY_TEST_PG_HOST / PARLEY_TEST_PG_USER), created for one test class or benchmark run and dropped
 * afterwards, so runs never see each other's rows and leave the server as they found it.
 */
public final class TestDatabase implements AutoCloseable {
  public static final String HOST = env("PARLEY_TEST_PG_HOST", "127.0.0.1:5432");
  public static final String USER = env("PARLEY_TEST_PG_USER", "postgres");

  private final String name;

  private TestDatabase(String name) {
    this.name = name;
  }

  public static TestDatabase create() {
    String name = "parley_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    admin("CREATE DATABASE " + name);
    return new TestDatabase(name);
  }

  public String url() {
    return "jdbc:postgresql://" + HOST + "/" + name + "?reWriteBatchedInserts=true";
  }

  public String user() {
    return USER;
  }

  public String name() {
    return name;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url(), USER, "");
  }

  @Override
  public void close() {
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private static void admin(String sql) {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + HOST + "/postgres", USER, "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + HOST + " as " + USER + ": " + e.getMessage(), e);
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
