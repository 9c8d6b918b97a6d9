package dev.parley.conversation;

import com.typesafe.config.Config;
import dev.parley.protocol.ConversationType;
import java.time.Duration;

/**
 * The conversation entity's settings, read once at startup from {@code parley.conversation}
 * (see {@code conversation.conf}). Member limits are the seed's CHAT_LIMITS.
 *
 * @param privateLimit     members of a PRIVATE conversation (always 2)
 * @param smallGroupLimit  members a SMALL_GROUP holds before it becomes a LARGE_GROUP
 * @param largeGroupLimit  members a LARGE_GROUP may hold; more is refused
 * @param channelLimit     members a CHANNEL may hold; 0 means unlimited
 * @param maxTextLength    characters in one message's text
 * @param maxAttachments   attachment references in one message
 * @param maxNameLength    characters in a conversation name
 * @param maxIdLength      characters in a user id or client message id
 * @param recentWindow     messages kept in memory (and snapshots) for history and edits
 * @param dedupWindow      messages whose (sender, clientMsgId) is remembered for idempotent send
 * @param maxMembersPerRequest members named in one create or add
 * @param maxUrlLength     characters in an attachment url
 * @param maxHistoryPage   messages in one history page
 * @param snapshotEvery    events between snapshots
 * @param snapshotsToKeep  snapshots retained (older ones are deleted)
 * @param shardingRole     cluster role that hosts conversations; empty = every node
 * @param askTimeout       how long callers wait for the entity; longer than {@code admission.maxWait} by at least
 *                         {@link #MIN_PERSIST_ALLOWANCE}, so that a write the entity took up is answered in time
 *                         unless its persist stalls (then the caller answers {@code unknown_outcome})
 * @param admission        when writes are refused with {@code overloaded} instead of waiting (see {@link Admission})
 */
public record ConversationSettings(
    int privateLimit,
    int smallGroupLimit,
    int largeGroupLimit,
    int channelLimit,
    int maxTextLength,
    int maxAttachments,
    int maxNameLength,
    int maxIdLength,
    int recentWindow,
    int dedupWindow,
    int maxMembersPerRequest,
    int maxUrlLength,
    int maxHistoryPage,
    int snapshotEvery,
    int snapshotsToKeep,
    String shardingRole,
    Duration askTimeout,
    AdmissionSettings admission) {

  /** What the ask timeout must leave, beyond the longest admitted wait, for the persist and the hops. */
  public static final Duration MIN_PERSIST_ALLOWANCE = Duration.ofSeconds(1);

  /** The settings with the default admission control. */
  public ConversationSettings(int privateLimit, int smallGroupLimit, int largeGroupLimit, int channelLimit,
      int maxTextLength, int maxAttachments, int maxNameLength, int maxIdLength, int recentWindow, int dedupWindow,
      int maxMembersPerRequest, int maxUrlLength, int maxHistoryPage, int snapshotEvery, int snapshotsToKeep,
      String shardingRole, Duration askTimeout) {
    this(privateLimit, smallGroupLimit, largeGroupLimit, channelLimit, maxTextLength, maxAttachments, maxNameLength,
        maxIdLength, recentWindow, dedupWindow, maxMembersPerRequest, maxUrlLength, maxHistoryPage, snapshotEvery,
        snapshotsToKeep, shardingRole, askTimeout, AdmissionSettings.DEFAULTS);
  }

  public ConversationSettings {
    if (smallGroupLimit < 3 || largeGroupLimit <= smallGroupLimit) {
      throw new IllegalArgumentException(
          "need 3 <= small-group limit < large-group limit, got " + smallGroupLimit + " and " + largeGroupLimit);
    }
    if (recentWindow < 1 || dedupWindow < 1 || maxHistoryPage < 1 || snapshotEvery < 1 || snapshotsToKeep < 1
        || maxTextLength < 1 || maxAttachments < 0 || maxNameLength < 1 || maxIdLength < 1
        || maxMembersPerRequest < 1 || maxUrlLength < 16 || channelLimit < 0) {
      throw new IllegalArgumentException("parley.conversation: every size must be >= 1 (max-attachments >= 0, "
          + "max-url-length >= 16, limits.channel >= 0 where 0 is unlimited)");
    }
    if (askTimeout.compareTo(admission.maxWait().plus(MIN_PERSIST_ALLOWANCE)) < 0) {
      throw new IllegalArgumentException("parley.conversation.ask-timeout (" + askTimeout + ") must exceed "
          + "admission.max-wait (" + admission.maxWait() + ") by at least " + MIN_PERSIST_ALLOWANCE
          + ", or writes the conversation will store are answered unknown_outcome");
    }
  }

  /** Reads {@code parley.conversation} from the node's config. */
  public static ConversationSettings fromConfig(Config root) {
    Config c = root.getConfig("parley.conversation");
    Config limits = c.getConfig("limits");
    return new ConversationSettings(
        2,
        limits.getInt("small-group"),
        limits.getInt("large-group"),
        limits.getInt("channel"),
        c.getInt("max-text-length"),
        c.getInt("max-attachments"),
        c.getInt("max-name-length"),
        c.getInt("max-id-length"),
        c.getInt("recent-window"),
        c.getInt("dedup-window"),
        c.getInt("max-members-per-request"),
        c.getInt("max-url-length"),
        c.getInt("max-history-page"),
        c.getInt("snapshot-every"),
        c.getInt("snapshots-to-keep"),
        c.getString("sharding-role"),
        c.getDuration("ask-timeout"),
        AdmissionSettings.fromConfig(root));
  }

  /** The most members a conversation of this tier may hold; {@link Integer#MAX_VALUE} when unlimited. */
  public int limitOf(ConversationType type) {
    return switch (type) {
      case PRIVATE -> privateLimit;
      case SMALL_GROUP -> smallGroupLimit;
      case LARGE_GROUP -> largeGroupLimit;
      case CHANNEL -> channelLimit <= 0 ? Integer.MAX_VALUE : channelLimit;
    };
  }
}
