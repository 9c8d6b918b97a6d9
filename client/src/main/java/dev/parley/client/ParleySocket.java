package dev.parley.client;

import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.ServerFrame;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One user's live connection to {@code /ws} (JDK {@link WebSocket}), with resume built in.
 *
 * <p><b>Requests and answers.</b> Frames that have an answer ({@code subscribe}, {@code send},
 * {@code history}, {@code edit}, {@code delete}) return a {@link CompletableFuture} that completes with
 * the answering frame, matched by a {@code ref} the socket picks (refs starting {@code parley:} are the
 * socket's), or fails with a {@link ParleyException} carrying the {@code error} frame's code (and its
 * {@code retryAfterMs} for {@code overloaded} and {@code rate_limited}). An {@code error} answer ends the
 * request: it is never resent, and for a send it means nothing was stored, except
 * {@code unknown_outcome} (repeat the send with the same {@code clientMsgId}). Frames
 * without an answer ({@code read}, {@code delivered}, {@code typing}, {@code unsubscribe}) complete when
 * written. Every frame the server sends, answers included, also goes to the {@link SocketListener}, in
 * arrival order, from the socket's I/O thread; {@link FrameQueue} is a listener to poll from a thread.
 *
 * <p><b>Resume.</b> The socket tracks, per subscribed conversation, the highest seq delivered. When the
 * connection drops with a retryable close (1001 server shutting down, 1006 connection lost, 1011, 4008
 * slow consumer) it reconnects with jittered exponential {@link Backoff}, logging in again first when the
 * upgrade is refused with 401 and the session can ({@link ParleySession#relogin()}), then sends
 * {@code subscribe {conv, sinceSeq: <highest seq delivered>}} for each subscription and re-sends every
 * request that had no answer yet, with its original {@code clientMsgId} (the server stores a send at most
 * once and answers a resend with the original {@code ack}, {@code duplicate: true}). So the listener sees
 * each message once and in order across a drop or a node restart: replayed messages at or below the
 * cursor are dropped as duplicates. A {@code subscribed} answer with {@code gap: true} is passed on as
 * it is: the server no longer holds the missed messages in memory and the application must page them
 * with {@code history} (the socket's or {@link ParleySession#history}). A resumed subscription that the
 * server refuses or ends for a passing reason ({@code unavailable}, {@code internal}) is subscribed again
 * with backoff; {@code forbidden} or {@code not_found} end it (the {@code error} frame says so). Closes that reconnecting cannot
 * fix (1008 logged out / too many errors, 1003, 1009, a refused upgrade other than 401/429/5xx) close
 * the socket for good; so does {@link #close()}, which never reconnects.
 *
 * <p><b>What a drop loses.</b> Messages are never lost (they are replayed, or flagged as a gap). Lost
 * for good are the ephemeral frames that were in flight or were produced while disconnected:
 * {@code typing}, {@code presence}, {@code receipt}, {@code unread}, and {@code edited}/{@code deleted}
 * of messages at or below the cursor (re-read {@code history} if edits matter, and
 * {@link ParleySession#unread()} for counts). {@code read}, {@code delivered} and {@code typing} frames
 * written just before the drop may not have arrived, and they fail at once while disconnected. Requests
 * still waiting when the socket closes for good fail with {@code unavailable}; their effect is unknown.
 * The cursors live in this object only: across a process restart the application passes its own
 * {@code sinceSeq}.
 */
public final class ParleySocket implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ParleySocket.class.getName());
  /** Closes after which a new connection can succeed (docs/protocol.md §6). */
  private static final Set<Integer> RETRYABLE_CLOSES = Set.of(1001, 1006, 1011, 4008);
  private static final String REF_PREFIX = "parley:";
  private static final AtomicLong REFS = new AtomicLong();

  private final ParleySession session;
  private final SocketOptions options;
  private final SocketListener listener;
  private final CompletableFuture<SocketEvent.Closed> closed = new CompletableFuture<>();
  private volatile boolean reading;

  // Guarded by lock.
  private final Object lock = new Object();
  private final Subscriptions subscriptions = new Subscriptions();
  /** Requests waiting for their answer, by ref, in the order they were made. */
  private final Map<String, Pending> pending = new LinkedHashMap<>();
  /** Per subscription ref: resubscribes refused in a row for a passing reason (see subscriptionRefused). */
  private final Map<String, Integer> resubscribeAttempts = new java.util.HashMap<>();
  private Connection current;
  /** Writes in order: the JDK WebSocket takes one text at a time. */
  private CompletableFuture<?> writes = CompletableFuture.completedFuture(null);
  private boolean finished;
  private boolean deliberate;

  /** A request and the future its answer completes. */
  private record Pending(ClientFrame frame, CompletableFuture<ServerFrame> answer) {}

  private ParleySocket(ParleySession session, SocketOptions options, SocketListener listener) {
    this.session = session;
    this.options = options;
    this.listener = listener;
    this.reading = options.reading();
  }

  static CompletableFuture<ParleySocket> open(ParleySession session, SocketOptions options, SocketListener listener) {
    ParleySocket socket = new ParleySocket(session, options, listener);
    return socket.connectOnce().thenApply(c -> {
      socket.adopt(c, 0);
      return socket;
    });
  }

  // -- requests with an answer --------------------------------------------------------------------

  /** Subscribes to live frames of {@code conv} only (no replay); the cursor starts at the answer's {@code lastSeq}. */
  public CompletableFuture<ServerFrame.SubscribedFrame> subscribe(String conv) {
    return subscribe(conv, null);
  }

  /**
   * Subscribes to {@code conv}, first replaying the messages after {@code sinceSeq} (null: none). The
   * subscription is kept and resumed across reconnects until {@link #unsubscribe}, a refusal, or the
   * server ending it (an {@code error} carrying its ref).
   */
  public CompletableFuture<ServerFrame.SubscribedFrame> subscribe(String conv, Long sinceSeq) {
    String ref = nextRef();
    ClientFrame.SubscribeFrame frame = new ClientFrame.SubscribeFrame(conv, sinceSeq, ref);
    synchronized (lock) {
      if (!finished) {
        subscriptions.add(conv, ref, sinceSeq);
      }
    }
    return request(frame, ServerFrame.SubscribedFrame.class);
  }

  /** Posts {@code text} with a new random {@code clientMsgId}; completes with the {@code ack}. */
  public CompletableFuture<ServerFrame.AckFrame> send(String conv, String text) {
    return send(new ClientFrame.SendFrame(conv, UUID.randomUUID().toString(), text));
  }

  /**
   * Posts a message with the caller's {@code clientMsgId} (keep it to retry the same send after this
   * socket is gone: the server stores it at most once). The frame's own ref is replaced by the socket's.
   */
  public CompletableFuture<ServerFrame.AckFrame> send(ClientFrame.SendFrame frame) {
    return request(new ClientFrame.SendFrame(frame.conv(), frame.clientMsgId(), frame.text(), frame.attachments(),
        nextRef()), ServerFrame.AckFrame.class);
  }

  /**
   * Sends as docs/protocol.md §5 says a client should: an answer {@code overloaded} (nothing stored)
   * or {@code unknown_outcome} (maybe stored) is repeated with the same {@code clientMsgId} after
   * its {@code retryAfterMs} (200 ms when none), until the conversation acks it (possibly as a
   * duplicate) or refuses it with any other code, which fails the future.
   */
  public CompletableFuture<ServerFrame.AckFrame> sendUntilStored(ClientFrame.SendFrame frame) {
    return send(frame).handle((ack, failure) -> {
      if (failure == null) {
        return CompletableFuture.completedFuture(ack);
      }
      ParleyException e = ParleyException.unwrap(failure);
      if (e.code() != ErrorCode.OVERLOADED && e.code() != ErrorCode.UNKNOWN_OUTCOME) {
        return CompletableFuture.<ServerFrame.AckFrame>failedFuture(e);
      }
      long wait = e.retryAfterMs() != null ? e.retryAfterMs() : 200;
      return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS))
          .thenCompose(v -> sendUntilStored(frame));
    }).thenCompose(f -> f);
  }

  /** One page of history over the socket: older than {@code beforeSeq} or newer than {@code afterSeq}. */
  public CompletableFuture<HistoryPage> history(String conv, Long beforeSeq, Long afterSeq, Integer limit) {
    return request(new ClientFrame.HistoryFrame(conv, beforeSeq, afterSeq, limit, nextRef()),
        ServerFrame.HistoryPageFrame.class).thenApply(ServerFrame.HistoryPageFrame::page);
  }

  /** Replaces the text of the user's message {@code seq}; completes with the {@code edited} answer. */
  public CompletableFuture<ServerFrame.EditedFrame> edit(String conv, long seq, String text) {
    return request(new ClientFrame.EditFrame(conv, seq, text, nextRef()), ServerFrame.EditedFrame.class);
  }

  /** Deletes message {@code seq}; completes with the {@code deleted} answer. */
  public CompletableFuture<ServerFrame.DeletedFrame> delete(String conv, long seq) {
    return request(new ClientFrame.DeleteFrame(conv, seq, nextRef()), ServerFrame.DeletedFrame.class);
  }

  // -- frames without an answer -------------------------------------------------------------------

  /** Stops the subscription (and its resume); completes when written. */
  public CompletableFuture<Void> unsubscribe(String conv) {
    synchronized (lock) {
      subscriptions.remove(conv);
    }
    return tell(new ClientFrame.UnsubscribeFrame(conv));
  }

  /** Marks {@code conv} read up to {@code upTo}; the server answers with an {@code unread} frame (no ref). */
  public CompletableFuture<Void> read(String conv, long upTo) {
    return tell(new ClientFrame.ReadFrame(conv, upTo));
  }

  /** Reports {@code conv} received up to {@code upTo} on this device. */
  public CompletableFuture<Void> delivered(String conv, long upTo) {
    return tell(new ClientFrame.DeliveredFrame(conv, upTo));
  }

  /** Says the user is typing in {@code conv} (send every 2 to 5 s while they type). */
  public CompletableFuture<Void> typing(String conv) {
    return tell(new ClientFrame.TypingFrame(conv));
  }

  /** Writes any client frame as it is, untracked (its answer reaches the listener only). */
  public CompletableFuture<Void> tell(ClientFrame frame) {
    return sendRaw(ProtocolCodec.write(frame));
  }

  /** Writes a text message verbatim (malformed frames, unknown types): not tracked, not resent. */
  public CompletableFuture<Void> sendRaw(String text) {
    synchronized (lock) {
      if (current == null) {
        return CompletableFuture.failedFuture(notConnected());
      }
      return write(current.ws(), text);
    }
  }

  // -- state --------------------------------------------------------------------------------------

  /** The highest seq delivered for subscribed {@code conv}; null when not subscribed or not yet known. */
  public Long lastSeq(String conv) {
    synchronized (lock) {
      return subscriptions.cursor(conv);
    }
  }

  /** The subscriptions this socket resumes, conversation → highest seq delivered (-1 while unknown). */
  public Map<String, Long> subscriptions() {
    synchronized (lock) {
      return subscriptions.cursors();
    }
  }

  /** How many replayed {@code message} frames were dropped because they had been delivered already. */
  public long duplicatesDropped() {
    synchronized (lock) {
      return subscriptions.duplicates();
    }
  }

  /** Whether a connection is open now (false while reconnecting and after the final close). */
  public boolean isConnected() {
    synchronized (lock) {
      return current != null;
    }
  }

  /** The subprotocol the server selected on the current connection ("" when none, null when disconnected). */
  public String subprotocol() {
    synchronized (lock) {
      return current == null ? null : current.ws().getSubprotocol();
    }
  }

  /** The current JDK WebSocket, for what this class does not offer (binary frames); null when disconnected. */
  public WebSocket webSocket() {
    synchronized (lock) {
      return current == null ? null : current.ws();
    }
  }

  /** Stops reading after the next message: the server's outbound queue fills (a slow consumer). */
  public void pauseReading() {
    reading = false;
  }

  /** Reads again. */
  public void resumeReading() {
    reading = true;
    WebSocket ws = webSocket();
    if (ws != null) {
      ws.request(1);
    }
  }

  /** Completes once the socket is closed for good (deliberately or not), with the final close. */
  public CompletableFuture<SocketEvent.Closed> closed() {
    return closed;
  }

  /** Closes with 1000 and never reconnects; waiting requests fail with {@code unavailable}. */
  @Override
  public void close() {
    close(WebSocket.NORMAL_CLOSURE, "bye");
  }

  /** Closes with the given code and reason (waits up to 2 s for the server's close) and never reconnects. */
  public void close(int code, String reason) {
    Connection c;
    synchronized (lock) {
      if (finished) {
        return;
      }
      deliberate = true;
      c = current;
    }
    if (c != null) {
      try {
        c.ws().sendClose(code, reason).get(2, TimeUnit.SECONDS);
        c.ended().get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        // The server did not answer the close in time: abort below.
      } finally {
        c.ws().abort();
      }
    }
    finish(code, reason);
  }

  // -- the connection -----------------------------------------------------------------------------

  private <T extends ServerFrame> CompletableFuture<T> request(ClientFrame frame, Class<T> answerType) {
    CompletableFuture<ServerFrame> answer = new CompletableFuture<>();
    synchronized (lock) {
      if (finished) {
        return CompletableFuture.failedFuture(closedError());
      }
      if (current == null && !options.resendUnanswered() && !(frame instanceof ClientFrame.SubscribeFrame)) {
        return CompletableFuture.failedFuture(notConnected());
      }
      pending.put(frame.ref(), new Pending(frame, answer));
      if (current != null) {
        // A failed write is a dropped connection: the request stays pending and is resent after the reconnect.
        write(current.ws(), ProtocolCodec.write(frame));
      }
    }
    return answer.thenApply(answerType::cast);
  }

  /** Queues one text behind the previous writes; call with the lock held. */
  private CompletableFuture<Void> write(WebSocket ws, String text) {
    CompletableFuture<Void> written = writes.handle((ignored, failure) -> null)
        .thenCompose(ignored -> ws.sendText(text, true))
        .handle((ignored, failure) -> {
          if (failure != null) {
            throw ParleyException.unreachable("could not write to the socket: "
                + ParleyException.unwrap(failure).getMessage(), failure);
          }
          return null;
        });
    writes = written;
    return written;
  }

  /** Opens one WebSocket with the session's current token; fails with a {@link ParleyException}. */
  private CompletableFuture<Connection> connectOnce() {
    return Connection.open(session, options, new Connection.Owner() {
      @Override
      public void received(Connection c, ServerFrame frame) {
        ParleySocket.this.received(c, frame);
      }

      @Override
      public void unreadable(String text, ProtocolException error) {
        safely(() -> listener.onUnreadable(text, error));
      }

      @Override
      public void ended(Connection c, int code, String reason) {
        dropped(c, code, reason);
      }

      @Override
      public boolean reading() {
        return reading;
      }
    });
  }

  /**
   * Makes {@code c} the current connection; after a reconnect ({@code attempt} > 0) first resumes every
   * subscription and re-sends the requests still waiting, then starts reading.
   */
  private void adopt(Connection c, int attempt) {
    int resubscribed = 0;
    int resent = 0;
    synchronized (lock) {
      if (finished) {
        c.ws().abort();
        return;
      }
      current = c;
      if (attempt > 0) {
        for (ClientFrame.SubscribeFrame s : subscriptions.resumeFrames()) {
          write(c.ws(), ProtocolCodec.write(s));
          resubscribed++;
        }
        for (Pending p : pending.values()) {
          if (!(p.frame() instanceof ClientFrame.SubscribeFrame)) {
            write(c.ws(), ProtocolCodec.write(p.frame()));
            resent++;
          }
        }
      }
    }
    if (attempt > 0) {
      emit(new SocketEvent.Reconnected(attempt, resubscribed, resent));
    }
    c.ws().request(1);
    if (c.hasEnded()) {
      // It ended before it became current, so its end was not acted on yet.
      dropped(c, c.endCode(), c.endReason());
    }
  }

  /** The connection {@code c} ended with {@code code}: reconnect, or close for good. */
  private void dropped(Connection c, int code, String reason) {
    List<Pending> failed = new ArrayList<>();
    boolean retry;
    synchronized (lock) {
      if (c != current || finished || deliberate) {
        return;
      }
      current = null;
      retry = options.reconnect() && RETRYABLE_CLOSES.contains(code);
      if (retry && !options.resendUnanswered()) {
        pending.values().removeIf(p -> !(p.frame() instanceof ClientFrame.SubscribeFrame) && failed.add(p));
      }
    }
    ParleyException lost = ParleyException.unreachable("connection lost (" + code + " " + reason + ")", null);
    failed.forEach(p -> p.answer().completeExceptionally(lost));
    emit(new SocketEvent.Disconnected(code, reason, retry));
    if (!retry) {
      finish(code, reason);
    } else {
      reconnectLater(1, code, reason);
    }
  }

  /** Schedules attempt {@code attempt} after its backoff; returns the delay, or -1 after giving up (closed). */
  private long reconnectLater(int attempt, int lastCode, String lastReason) {
    if (!options.backoff().allows(attempt)) {
      finish(lastCode, lastReason + "; gave up after " + (attempt - 1) + " reconnect attempts");
      return -1;
    }
    long delay = options.backoff().delay(attempt).toMillis();
    CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(() -> reconnect(attempt, lastCode, lastReason));
    return delay;
  }

  private void reconnect(int attempt, int lastCode, String lastReason) {
    synchronized (lock) {
      if (finished || deliberate) {
        return;
      }
    }
    connectOnce()
        .exceptionallyCompose(failure -> {
          ParleyException e = ParleyException.unwrap(failure);
          return e.httpStatus() == 401 && session.canRelogin()
              ? session.relogin().thenCompose(s -> connectOnce())
              : CompletableFuture.failedFuture(e);
        })
        .whenComplete((c, failure) -> {
          if (failure == null) {
            adopt(c, attempt);
            return;
          }
          ParleyException e = ParleyException.unwrap(failure);
          if (!retryable(e)) {
            finish(lastCode, lastReason + "; reconnect refused: " + e.code().code() + " " + e.getMessage());
            return;
          }
          if (!options.backoff().allows(attempt + 1)) {
            emit(new SocketEvent.ReconnectFailed(attempt, e, -1));
          }
          long delay = reconnectLater(attempt + 1, lastCode, lastReason);
          if (delay >= 0) {
            emit(new SocketEvent.ReconnectFailed(attempt, e, delay));
          }
        });
  }

  /** A failed upgrade worth retrying: no answer at all, rate limited, or a server-side failure. */
  private static boolean retryable(ParleyException e) {
    return !e.fromServer() || e.httpStatus() == 429 || e.httpStatus() >= 500;
  }

  /** Closes for good: fails what is waiting, tells the listener, completes {@link #closed()}. */
  private void finish(int code, String reason) {
    List<Pending> failed;
    boolean wasDeliberate;
    synchronized (lock) {
      if (finished) {
        return;
      }
      finished = true;
      wasDeliberate = deliberate;
      current = null;
      failed = new ArrayList<>(pending.values());
      pending.clear();
    }
    ParleyException error = closedError();
    failed.forEach(p -> p.answer().completeExceptionally(error));
    SocketEvent.Closed event = new SocketEvent.Closed(code, reason, wasDeliberate);
    emit(event);
    closed.complete(event);
  }

  /** Routes one frame from connection {@code c}: resume bookkeeping, the listener, then the waiting request. */
  private void received(Connection c, ServerFrame frame) {
    Pending answered = null;
    boolean deliver = true;
    synchronized (lock) {
      if (c != current) {
        return;
      }
      String ref = null;
      if (frame instanceof ServerFrame.MessageFrame m) {
        deliver = subscriptions.deliver(m);
      } else if (frame instanceof ServerFrame.SubscribedFrame s) {
        subscriptions.subscribed(s);
        resubscribeAttempts.remove(s.ref());
        ref = s.ref();
      } else if (frame instanceof ServerFrame.ErrorFrame e) {
        ref = e.ref();
        if (subscriptions.isSubscriptionRef(ref)) {
          subscriptionRefused(e, pending.containsKey(ref));
        }
      } else if (frame instanceof ServerFrame.AckFrame a) {
        ref = a.ref();
      } else if (frame instanceof ServerFrame.HistoryPageFrame h) {
        ref = h.ref();
      } else if (frame instanceof ServerFrame.EditedFrame e) {
        ref = e.ref();
      } else if (frame instanceof ServerFrame.DeletedFrame d) {
        ref = d.ref();
      }
      if (ref != null) {
        answered = pending.remove(ref);
      }
    }
    if (deliver) {
      safely(() -> listener.onFrame(frame));
    }
    if (answered != null) {
      if (frame instanceof ServerFrame.ErrorFrame e) {
        answered.answer().completeExceptionally(ParleyException.ofFrame(e));
      } else {
        answered.answer().complete(frame);
      }
    }
  }

  /**
   * A subscription's {@code subscribe} was refused, or the server ended it (an error with its ref).
   * A first subscribe's refusal goes to its caller, and the subscription is dropped. A resumed or
   * server-ended one that failed for a passing reason ({@code unavailable}, {@code internal}: the
   * conversation was moving or restarting) is subscribed again after a backoff, from its cursor; anything
   * else ends it. Call with the lock held.
   */
  private void subscriptionRefused(ServerFrame.ErrorFrame e, boolean firstSubscribe) {
    String ref = e.ref();
    int attempt = resubscribeAttempts.merge(ref, 1, Integer::sum);
    boolean passing = e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.INTERNAL;
    if (firstSubscribe || !passing || !options.backoff().allows(attempt)) {
      subscriptions.removeByRef(ref);
      resubscribeAttempts.remove(ref);
      return;
    }
    Connection c = current;
    CompletableFuture.delayedExecutor(options.backoff().delay(attempt).toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      synchronized (lock) {
        ClientFrame.SubscribeFrame again = subscriptions.resumeFrame(ref);
        // On a newer connection the reconnect has resumed it already.
        if (!finished && current == c && again != null) {
          write(c.ws(), ProtocolCodec.write(again));
        }
      }
    });
  }

  private void emit(SocketEvent event) {
    safely(() -> listener.onEvent(event));
  }

  private static void safely(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "a Parley socket listener failed", e);
    }
  }

  private ParleyException notConnected() {
    return ParleyException.local(ErrorCode.UNAVAILABLE, "not connected (reconnecting); try again");
  }

  private ParleyException closedError() {
    return ParleyException.local(ErrorCode.UNAVAILABLE, "the socket is closed");
  }

  private static String nextRef() {
    return REF_PREFIX + REFS.incrementAndGet();
  }
}
