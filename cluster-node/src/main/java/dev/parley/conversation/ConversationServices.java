package dev.parley.conversation;

/**
 * What an entity uses besides its journal: the live feed's settings and the node's hubs, its
 * ports for read positions and the recent-message cache, and how often it writes behind.
 */
public record ConversationServices(LiveSettings live, HubDirectory hubs, PositionSink receipts, WindowCache cache,
    WriteBehindSettings writeBehind) {
  /** For tests of the entity alone: no hubs, positions and cache writes go nowhere. */
  public static ConversationServices none() {
    return new ConversationServices(LiveSettings.DEFAULTS, HubDirectory.NONE, PositionSink.NONE, WindowCache.NONE,
        WriteBehindSettings.DEFAULTS);
  }
}
