package dev.parley.protocol;

/**
 * The four conversation tiers (the seed's CHAT_LIMITS). The tier decides who may post, how many
 * members fit, and how read receipts are shown and stored.
 */
public enum ConversationType {
  /** Exactly two members; per-message "Seen". */
  PRIVATE,
  /** Up to the small-group limit (default 50); "Seen by Ann, Bo". */
  SMALL_GROUP,
  /** Up to the large-group limit (default 1000); "Seen by 234", positions only. */
  LARGE_GROUP,
  /** Unlimited members, only owner and admins post; view counts. */
  CHANNEL;

  /** Whether receipts for this tier name the readers (PRIVATE, SMALL_GROUP) rather than count them. */
  public boolean namesReaders() {
    return this == PRIVATE || this == SMALL_GROUP;
  }
}
