package dev.parley.conversation;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How much a conversation lets writes (send, edit, delete) wait before it refuses them with
 * {@code overloaded}, read once from {@code parley.conversation.admission}. See {@link Admission}
 * and ADR 14.
 *
 * @param maxWait    a write that waited longer than this for the conversation is refused, not stored;
 *                   while the oldest waiting write is older, new ones are refused on arrival
 * @param maxQueue   writes waiting at once; one more is refused on arrival. Stays below
 *                   {@code pekko.persistence.typed.stash-capacity}, so a write is never dropped by a full stash
 * @param retryAfter the {@code retryAfterMs} an {@code overloaded} answer carries
 */
public record AdmissionSettings(Duration maxWait, int maxQueue, Duration retryAfter) {

  public static final AdmissionSettings DEFAULTS =
      new AdmissionSettings(Duration.ofSeconds(1), 1000, Duration.ofSeconds(1));

  public AdmissionSettings {
    if (maxWait.isNegative() || maxWait.isZero() || retryAfter.isNegative() || maxQueue < 1) {
      throw new IllegalArgumentException(
          "parley.conversation.admission: max-wait must be positive, retry-after >= 0, max-queue >= 1");
    }
  }

  /** Reads {@code parley.conversation.admission}; max-queue must stay below the entity stash's capacity. */
  public static AdmissionSettings fromConfig(Config root) {
    Config c = root.getConfig("parley.conversation.admission");
    AdmissionSettings s = new AdmissionSettings(c.getDuration("max-wait"), c.getInt("max-queue"),
        c.getDuration("retry-after"));
    int stash = root.getInt("pekko.persistence.typed.stash-capacity");
    if (s.maxQueue() >= stash) {
      throw new IllegalArgumentException("parley.conversation.admission.max-queue (" + s.maxQueue()
          + ") must be below pekko.persistence.typed.stash-capacity (" + stash + "), or a full stash drops writes unanswered");
    }
    return s;
  }
}
