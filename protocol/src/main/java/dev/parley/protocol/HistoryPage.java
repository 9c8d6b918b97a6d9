package dev.parley.protocol;

import java.util.List;

/**
 * One page of a conversation's history: its messages in ascending {@code seq}, whether older
 * messages exist before the first one, and which tier served it ({@link #SOURCE_MEMORY},
 * {@link #SOURCE_CACHE}, {@link #SOURCE_STORE} or {@link #SOURCE_ARCHIVE}).
 *
 * @param conv          conversation id
 * @param messages      the messages, ascending by {@code seq}; empty when there are none
 * @param hasMoreBefore whether older messages exist (page on with {@code beforeSeq} = first seq)
 * @param source        where the page came from: "memory", "cache", "store" or "archive"
 */
public record HistoryPage(String conv, List<MessageView> messages, boolean hasMoreBefore, String source) {
  /** Served from the live conversation actor's recent window. */
  public static final String SOURCE_MEMORY = "memory";
  /** Served from the recent-message cache. */
  public static final String SOURCE_CACHE = "cache";
  /** Served from the messages table. */
  public static final String SOURCE_STORE = "store";
  /** Served from the archive of old partitions. */
  public static final String SOURCE_ARCHIVE = "archive";

  public HistoryPage {
    Fields.require(conv, "conv", "historyPage");
    Fields.require(source, "source", "historyPage");
    messages = Fields.list(messages, "messages", "historyPage");
  }
}
