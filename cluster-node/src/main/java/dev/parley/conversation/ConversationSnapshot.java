package dev.parley.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.util.StdConverter;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.conversation.ConversationState.Member;
import dev.parley.conversation.ConversationState.Sent;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.serialization.jackson.JacksonMigration;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.pcollections.PSortedMap;
import org.pcollections.TreePMap;
import org.pcollections.TreePVector;

/**
 * The serialized form of {@link Active}: plain lists, so a snapshot does not depend on the in-memory
 * collections. This form is what the snapshot store holds; changing it needs a migration.
 */
public record ConversationSnapshot(
    String id,
    ConversationType type,
    String name,
    String owner,
    Instant createdAt,
    List<SnapshotMember> members,
    long lastSeq,
    long messageCount,
    List<Message> recent,
    List<SnapshotSent> sent,
    List<Long> deletedSeqs) {

  public record SnapshotMember(String userId, Role role, long joinedSeq, long lastPostedSeq) {}

  public record SnapshotSent(String sender, String clientMsgId, long seq, String messageId, Instant at) {}

  static final class ToSnapshot extends StdConverter<Active, ConversationSnapshot> {
    @Override
    public ConversationSnapshot convert(Active a) {
      List<SnapshotMember> ms = new ArrayList<>(a.members().size());
      a.members().forEach((u, m) -> ms.add(new SnapshotMember(u, m.role(), m.joinedSeq(), m.lastPostedSeq())));
      List<SnapshotSent> sent = new ArrayList<>(a.sentOrder().size());
      a.sentOrder().forEach(x -> sent.add(new SnapshotSent(x.sender(), x.clientMsgId(), x.seq(), x.messageId(), x.at())));
      return new ConversationSnapshot(a.id(), a.type(), a.name(), a.owner(), a.createdAt(), ms,
          a.lastSeq(), a.messageCount(), List.copyOf(a.recent()), sent, List.copyOf(a.deletedSeqs()));
    }
  }

  static final class FromSnapshot extends StdConverter<ConversationSnapshot, Active> {
    @Override
    public Active convert(ConversationSnapshot s) {
      PSortedMap<String, Member> ms = TreePMap.empty();
      for (SnapshotMember m : s.members()) {
        ms = ms.plus(m.userId(), new Member(m.role(), m.joinedSeq(), m.lastPostedSeq()));
      }
      PMap<String, Sent> index = HashTreePMap.empty();
      List<Sent> order = new ArrayList<>(s.sent().size());
      for (SnapshotSent x : s.sent()) {
        Sent sent = new Sent(x.sender(), x.clientMsgId(), x.seq(), x.messageId(), x.at());
        order.add(sent);
        index = index.plus(sent.key(), sent);
      }
      return new Active(s.id(), s.type(), s.name(), s.owner(), s.createdAt(), ms, s.lastSeq(),
          s.messageCount(), TreePVector.from(s.recent()), index, TreePVector.from(order),
          TreePVector.from(s.deletedSeqs()));
    }
  }

  /**
   * Snapshots taken before the state moved out of {@code ConversationEntity} carry the manifests
   * {@code ConversationEntity$Active} / {@code $NotCreated}; the bytes are the same form, only the
   * class name moved (bound in serialization.conf, {@code pekko.serialization.jackson.migrations}).
   */
  public static final class StateClassRenamed extends JacksonMigration {
    static final String OLD_PREFIX = "dev.parley.conversation.ConversationEntity$";

    @Override
    public int currentVersion() {
      return 2;
    }

    @Override
    public String transformClassName(int fromVersion, String className) {
      return className.startsWith(OLD_PREFIX)
          ? ConversationState.class.getName() + "$" + className.substring(OLD_PREFIX.length())
          : className;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
      return json;
    }
  }
}
