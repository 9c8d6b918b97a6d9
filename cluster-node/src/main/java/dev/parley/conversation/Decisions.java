package dev.parley.conversation;

import dev.parley.conversation.ConversationEntity.AddMembers;
import dev.parley.conversation.ConversationEntity.ConversationCreated;
import dev.parley.conversation.ConversationEntity.Create;
import dev.parley.conversation.ConversationEntity.DeleteMessage;
import dev.parley.conversation.ConversationEntity.EditMessage;
import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.MemberRemoved;
import dev.parley.conversation.ConversationEntity.MembersAdded;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.ConversationEntity.MessageDeleted;
import dev.parley.conversation.ConversationEntity.MessageEdited;
import dev.parley.conversation.ConversationEntity.MessagePosted;
import dev.parley.conversation.ConversationEntity.PostMessage;
import dev.parley.conversation.ConversationEntity.RemoveMember;
import dev.parley.conversation.ConversationEntity.TierChanged;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.conversation.ConversationState.Member;
import dev.parley.conversation.ConversationState.Sent;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.Fields;
import dev.parley.protocol.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The conversation's rules, as pure functions of its state and a command: who may do what in each
 * tier, the limits on ids and content, when a group moves up a tier, idempotent resends. Each
 * returns the events to persist or why nothing is persisted; none touches an actor, a clock or a port.
 */
final class Decisions {
  private Decisions() {}

  static final String NOT_A_MEMBER = "not a member of this conversation";

  /** Longest media type accepted (RFC 6838 caps type and subtype at 127 characters each). */
  static final int MAX_MIME_LENGTH = 255;

  /** What a command leads to: events to persist (possibly none), or a rejection that persists nothing. */
  record Decision(List<Event> events, ErrorCode code, String message) {
    static Decision accept(List<Event> events) {
      return new Decision(events, null, null);
    }

    static Decision none() {
      return new Decision(List.of(), null, null);
    }

    static Decision reject(ErrorCode code, String message) {
      return new Decision(List.of(), code, message);
    }

    boolean rejected() {
      return code != null;
    }
  }

  static Decision create(String id, Create c, ConversationSettings cfg, Instant now) {
    if (c.type() == null) {
      return Decision.reject(ErrorCode.BAD_REQUEST, "a conversation needs a type");
    }
    String bad = checkId(c.owner(), "owner", cfg);
    if (bad != null) {
      return Decision.reject(ErrorCode.BAD_REQUEST, bad);
    }
    String badName = Fields.textProblem(c.name(), false);
    if (badName != null) {
      return Decision.reject(ErrorCode.BAD_REQUEST, "the conversation name contains " + badName);
    }
    if (c.name() != null && c.name().length() > cfg.maxNameLength()) {
      return Decision.reject(ErrorCode.TOO_LARGE,
          "a conversation name has at most " + cfg.maxNameLength() + " characters");
    }
    List<String> requested = c.members() == null ? List.of() : c.members();
    if (requested.size() > cfg.maxMembersPerRequest()) {
      return Decision.reject(ErrorCode.BAD_REQUEST,
          "name at most " + cfg.maxMembersPerRequest() + " members per request; add more afterwards");
    }
    Set<String> all = new LinkedHashSet<>();
    all.add(c.owner());
    for (String m : requested) {
      bad = checkId(m, "member id", cfg);
      if (bad != null) {
        return Decision.reject(ErrorCode.BAD_REQUEST, bad);
      }
      all.add(m);
    }
    if (c.type() == ConversationType.PRIVATE && all.size() != 2) {
      return Decision.reject(ErrorCode.BAD_REQUEST,
          "a PRIVATE conversation has exactly two members, the owner and one other");
    }
    List<Event> events = new ArrayList<>(2);
    events.add(new ConversationCreated(id, c.type(), c.name(), c.owner(), List.copyOf(all), now));
    Decision tier = tierFor(c.type(), all.size(), cfg, now);
    if (tier.rejected()) {
      return tier;
    }
    events.addAll(tier.events());
    return Decision.accept(events);
  }

  /** Nothing when the count fits the tier; a TierChanged when a small group outgrows its limit; else a rejection. */
  static Decision tierFor(ConversationType type, int count, ConversationSettings cfg, Instant now) {
    if (count <= cfg.limitOf(type)) {
      return Decision.none();
    }
    if (type == ConversationType.SMALL_GROUP && count <= cfg.limitOf(ConversationType.LARGE_GROUP)) {
      return Decision.accept(List.of(
          new TierChanged(ConversationType.SMALL_GROUP, ConversationType.LARGE_GROUP, count, now)));
    }
    ConversationType effective = type == ConversationType.SMALL_GROUP ? ConversationType.LARGE_GROUP : type;
    return Decision.reject(ErrorCode.LIMIT_EXCEEDED,
        "a " + effective + " holds at most " + cfg.limitOf(effective) + " members; this would make " + count);
  }

  /** A repeated Create: a no-op when it asks for what exists (see {@link Create}), else a conflict. */
  static Decision createAgain(Active s, Create c) {
    Set<String> asked = new LinkedHashSet<>();
    asked.add(c.owner());
    if (c.members() != null) {
      asked.addAll(c.members());
    }
    boolean sameTier = s.type() == c.type()
        || (c.type() == ConversationType.SMALL_GROUP && s.type() == ConversationType.LARGE_GROUP);
    boolean same = s.type() == ConversationType.PRIVATE
        ? sameTier && asked.equals(s.members().keySet())
        : sameTier && c.owner() != null && c.owner().equals(s.owner()) && s.members().keySet().containsAll(asked);
    return same ? Decision.none()
        : Decision.reject(ErrorCode.CONFLICT, "conversation " + s.id() + " already exists with other members or type");
  }

  static Decision add(Active s, AddMembers c, ConversationSettings cfg, Instant now) {
    if (!s.isMember(c.requester())) {
      return notMember();
    }
    if (s.type() == ConversationType.PRIVATE) {
      return Decision.reject(ErrorCode.LIMIT_EXCEEDED, "a PRIVATE conversation has exactly two members");
    }
    Role role = c.role() == null ? Role.MEMBER : c.role();
    if (role == Role.OWNER) {
      return Decision.reject(ErrorCode.BAD_REQUEST, "a conversation has one owner; add members as MEMBER or ADMIN");
    }
    if (role == Role.ADMIN && !c.requester().equals(s.owner())) {
      return Decision.reject(ErrorCode.FORBIDDEN, "only the owner adds admins");
    }
    if (s.type() == ConversationType.CHANNEL && !s.moderates(c.requester())) {
      return Decision.reject(ErrorCode.FORBIDDEN, "only the owner and admins add members to a CHANNEL");
    }
    List<String> ids = c.userIds() == null ? List.of() : c.userIds();
    if (ids.isEmpty()) {
      return Decision.reject(ErrorCode.BAD_REQUEST, "name at least one user to add");
    }
    if (ids.size() > cfg.maxMembersPerRequest()) {
      return Decision.reject(ErrorCode.BAD_REQUEST, "add at most " + cfg.maxMembersPerRequest() + " members per request");
    }
    Set<String> fresh = new LinkedHashSet<>();
    for (String u : ids) {
      String bad = checkId(u, "user id", cfg);
      if (bad != null) {
        return Decision.reject(ErrorCode.BAD_REQUEST, bad);
      }
      if (!s.members().containsKey(u)) {
        fresh.add(u);
      }
    }
    if (fresh.isEmpty()) {
      return Decision.none();
    }
    Decision tier = tierFor(s.type(), s.members().size() + fresh.size(), cfg, now);
    if (tier.rejected()) {
      return tier;
    }
    List<Event> events = new ArrayList<>(2);
    events.add(new MembersAdded(List.copyOf(fresh), role, c.requester(), s.lastSeq(), now));
    events.addAll(tier.events());
    return Decision.accept(events);
  }

  static Decision remove(Active s, RemoveMember c, Instant now) {
    if (!s.isMember(c.requester())) {
      return notMember();
    }
    Member target = c.userId() == null ? null : s.members().get(c.userId());
    if (target == null) {
      return Decision.reject(ErrorCode.NOT_FOUND, "user " + c.userId() + " is not a member");
    }
    if (s.type() == ConversationType.PRIVATE) {
      return Decision.reject(ErrorCode.FORBIDDEN, "members of a PRIVATE conversation cannot be removed");
    }
    boolean self = c.requester().equals(c.userId());
    if (!self) {
      Role by = s.members().get(c.requester()).role();
      if (!by.moderates()) {
        return Decision.reject(ErrorCode.FORBIDDEN, "only the owner and admins remove other members");
      }
      if (target.role() == Role.OWNER || (target.role() == Role.ADMIN && by != Role.OWNER)) {
        return Decision.reject(ErrorCode.FORBIDDEN, "an admin cannot remove the owner or another admin");
      }
    }
    String heir = target.role() == Role.OWNER ? heirExcept(s, c.userId()) : null;
    return Decision.accept(List.of(new MemberRemoved(c.userId(), c.requester(), heir, now)));
  }

  /** The next owner when the owner leaves: the longest-standing admin, else the longest-standing member. */
  static String heirExcept(Active s, String leaving) {
    Comparator<Map.Entry<String, Member>> seniority =
        Comparator.comparing((Map.Entry<String, Member> en) -> en.getValue().role() != Role.ADMIN)
            .thenComparingLong(en -> en.getValue().joinedSeq())
            .thenComparing(Map.Entry::getKey);
    return s.members().entrySet().stream()
        .filter(en -> !en.getKey().equals(leaving))
        .min(seniority)
        .map(Map.Entry::getKey)
        .orElse(null);
  }

  /** The earlier send this one repeats (same member, same clientMsgId, within the dedup window), or null. */
  static Sent earlierSend(Active s, PostMessage c) {
    return s.isMember(c.sender()) && c.clientMsgId() != null ? s.sentBy(c.sender(), c.clientMsgId()) : null;
  }

  static Decision post(Active s, PostMessage c, ConversationSettings cfg, Instant now) {
    if (!s.isMember(c.sender())) {
      return notMember();
    }
    if (s.type() == ConversationType.CHANNEL && !s.moderates(c.sender())) {
      return Decision.reject(ErrorCode.FORBIDDEN, "only the owner and admins post in a CHANNEL");
    }
    String bad = checkId(c.clientMsgId(), "clientMsgId", cfg);
    if (bad != null) {
      return Decision.reject(ErrorCode.BAD_REQUEST, bad);
    }
    List<Attachment> attachments = c.attachments() == null ? List.of() : c.attachments();
    Decision content = checkContent(c.text(), attachments, cfg);
    if (content != null) {
      return content;
    }
    return Decision.accept(List.of(new MessagePosted(s.lastSeq() + 1, UUID.randomUUID().toString(),
        c.sender(), c.clientMsgId(), c.text() == null ? "" : c.text(), List.copyOf(attachments), now)));
  }

  static Decision edit(Active s, EditMessage c, ConversationSettings cfg, Instant now) {
    Decision target = checkTarget(s, c.requester(), c.seq(), "edited");
    if (target != null) {
      return target;
    }
    Message m = s.messageAt(c.seq());
    if (!m.sender().equals(c.requester())) {
      return Decision.reject(ErrorCode.FORBIDDEN, "only the sender edits a message");
    }
    if (m.deleted()) {
      return Decision.reject(ErrorCode.NOT_EDITABLE, "message " + c.seq() + " was deleted");
    }
    Decision content = checkContent(c.text(), m.attachments(), cfg);
    if (content != null) {
      return content;
    }
    String text = c.text() == null ? "" : c.text();
    if (text.equals(m.text())) {
      return Decision.none();
    }
    return Decision.accept(List.of(new MessageEdited(c.seq(), c.requester(), text, now)));
  }

  static Decision delete(Active s, DeleteMessage c, Instant now) {
    Decision target = checkTarget(s, c.requester(), c.seq(), "deleted");
    if (target != null) {
      return target;
    }
    Message m = s.messageAt(c.seq());
    if (!m.sender().equals(c.requester()) && !s.moderates(c.requester())) {
      return Decision.reject(ErrorCode.FORBIDDEN, "only the sender, the owner or an admin deletes a message");
    }
    if (m.deleted()) {
      return Decision.none();
    }
    return Decision.accept(List.of(new MessageDeleted(c.seq(), c.requester(), now)));
  }

  /** Null when a member may move their read or delivered position to {@code upTo}; else why not. */
  static Decision checkMark(Active s, String user, long upTo) {
    if (!s.isMember(user)) {
      return notMember();
    }
    return upTo < 0 ? Decision.reject(ErrorCode.BAD_REQUEST, "upTo must be >= 0") : null;
  }

  /** Null when the requester is a member and seq names a message in the recent window; else why it cannot be changed. */
  private static Decision checkTarget(Active s, String requester, long seq, String verb) {
    if (!s.isMember(requester)) {
      return notMember();
    }
    if (seq < 1 || seq > s.lastSeq()) {
      return Decision.reject(ErrorCode.NOT_FOUND, "no message with seq " + seq);
    }
    if (s.indexInWindow(seq) < 0) {
      return Decision.reject(ErrorCode.NOT_EDITABLE,
          "only the last " + s.recent().size() + " messages can be " + verb);
    }
    return null;
  }

  private static Decision checkContent(String text, List<Attachment> attachments, ConversationSettings cfg) {
    String t = text == null ? "" : text;
    if (t.isBlank() && attachments.isEmpty()) {
      return Decision.reject(ErrorCode.BAD_REQUEST, "a message needs text or an attachment");
    }
    // The edge checks the same rule (Fields, in the frame); checked again here because a string the
    // rule refuses would fail in the journal (an unpaired surrogate has no UTF-8 form) or the read model (NUL).
    String bad = Fields.textProblem(t, true);
    if (bad != null) {
      return Decision.reject(ErrorCode.BAD_REQUEST, "message text contains " + bad);
    }
    if (t.length() > cfg.maxTextLength() && t.codePointCount(0, t.length()) > cfg.maxTextLength()) {
      return Decision.reject(ErrorCode.TOO_LARGE,
          "message text has at most " + cfg.maxTextLength() + " characters");
    }
    if (attachments.size() > cfg.maxAttachments()) {
      return Decision.reject(ErrorCode.BAD_REQUEST,
          "a message has at most " + cfg.maxAttachments() + " attachments");
    }
    for (Attachment a : attachments) {
      if (a == null || a.url() == null
          || !(a.url().startsWith("https://") || a.url().startsWith("http://"))) {
        return Decision.reject(ErrorCode.BAD_REQUEST, "an attachment url must be http or https");
      }
      String badUrl = Fields.textProblem(a.url(), false);
      String badMime = Fields.textProblem(a.mime(), false);
      if (badUrl != null || badMime != null) {
        return Decision.reject(ErrorCode.BAD_REQUEST,
            "an attachment " + (badUrl != null ? "url contains " + badUrl : "mime contains " + badMime));
      }
      if (a.url().length() > cfg.maxUrlLength()) {
        return Decision.reject(ErrorCode.TOO_LARGE, "an attachment url has at most " + cfg.maxUrlLength() + " characters");
      }
      if (a.mime() == null || a.mime().indexOf('/') <= 0 || a.mime().length() > MAX_MIME_LENGTH || a.size() < 0) {
        return Decision.reject(ErrorCode.BAD_REQUEST,
            "an attachment needs a media type like image/png and a size >= 0");
      }
    }
    return null;
  }

  private static String checkId(String value, String what, ConversationSettings cfg) {
    if (value == null || value.isBlank()) {
      return "missing " + what;
    }
    if (value.length() > cfg.maxIdLength()) {
      return what + " has at most " + cfg.maxIdLength() + " characters";
    }
    String bad = Fields.textProblem(value, false);
    return bad == null ? null : what + " contains " + bad;
  }

  static Decision notMember() {
    return Decision.reject(ErrorCode.FORBIDDEN, NOT_A_MEMBER);
  }
}
