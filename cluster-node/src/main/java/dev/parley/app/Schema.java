package dev.parley.app;

import org.flywaydb.core.Flyway;

/**
 * Brings the database schema up to date before the node starts: Flyway applies
 * {@code db/migration/<vendor>} (PostgreSQL or H2). Re-running is a no-op; a failed migration stops
 * the node before it accepts any command, so nothing is written to a half-made schema.
 */
public final class Schema {
  private Schema() {}

  /** Applies pending migrations; returns how many ran. */
  public static int migrate(NodeConfig.Database db) {
    Flyway flyway = Flyway.configure()
        .dataSource(db.url(), db.user(), db.password())
        .locations("classpath:db/migration/" + db.vendor())
        .connectRetries(3)
        .load();
    return flyway.migrate().migrationsExecuted;
  }
}
