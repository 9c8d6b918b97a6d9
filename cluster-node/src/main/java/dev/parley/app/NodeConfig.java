package dev.parley.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the node's configuration once: the caller's overrides, then system properties, then
 * {@code application.conf} (with its layered includes and {@code PARLEY_*} environment overrides),
 * then the libraries' reference.conf, resolved together so an override of {@code parley.*}
 * reaches every setting derived from it. Then it fills in what HOCON cannot decide: the Slick
 * profile and JDBC driver for the database URL, and the seed-node list.
 */
public final class NodeConfig {
  private NodeConfig() {}

  /** The node's configuration with {@code overrides} on top. */
  public static Config load(Config overrides) {
    return load(overrides, ConfigFactory.empty());
  }

  /**
   * The node's configuration with {@code overrides} on top of everything and {@code defaults} just
   * below system properties (so {@code -D} still wins over them), above {@code application.conf}.
   */
  public static Config load(Config overrides, Config defaults) {
    Config resolved = overrides
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(defaults)
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.defaultReferenceUnresolved())
        .resolve();
    return derived(resolved).withFallback(resolved);
  }

  private static Config derived(Config c) {
    Map<String, Object> d = new HashMap<>();
    Database db = Database.of(c);
    for (String pool : List.of("slick", "read")) {
      String prefix = "pekko-persistence-jdbc.shared-databases." + pool + ".";
      d.put(prefix + "profile", db.slickProfile());
      d.put(prefix + "db.url", db.url());
      d.put(prefix + "db.driver", db.driver());
      d.put(prefix + "db.user", db.user());
      d.put(prefix + "db.password", db.password());
    }
    if (!db.embedded()) {
      // See persistence.conf: the read journal's polls get a plan for their actual offsets every time.
      d.put("pekko-persistence-jdbc.shared-databases.read.db.properties.options", "-c plan_cache_mode=force_custom_plan");
    }

    // pekko-projection-jdbc needs its SQL dialect named (there is no default).
    d.put("pekko.projection.jdbc.dialect", db.embedded() ? "h2-dialect" : "postgres-dialect");

    List<String> seeds = split(c.getString("parley.cluster.seed-nodes"));
    d.put("pekko.cluster.seed-nodes", seeds);
    d.put("pekko.cluster.roles", split(c.getString("parley.cluster.roles")));
    return ConfigFactory.parseMap(d, "derived by dev.parley.app.NodeConfig");
  }

  /** The ActorSystem name; every node of one cluster uses it. */
  public static String systemName() {
    return "parley";
  }

  private static List<String> split(String csv) {
    List<String> out = new ArrayList<>();
    Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
    return out;
  }

  /**
   * The journal database: PostgreSQL when {@code parley.db.url} is a PostgreSQL JDBC URL, else the
   * embedded H2 file. {@code vendor} names the Flyway migration folder.
   */
  public record Database(String url, String user, String password, String driver, String slickProfile, String vendor) {
    public static Database of(Config c) {
      String url = c.getString("parley.db.url").trim();
      String user = c.getString("parley.db.user");
      String password = c.getString("parley.db.password");
      if (url.isEmpty()) {
        Path file = Path.of(c.getString("parley.db.h2-file")).toAbsolutePath().normalize();
        return new Database(
            "jdbc:h2:file:" + file,
            user.isEmpty() ? "sa" : user, password, "org.h2.Driver", "slick.jdbc.H2Profile$", "h2");
      }
      if (url.startsWith("jdbc:postgresql:")) {
        return new Database(url, user, password, "org.postgresql.Driver", "slick.jdbc.PostgresProfile$", "postgresql");
      }
      if (url.startsWith("jdbc:h2:")) {
        return new Database(url, user.isEmpty() ? "sa" : user, password, "org.h2.Driver", "slick.jdbc.H2Profile$", "h2");
      }
      throw new IllegalArgumentException(
          "parley.db.url (PARLEY_DB_URL) must be a jdbc:postgresql: or jdbc:h2: URL, got " + url);
    }

    public boolean embedded() {
      return vendor.equals("h2");
    }

    /** Never prints the password. */
    @Override
    public String toString() {
      return "Database[" + url + ", user=" + user + ", vendor=" + vendor + "]";
    }
  }
}
