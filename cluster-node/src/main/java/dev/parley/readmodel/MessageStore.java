package dev.parley.readmodel;

import dev.parley.sql.Jdbc;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ProtocolCodec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SQL reads of the read model: history pages from {@code messages} then {@code archived_messages},
 * membership, the user's conversation list and the newest message of conversations the cache has
 * no summary for. Blocking: callers run it on a blocking dispatcher. Holds nothing.
 */
public final class MessageStore {
  private static final String COLUMNS =
      "conversation_id, seq, message_id, sender_id, content, attachments, created_at, edited_at, deleted";
  private static final TypeReference<List<Attachment>> ATTACHMENTS = new TypeReference<>() {};

  private final Jdbc jdbc;

  public MessageStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  /** Messages of a page, ascending; {@code archived} of them came from the archive. */
  public record Page(List<MessageView> messages, int archived) {}

  /** One conversation of a user's list: its tier and name, newest seq as projected, and the user's unread floor. */
  public record Listed(String conv, ConversationType type, String name, long lastSeq, long readFloor) {}

  /** Messages with seq in [from, to], ascending: from {@code messages}, and what is missing below them from the archive. */
  public Page page(String conv, long from, long to) throws SQLException {
    return jdbc.read(c -> {
      List<MessageView> live = select(c, "messages", conv, from, to);
      long firstLive = live.isEmpty() ? to + 1 : live.get(0).seq();
      if (firstLive <= from) {
        return new Page(live, 0);
      }
      List<MessageView> archived = select(c, "archived_messages", conv, from, firstLive - 1);
      List<MessageView> all = new ArrayList<>(archived.size() + live.size());
      all.addAll(archived);
      all.addAll(live);
      return new Page(all, archived.size());
    });
  }

  private static List<MessageView> select(java.sql.Connection c, String table, String conv, long from, long to)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + table
        + " WHERE conversation_id = ? AND seq BETWEEN ? AND ? ORDER BY seq")) {
      ps.setString(1, conv);
      ps.setLong(2, from);
      ps.setLong(3, to);
      List<MessageView> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(view(rs));
        }
      }
      return out;
    }
  }

  private static MessageView view(ResultSet rs) throws SQLException {
    String attachments = rs.getString("attachments");
    List<Attachment> list;
    try {
      list = attachments == null || attachments.isEmpty() ? List.of()
          : ProtocolCodec.mapper().readValue(attachments, ATTACHMENTS);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SQLException("unreadable attachments of " + rs.getString("conversation_id") + "#"
          + rs.getLong("seq") + ": " + e.getOriginalMessage(), e);
    }
    return new MessageView(rs.getString("conversation_id"), rs.getLong("seq"), rs.getString("message_id"),
        rs.getString("sender_id"), rs.getString("content"), list, Jdbc.instant(rs, "created_at"),
        Jdbc.instant(rs, "edited_at"), rs.getBoolean("deleted"));
  }

  /** Whether {@code conversation_users} lists the user in the conversation. */
  public boolean isMember(String conv, String user) throws SQLException {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT 1 FROM conversation_users WHERE conversation_id = ? AND user_id = ?")) {
        ps.setString(1, conv);
        ps.setString(2, user);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /**
   * The user's conversations the projection has written (at most {@code limit}, most recent activity
   * first) with their unread floor: the greater of the stored read position and the join seq.
   */
  public List<Listed> conversationsOf(String user, int limit) throws SQLException {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT cu.conversation_id, cv.type, cv.name, cv.last_message_seq, cu.joined_seq, cr.last_read_seq "
              + "FROM conversation_users cu "
              + "JOIN conversations cv ON cv.conversation_id = cu.conversation_id "
              + "LEFT JOIN conversation_reads cr ON cr.conversation_id = cu.conversation_id AND cr.user_id = cu.user_id "
              + "WHERE cu.user_id = ? AND cv.deleted_at IS NULL "
              + "ORDER BY cv.last_message_at DESC NULLS LAST, cu.conversation_id LIMIT ?")) {
        ps.setString(1, user);
        ps.setInt(2, limit);
        List<Listed> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Listed(rs.getString(1), ConversationType.valueOf(rs.getString(2)), rs.getString(3),
                rs.getLong(4), Math.max(rs.getLong(5), rs.getLong(6))));
          }
        }
        return out;
      }
    });
  }

  /** The newest message of each conversation, in one query (conversations without messages are absent). */
  public Map<String, MessageView> lastMessages(List<String> convs) throws SQLException {
    if (convs.isEmpty()) {
      return Map.of();
    }
    return jdbc.read(c -> {
      StringBuilder in = new StringBuilder();
      for (int i = 0; i < convs.size(); i++) {
        in.append(i == 0 ? "?" : ", ?");
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT m.conversation_id, m.seq, m.message_id, m.sender_id, "
          + "m.content, m.attachments, m.created_at, m.edited_at, m.deleted FROM messages m "
          + "JOIN conversations cv ON cv.conversation_id = m.conversation_id AND cv.last_message_seq = m.seq "
          + "WHERE m.conversation_id IN (" + in + ")")) {
        for (int i = 0; i < convs.size(); i++) {
          ps.setString(i + 1, convs.get(i));
        }
        Map<String, MessageView> out = new HashMap<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            MessageView m = view(rs);
            out.put(m.conv(), m);
          }
        }
        return out;
      }
    });
  }
}
