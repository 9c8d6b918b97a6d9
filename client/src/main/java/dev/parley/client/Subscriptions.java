package dev.parley.client;

import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ServerFrame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The resume state of one {@link ParleySocket}: per subscribed conversation, the ref its
 * {@code subscribe} carries (kept across reconnects, so the server's answers and a subscription that
 * ends on its own can be told apart) and the cursor, the highest seq delivered to the application
 * (null while unknown: a live-only subscribe before its {@code subscribed} answer). It decides which
 * {@code message} frames are duplicates. Not thread-safe: the socket guards it with its lock. It lives
 * in memory only; an application that restarts must keep its own cursors and pass them as {@code sinceSeq}.
 */
final class Subscriptions {
  private final Map<String, Entry> byConv = new LinkedHashMap<>();
  private final Map<String, String> convByRef = new HashMap<>();
  private long duplicates;

  /** One subscription: its ref and cursor. */
  record Entry(String ref, Long cursor) {}

  /** Starts (or restarts) tracking {@code conv}; {@code sinceSeq} is the seq already seen, null for live only. */
  void add(String conv, String ref, Long sinceSeq) {
    remove(conv);
    byConv.put(conv, new Entry(ref, sinceSeq));
    convByRef.put(ref, conv);
  }

  /** Stops tracking {@code conv}; returns whether it was tracked. */
  boolean remove(String conv) {
    Entry e = byConv.remove(conv);
    if (e != null) {
      convByRef.remove(e.ref());
    }
    return e != null;
  }

  /** Stops tracking the subscription whose subscribe carried {@code ref} (refused, or ended by the server). */
  void removeByRef(String ref) {
    String conv = ref == null ? null : convByRef.get(ref);
    if (conv != null) {
      remove(conv);
    }
  }

  boolean isSubscriptionRef(String ref) {
    return ref != null && convByRef.containsKey(ref);
  }

  /**
   * A {@code subscribed} answer. A live-only subscription learns its cursor: nothing at or below
   * {@code lastSeq} will come, so that is where a resume starts. A {@code gap} leaves the cursor alone:
   * the hole is the application's to page, and the messages that follow move the cursor past it.
   */
  void subscribed(ServerFrame.SubscribedFrame s) {
    Entry e = byConv.get(s.conv());
    if (e != null && e.cursor() == null) {
      long seen = s.replayedFrom() != null ? s.replayedFrom() - 1 : s.lastSeq();
      byConv.put(s.conv(), new Entry(e.ref(), seen));
    }
  }

  /**
   * A {@code message} frame: true when it is new (its seq is above the cursor, which moves to it), false
   * for a duplicate of one already delivered. Conversations not tracked always pass.
   */
  boolean deliver(ServerFrame.MessageFrame m) {
    Entry e = byConv.get(m.conv());
    if (e == null) {
      return true;
    }
    long seq = m.message().seq();
    if (e.cursor() != null && seq <= e.cursor()) {
      duplicates++;
      return false;
    }
    byConv.put(m.conv(), new Entry(e.ref(), seq));
    return true;
  }

  /** The cursor of {@code conv}: null when not subscribed or not yet known. */
  Long cursor(String conv) {
    Entry e = byConv.get(conv);
    return e == null ? null : e.cursor();
  }

  /** Conversation → cursor (-1 while unknown), in subscribe order. */
  Map<String, Long> cursors() {
    Map<String, Long> out = new LinkedHashMap<>();
    byConv.forEach((conv, e) -> out.put(conv, e.cursor() == null ? -1L : e.cursor()));
    return out;
  }

  /** The frame that resumes the subscription whose subscribe carried {@code ref}; null when it is gone. */
  ClientFrame.SubscribeFrame resumeFrame(String ref) {
    String conv = ref == null ? null : convByRef.get(ref);
    return conv == null ? null : new ClientFrame.SubscribeFrame(conv, byConv.get(conv).cursor(), ref);
  }

  /** The frames that resume every subscription on a new connection: {@code subscribe {conv, sinceSeq: cursor}}. */
  List<ClientFrame.SubscribeFrame> resumeFrames() {
    List<ClientFrame.SubscribeFrame> out = new ArrayList<>();
    byConv.forEach((conv, e) -> out.add(new ClientFrame.SubscribeFrame(conv, e.cursor(), e.ref())));
    return out;
  }

  /** How many replayed {@code message} frames were dropped as already delivered. */
  long duplicates() {
    return duplicates;
  }
}
