package dev.parley.conversation;

import java.time.Duration;

/**
 * How a conversation writes behind its journal, built at startup from the adapters' settings
 * ({@code parley.receipts}, {@code parley.cache}).
 *
 * @param flushInterval how often moved read positions go to the {@link PositionSink}
 * @param flushMax that many moved members flush at once
 * @param cacheRepairInterval how often a failed {@link WindowCache} write is retried by a rewrite
 */
public record WriteBehindSettings(Duration flushInterval, int flushMax, Duration cacheRepairInterval) {

  public static final WriteBehindSettings DEFAULTS =
      new WriteBehindSettings(Duration.ofSeconds(1), 500, Duration.ofSeconds(1));
}
