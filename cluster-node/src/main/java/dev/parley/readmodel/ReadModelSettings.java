package dev.parley.readmodel;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code parley.read-model} (readmodel.conf), read once at startup.
 *
 * @param monthsAhead monthly partitions of {@code messages} created ahead of the current month
 * @param archiveAfter messages older than this move to the archive, by whole months
 * @param maintenanceInterval how often partitions are created ahead and old months archived
 * @param groupMax events per projection transaction at most
 * @param groupWithin how long the projection gathers events for one transaction
 */
public record ReadModelSettings(int monthsAhead, Duration archiveAfter, Duration maintenanceInterval, int groupMax,
    Duration groupWithin) {

  public static ReadModelSettings fromConfig(Config config) {
    Config c = config.getConfig("parley.read-model");
    return new ReadModelSettings(c.getInt("months-ahead"), c.getDuration("archive-after"),
        c.getDuration("maintenance-interval"), c.getInt("group-max"), c.getDuration("group-within"));
  }
}
