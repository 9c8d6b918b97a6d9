package dev.parley.conversation;

import dev.parley.CborSerializable;

/**
 * What a conversation publishes to the fan-out hubs subscribed to it (one hub per node with
 * subscribed sessions, so a message crosses the network once per node, not once per recipient).
 * Client-facing frames travel as the JSON text the client receives: they are serialized once, in
 * the conversation, and every hub and session reuses that text.
 *
 * <p>Delivery to a hub is at-most-once (plain tells). Hubs and sessions track the last seq they saw
 * per conversation and repair gaps from history, so a lost or reordered {@link Published} never
 * becomes a silent hole for a client; the other kinds are ephemeral (typing, presence, receipts).
 */
public sealed interface Fanout extends CborSerializable {

  String conversationId();

  /** A new message {@code seq}; {@code json} is its {@code message} frame. */
  record Published(String conversationId, long seq, String json) implements Fanout {}

  /**
   * An ephemeral or non-sequenced frame for every subscriber (edited, deleted, receipt, typing,
   * presence) except the sessions of {@code exceptUser} when set (nobody is told about their own presence).
   */
  record Updated(String conversationId, String json, String exceptUser) implements Fanout {
    public Updated(String conversationId, String json) {
      this(conversationId, json, null);
    }
  }

  /** A frame for one member's sessions only (e.g. their new unread count after reading on another device). */
  record ForMember(String conversationId, String userId, String json) implements Fanout {}

  /** {@code userId} is no longer a member: their sessions stop receiving this conversation. */
  record MemberLeft(String conversationId, String userId) implements Fanout {}

  /**
   * The conversation (re)started, here or on another node (after passivation, a crash or a shard
   * hand-off). Hubs holding subscribers for it subscribe again, passing the last seq they saw so
   * that nothing posted in between is missed.
   */
  record Started(String conversationId) implements Fanout {}
}
