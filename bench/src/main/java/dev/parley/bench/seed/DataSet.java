package dev.parley.bench.seed;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The logical data of one seed-table run, which both the Parley node and the seed's schema are
 * given: the user names, the private pairs, the group member lists, how many messages each
 * conversation holds, every message's sender and text, and the order in which the measured
 * operations visit conversations and users. Everything is derived from the sizes and a run id, so
 * every column of the table runs the same sequence of operations on the same data.
 *
 * <p>User names carry the run id: Parley's recent-message cache keys private conversations by
 * their member names ({@code dm:<a>:<b>}) in a shared Redis, and a previous run's entries must never
 * be mistaken for this run's.
 *
 * <p>Groups are drawn from the user pool with a seeded random generator, so members overlap the way
 * they would in a real user base (each user sits in about {@code groups × groupMembers / users}
 * groups). The first {@code largeGroups} groups are the "large" ones with many messages.
 */
public final class DataSet {
  /** Above this many members a group is a LARGE_GROUP (Parley's and the seed's SMALL_GROUP limit). */
  public static final int SMALL_GROUP_LIMIT = 50;

  /**
   * One conversation as both systems hold it. {@code members.get(0)} creates it (the owner of a group).
   *
   * @param index    position in {@link #conversations()}: privates first, then groups
   * @param group    a group (SMALL_GROUP or LARGE_GROUP) rather than a private 1-on-1
   * @param members  user names, the creator first
   * @param messages how many messages are loaded before measuring
   */
  public record Conversation(int index, boolean group, List<String> members, int messages) {
    /** The tier name the REST API takes. */
    public String type() {
      return !group ? "PRIVATE" : members.size() > SMALL_GROUP_LIMIT ? "LARGE_GROUP" : "SMALL_GROUP";
    }
  }

  private final String runId;
  private final List<String> users;
  private final List<Conversation> privates;
  private final List<Conversation> groups;
  private final List<Conversation> all;

  public DataSet(String runId, int users, int privateConversations, int privateMessages, int groups,
      int largeGroups, int groupMembers, int groupMessages, int largeGroupMessages) {
    if (users < 2 || groupMembers > users || groupMembers < 2 && groups > 0 || largeGroups > groups) {
      throw new IllegalArgumentException("sizes do not fit: " + users + " users, groups of " + groupMembers
          + ", " + largeGroups + " large of " + groups + " groups");
    }
    this.runId = runId;
    List<String> names = new ArrayList<>(users);
    for (int u = 0; u < users; u++) {
      names.add(String.format("s%su%05d", runId, u));
    }
    this.users = List.copyOf(names);
    List<Conversation> ps = new ArrayList<>();
    Set<String> pairs = new HashSet<>();
    for (int p = 0; p < privateConversations; p++) {
      int a = p % users;
      int b = (a + 1 + p / users) % users;
      if (a == b || !pairs.add(Math.min(a, b) + ":" + Math.max(a, b))) {
        throw new IllegalArgumentException(privateConversations + " private pairs do not fit " + users + " users");
      }
      ps.add(new Conversation(p, false, List.of(names.get(a), names.get(b)), privateMessages));
    }
    Random random = new Random(42);
    List<Conversation> gs = new ArrayList<>();
    List<String> shuffled = new ArrayList<>(names);
    for (int g = 0; g < groups; g++) {
      Collections.shuffle(shuffled, random);
      gs.add(new Conversation(privateConversations + g, true, List.copyOf(shuffled.subList(0, groupMembers)),
          g < largeGroups ? largeGroupMessages : groupMessages));
    }
    this.privates = List.copyOf(ps);
    this.groups = List.copyOf(gs);
    List<Conversation> everything = new ArrayList<>(ps);
    everything.addAll(gs);
    this.all = List.copyOf(everything);
  }

  public String runId() {
    return runId;
  }

  public List<String> users() {
    return users;
  }

  public List<Conversation> privates() {
    return privates;
  }

  public List<Conversation> groups() {
    return groups;
  }

  /** Privates, then groups; {@link Conversation#index()} is the position here. */
  public List<Conversation> conversations() {
    return all;
  }

  public long totalMessages() {
    return all.stream().mapToLong(Conversation::messages).sum();
  }

  public long totalMemberships() {
    return all.stream().mapToLong(c -> c.members().size()).sum();
  }

  /** The seed schema's MessageRead rows when every member has read every message but their own. */
  public long readRows() {
    return all.stream().mapToLong(c -> (long) c.messages() * (c.members().size() - 1)).sum();
  }

  /** The sender of the {@code k}-th loaded message: the members take turns. */
  public static String sender(Conversation c, long k) {
    return c.members().get((int) (k % c.members().size()));
  }

  /** The text of the {@code k}-th message of a conversation: 40 to 160 characters, like chat lines. */
  public static String text(Conversation c, long k) {
    Random r = new Random(c.index() * 1_000_003L + k);
    StringBuilder b = new StringBuilder("message ").append(k).append(' ');
    int length = 40 + r.nextInt(121);
    while (b.length() < length) {
      b.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
    }
    return b.substring(0, length).trim();
  }

  private static final String[] WORDS = {
      "hello", "see", "you", "at", "the", "meeting", "tomorrow", "ok", "thanks", "sounds", "good", "lunch",
      "what", "about", "deploy", "tonight", "ping", "me", "when", "ready", "done", "great", "idea", "later",
  };

  // -- the order of the measured operations, the same for every column ----------------------------

  /**
   * What "load 50 messages" reads: the groups (each holds at least groupMessages, the large ones
   * far more), or the privates when there are no groups.
   */
  public List<Conversation> historyRotation() {
    return groups.isEmpty() ? privates : groups;
  }

  /** The history operation {@code i}: which conversation, read by which member. */
  public Visit history(long i) {
    List<Conversation> rotation = historyRotation();
    Conversation c = rotation.get((int) (i % rotation.size()));
    return new Visit(c, c.members().get((int) ((i / rotation.size()) % c.members().size())), null);
  }

  /** The unread operation {@code i}: whose counts. */
  public String unreadUser(long i) {
    return users.get((int) (i % users.size()));
  }

  /** The 1-on-1 mark-read operation {@code i}: one member posts (untimed), the other reads (timed); they alternate. */
  public Visit privateRead(long i) {
    Conversation c = privates.get((int) (i % privates.size()));
    int reader = (int) ((i / privates.size()) % 2);
    return new Visit(c, c.members().get(reader), c.members().get(1 - reader));
  }

  /** The group mark-read operation {@code i}: one member posts (untimed), then every member reads (timed). */
  public Visit groupRead(long i) {
    Conversation c = groups.get((int) (i % groups.size()));
    String sender = c.members().get((int) ((i / groups.size()) % c.members().size()));
    return new Visit(c, null, sender);
  }

  /**
   * One operation's target.
   *
   * @param user   who reads (history, 1-on-1 read); null for the group read, where every member does
   * @param sender who posts the new message first (untimed); null for history
   */
  public record Visit(Conversation conversation, String user, String sender) {}
}
