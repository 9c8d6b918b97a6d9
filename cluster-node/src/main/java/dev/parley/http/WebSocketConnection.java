package dev.parley.http;

import dev.parley.session.ClientSocket;
import dev.parley.session.OutboundFrame;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameEvent$;
import org.apache.pekko.http.impl.engine.ws.FrameHandler;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.ProtocolException;
import org.apache.pekko.http.impl.engine.ws.Protocol$Opcode$Ping$;
import org.apache.pekko.http.impl.engine.ws.Protocol$Opcode$Text$;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket;
import org.apache.pekko.http.impl.engine.ws.WebSocket$;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogicWithLogging;
import org.apache.pekko.util.ByteString;
import scala.Function0;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * The server side of one WebSocket connection at frame level: inbound text assembly with a hard size limit, inbound
 * flow control, a bounded outbound queue, keep-alive pings and the close handshake with close codes of our choosing.
 *
 * <h2>Why pekko-http internal API</h2>
 * pekko-http's public WebSocket API ({@code handleWebSocketMessages}, {@code Message} flows) can only close with 1000
 * (user flow completes) or 1011 (user flow fails), has no limit on the size of an inbound streamed message, and
 * offers no way to bound the outbound side with a close of our own. Parley needs 1001, 1003, 1008, 1009 and 4008,
 * and must never buffer a message past its limit. So this class builds the frame-level flow itself from pekko's
 * internal pieces ({@code WebSocket.masking}, {@code WebSocket.frameHandling}: unmasking, control frames, UTF-8
 * decoding, the close state machine of {@code FrameOutHandler}) and joins this stage in the place where pekko's
 * {@code messageAPI} layer would sit, handing the result to {@code UpgradeToWebSocketLowLevel.handleFrames}. Those
 * classes are Scala {@code private[http]} (public in bytecode) and carry no compatibility promise.
 *
 * <p><b>Pinned to pekko-http 1.3.0.</b> The stage relies on the element protocol of {@code FrameOutHandler} in that
 * version (after forwarding a non-error {@code PeerClosed} it must emit {@code UserHandlerCompleted} before
 * completing; after an {@code ActivelyCloseWithCode} it must feed {@code WebSocket.Tick} so the close timeout can
 * fire). Upgrading pekko-http may change any of it: {@code WebSocketConnectionTest} exercises every close path against
 * a real server and a real client and is what catches breakage — run it on every pekko-http upgrade.
 *
 * <h2>Behaviour</h2>
 * <ul>
 *   <li>On start: {@link WebSocketListener#opened} with a thread-safe {@link ClientSocket}.
 *   <li>Inbound: text fragments are assembled into one String per message; UTF-8 bytes are counted as they arrive
 *       and the moment a message exceeds {@link WebSocketLimits#maxMessageBytes()} assembly stops, the rest is
 *       dropped and the connection closes with 1009. Binary messages close with 1003. At most
 *       {@link WebSocketLimits#maxInFlight()} messages may be unacknowledged ({@link ClientSocket#processed()}); at that
 *       point the stage stops pulling, which backpressures TCP.
 *   <li>Outbound: at most {@link WebSocketLimits#maxOutboundQueue()} frames wait for the socket; one more drops the
 *       queue and closes with 4008 (the client catches up by reconnecting). Pongs, pings, close frames and ticks
 *       bypass the limit.
 *   <li>Keep-alive: every {@link WebSocketLimits#keepAliveInterval()} without inbound traffic a Ping is sent, so an
 *       idle socket outlives the server's idle-timeout.
 *   <li>Close: {@link WebSocketListener#closed} is called exactly once, as soon as the end is known. After our close
 *       frame the peer has {@link #CLOSE_TIMEOUT} to answer; a peer that does not even read our close frame within
 *       {@link #ABORT_TIMEOUT} has its TCP connection aborted.
 * </ul>
 *
 * <h2>What is lost when a connection closes</h2>
 * Outbound frames still queued in this stage when it closes are never sent: on 4008 and on protocol errors the queue
 * is dropped at once; on {@link ClientSocket#close}, 1009 and 1003 the frames already queued go out before the close frame,
 * but everything sent after the close is decided is ignored; on a peer close or a dropped connection the queue is
 * discarded. Frames already handed to the socket may also never reach a client that disconnects. Clients must treat
 * the socket as lossy across a close and resume by reconnecting and catching up.
 *
 * <p>A flow from {@link #frameFlow} serves one connection: materialize it once.
 */
public final class WebSocketConnection extends GraphStage<FlowShape<Object, Object>> {

  public static final int CLOSE_NORMAL = 1000;
  public static final int CLOSE_GOING_AWAY = 1001;
  public static final int CLOSE_PROTOCOL_ERROR = 1002;
  public static final int CLOSE_UNSUPPORTED_DATA = 1003;
  /** Reported (never sent) when the peer's close frame carried no code. */
  public static final int CLOSE_NO_STATUS = 1005;
  /** Reported (never sent) when the connection ended without a close frame. */
  public static final int CLOSE_ABNORMAL = 1006;
  public static final int CLOSE_POLICY_VIOLATION = 1008;
  public static final int CLOSE_TOO_BIG = 1009;
  public static final int CLOSE_INTERNAL_ERROR = 1011;
  public static final int CLOSE_SLOW_CONSUMER = 4008;

  /** How long pekko's close handshake waits for the peer's close frame after ours went out. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
  /**
   * After a close is decided, how long until the TCP connection is aborted if the handshake has not finished
   * (typically: the peer stopped reading, so our close frame cannot even leave). Long enough for a slow but live
   * reader to drain the socket buffers and see the close code; shorter than the default server idle-timeout.
   */
  public static final Duration ABORT_TIMEOUT = Duration.ofSeconds(30);
  /** How often {@code WebSocket.Tick} is fed to pekko's close handshake while it waits for the peer. */
  static final Duration TICK_INTERVAL = Duration.ofMillis(500);

  /** Control frame payload is at most 125 bytes: 2 for the code, 123 for the reason. */
  private static final int MAX_REASON_BYTES = 123;

  private static final FiniteDuration SCALA_CLOSE_TIMEOUT =
      FiniteDuration.create(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  /** Server side never masks outbound frames, so this is never called; pekko's signature requires one. */
  private static final Function0<Random> MASK_RANDOM = SecureRandom::new;
  private static final FrameStart PING = FrameEvent$.MODULE$.fullFrame(
      Protocol$Opcode$Ping$.MODULE$, Option.empty(), ByteString.emptyByteString(), true, false, false, false);

  private static final String KEEP_ALIVE_TIMER = "keep-alive";
  /** Keep-alive intervals without any inbound frame (a ping each) before the connection counts as half-open. */
  static final int UNANSWERED_PINGS = 3;
  private static final String TICK_TIMER = "close-tick";
  private static final String ABORT_TIMER = "close-abort";

  /** One final, unmasked text frame around {@code utf8}: only a header is made per socket, the payload is shared. */
  private static FrameStart textFrame(ByteString utf8) {
    return FrameEvent$.MODULE$.fullFrame(Protocol$Opcode$Text$.MODULE$, Option.empty(), utf8, true, false, false, false);
  }

  /** Whether {@code code} may be sent in a close frame (RFC 6455 section 7.4, as enforced by pekko-http). */
  public static boolean isSendableCloseCode(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
  }

  /**
   * The complete frame-level flow for one connection: pekko's masking and frame handling joined with this stage.
   * Materialize once.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static Flow<FrameEvent, FrameEvent, NotUsed> frameFlow(
      WebSocketLimits limits, WebSocketListener listener, ActorSystem<?> system) {
    return frameFlow(limits, listener, system, ABORT_TIMEOUT);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Flow<FrameEvent, FrameEvent, NotUsed> frameFlow(
      WebSocketLimits limits, WebSocketListener listener, ActorSystem<?> system, Duration abortTimeout) {
    LoggingAdapter log = Logging.getLogger(system.classicSystem(), WebSocketConnection.class);
    // Scala variance lets FrameHandling's FrameStart output stand for FrameEvent and our Object inlet accept
    // FrameHandler.Output; Java generics are invariant, hence the raw types.
    org.apache.pekko.stream.scaladsl.BidiFlow masking = WebSocket$.MODULE$.masking(true, MASK_RANDOM);
    org.apache.pekko.stream.scaladsl.BidiFlow handling =
        WebSocket$.MODULE$.frameHandling(true, SCALA_CLOSE_TIMEOUT, log);
    // Every inbound frame (pongs included, which pekko's frame handler swallows) marks the peer alive.
    AtomicLong lastInbound = new AtomicLong(System.nanoTime());
    org.apache.pekko.stream.scaladsl.BidiFlow activity = org.apache.pekko.stream.javadsl.BidiFlow.fromFlows(
        org.apache.pekko.stream.javadsl.Flow.create().map(frame -> {
          lastInbound.lazySet(System.nanoTime());
          return frame;
        }),
        org.apache.pekko.stream.javadsl.Flow.create()).asScala();
    Graph joined = masking.atop(activity).atop(handling)
        .join(new WebSocketConnection(limits, listener, abortTimeout, lastInbound));
    return Flow.fromGraph((Graph<FlowShape<FrameEvent, FrameEvent>, NotUsed>) joined).named("parley-websocket");
  }

  /**
   * Accepts the upgrade with this class's frame flow.
   *
   * @param subprotocol must be one the client offered, or empty
   * @throws IllegalStateException if {@code upgrade} is not pekko-http's internal {@code UpgradeToWebSocketLowLevel}
   *     (i.e. pekko-http changed under us)
   */
  public static HttpResponse upgrade(WebSocketUpgrade upgrade, Optional<String> subprotocol, WebSocketLimits limits,
      WebSocketListener listener, ActorSystem<?> system) {
    return upgrade(upgrade, subprotocol, limits, listener, system, ABORT_TIMEOUT);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static HttpResponse upgrade(WebSocketUpgrade upgrade, Optional<String> subprotocol, WebSocketLimits limits,
      WebSocketListener listener, ActorSystem<?> system, Duration abortTimeout) {
    if (!(upgrade instanceof UpgradeToWebSocketLowLevel lowLevel)) {
      throw new IllegalStateException("WebSocket upgrade is a " + (upgrade == null ? "null" : upgrade.getClass().getName())
          + ", not pekko-http's internal UpgradeToWebSocketLowLevel that WebSocketConnection is built on "
          + "(pinned to pekko-http 1.3.0); check WebSocketConnection against the pekko-http version in use");
    }
    Graph flow = frameFlow(limits, listener, system, abortTimeout);
    return lowLevel.handleFrames(flow, Option.apply(subprotocol.orElse(null)));
  }

  private final Inlet<Object> in = Inlet.create("WebSocketConnection.in");
  private final Outlet<Object> out = Outlet.create("WebSocketConnection.out");
  private final FlowShape<Object, Object> shape = FlowShape.of(in, out);
  private final WebSocketLimits limits;
  private final WebSocketListener listener;
  private final Duration abortTimeout;
  /** When the peer last sent any frame (pongs included); null when the stage runs without frame-level input. */
  private final AtomicLong lastInbound;

  public WebSocketConnection(WebSocketLimits limits, WebSocketListener listener) {
    this(limits, listener, ABORT_TIMEOUT, null);
  }

  WebSocketConnection(WebSocketLimits limits, WebSocketListener listener, Duration abortTimeout) {
    this(limits, listener, abortTimeout, null);
  }

  WebSocketConnection(WebSocketLimits limits, WebSocketListener listener, Duration abortTimeout,
      AtomicLong lastInbound) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.abortTimeout = Objects.requireNonNull(abortTimeout, "abortTimeout");
    this.lastInbound = lastInbound;
  }

  @Override
  public FlowShape<Object, Object> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("WebSocketConnection");
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private record CloseRequest(int code, String reason) {}

  /** The peer stopped answering pings (a half-open connection: gone without a FIN); the connection is dropped. */
  static final class PeerUnresponsive extends RuntimeException {
    PeerUnresponsive(long silentMillis) {
      super("WebSocket peer sent nothing (not even a pong) for " + silentMillis + " ms; dropping the connection", null,
          false, false);
    }
  }

  private static final class HandleImpl implements ClientSocket {
    private volatile boolean open = true;
    private final AtomicInteger processedNotYetSeen = new AtomicInteger();
    private final AsyncCallback<FrameStart> onSend;
    private final AsyncCallback<CloseRequest> onClose;
    private final AsyncCallback<Boolean> onProcessed;

    HandleImpl(AsyncCallback<FrameStart> onSend, AsyncCallback<CloseRequest> onClose,
        AsyncCallback<Boolean> onProcessed) {
      this.onSend = onSend;
      this.onClose = onClose;
      this.onProcessed = onProcessed;
    }

    @Override
    public void send(String json) {
      Objects.requireNonNull(json, "json");
      if (open) {
        onSend.invoke(textFrame(OutboundFrame.text(json).utf8()));
      }
    }

    @Override
    public void send(OutboundFrame frame) {
      Objects.requireNonNull(frame, "frame");
      if (open) {
        onSend.invoke(textFrame(frame.utf8()));
      }
    }

    @Override
    public void close(int code, String reason) {
      if (!isSendableCloseCode(code)) {
        throw new IllegalArgumentException("close code " + code + " may not be sent");
      }
      if (open) {
        onClose.invoke(new CloseRequest(code, truncateReason(reason)));
      }
    }

    @Override
    public void processed() {
      // Coalesced: one callback per burst of acknowledgements; the stage collects the count.
      if (open && processedNotYetSeen.getAndIncrement() == 0) {
        onProcessed.invoke(Boolean.TRUE);
      }
    }

    @Override
    public boolean isOpen() {
      return open;
    }
  }

  private final class Logic extends TimerGraphStageLogicWithLogging {
    /** Bypasses the queue limit: pongs, pings, PeerClosed, UserHandlerCompleted. Goes before {@link #data}. */
    private final ArrayDeque<Object> control = new ArrayDeque<>();
    private final ArrayDeque<FrameStart> data = new ArrayDeque<>();
    /** Our (or pekko's) close, sent once {@link #data} is empty. */
    private Object pendingClose;
    /** A close is decided (ours, pekko's or the peer's): no more application traffic either way. */
    private boolean closing;
    /** The close frame went downstream; pekko's FrameOutHandler now waits for the peer's. */
    private boolean closeSent;
    private boolean peerClosed;
    /** Complete the stage once {@link #control} is flushed. */
    private boolean finishing;
    private boolean tickPending;
    private boolean reported;
    private StringBuilder assembly;
    private long assembledBytes;
    private int inFlight;
    private boolean inboundSinceCheck;
    private HandleImpl handle;

    Logic() {
      super(shape);
      setHandler(in, new AbstractInHandler() {
        @Override
        public void onPush() {
          onInbound(grab(in));
        }

        @Override
        public void onUpstreamFinish() {
          if (peerClosed) {
            finishing = true;
            tryPush();
            return;
          }
          report(CLOSE_ABNORMAL, "connection closed without a close frame", true);
          completeStage();
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          if (isProtocolError(ex)) {
            // FrameOutHandler turns a ProtocolException into a 1002 close frame.
            report(CLOSE_PROTOCOL_ERROR, "protocol error", false);
          } else {
            report(CLOSE_ABNORMAL, String.valueOf(ex.getMessage()), true);
          }
          failStage(ex);
        }
      });
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          tryPush();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          report(CLOSE_ABNORMAL, "connection closed", true);
          cancelStage(cause);
        }
      });
    }

    @Override
    public void preStart() {
      handle = new HandleImpl(createAsyncCallback(this::onSend), createAsyncCallback(this::onCloseRequest),
          createAsyncCallback(ignored -> onProcessed()));
      Duration keepAlive = limits.keepAliveInterval();
      scheduleWithFixedDelay(KEEP_ALIVE_TIMER, keepAlive, keepAlive);
      pull(in);
      try {
        listener.opened(handle);
      } catch (RuntimeException e) {
        listenerFailed("opened", e);
      }
    }

    @Override
    public void postStop() {
      if (handle != null) {
        handle.open = false;
      }
      report(CLOSE_ABNORMAL, "connection stopped", true);
    }

    @Override
    public void onTimer(Object key) {
      if (KEEP_ALIVE_TIMER.equals(key)) {
        long silentNanos = lastInbound == null ? 0 : System.nanoTime() - lastInbound.get();
        if (!closing && silentNanos > limits.keepAliveInterval().toNanos() * UNANSWERED_PINGS) {
          // Half-open: the peer answered none of the last pings. A close frame would not get through either.
          report(CLOSE_ABNORMAL, "peer unresponsive: nothing received for " + silentNanos / 1_000_000 + " ms", true);
          failStage(new PeerUnresponsive(silentNanos / 1_000_000));
          return;
        }
        if (!closing && !inboundSinceCheck && !control.contains(PING)) {
          control.add(PING);
          tryPush();
        }
        inboundSinceCheck = false;
      } else if (TICK_TIMER.equals(key)) {
        tickPending = true;
        tryPush();
      } else if (ABORT_TIMER.equals(key)) {
        failStage(new IllegalStateException("WebSocket close handshake did not finish within " + abortTimeout
            + " (peer not reading); aborting the connection"));
      }
    }

    // -- inbound ----------------------------------------------------------------------------------------------

    private void onInbound(Object element) {
      inboundSinceCheck = true;
      if (element instanceof FrameHandler.TextMessagePart part) {
        onTextPart(part);
      } else if (element instanceof FrameHandler.BinaryMessagePart) {
        initiateClose(CLOSE_UNSUPPORTED_DATA, "text frames only", false);
      } else if (element instanceof FrameHandler.PeerClosed peer) {
        onPeerClosed(peer);
      } else if (element instanceof FrameHandler.ActivelyCloseWithCode close) {
        onProtocolClose(close);
      } else if (element instanceof FrameHandler.DirectAnswer) {
        if (!peerClosed) {
          // Pong for the peer's ping. Only the latest unsent one is kept (RFC 6455 5.5.3), so a peer that pings
          // without reading cannot grow this queue.
          control.removeIf(e -> e instanceof FrameHandler.DirectAnswer);
          control.add(element);
        }
      }
      // MessageEnd (and anything else): nothing to do.
      maybePull();
      tryPush();
    }

    private void onTextPart(FrameHandler.TextMessagePart part) {
      if (closing) {
        return; // draining towards the peer's close frame
      }
      String text = part.data();
      assembledBytes += utf8Length(text);
      if (assembledBytes > limits.maxMessageBytes()) {
        initiateClose(CLOSE_TOO_BIG, "message too big", false);
        return;
      }
      if (!part.last()) {
        if (assembly == null) {
          assembly = new StringBuilder(text.length() * 2 + 16);
        }
        assembly.append(text);
        return;
      }
      String message = assembly == null ? text : assembly.append(text).toString();
      resetAssembly();
      inFlight++;
      try {
        listener.received(message);
      } catch (RuntimeException e) {
        listenerFailed("received", e);
      }
    }

    private void onPeerClosed(FrameHandler.PeerClosed peer) {
      if (peerClosed) {
        return;
      }
      int code = peer.code().isDefined() ? (Integer) peer.code().get() : CLOSE_NO_STATUS;
      report(code, peer.reason(), true);
      enterClosing();
      peerClosed = true;
      pendingClose = null;
      data.clear();
      control.clear();
      control.add(peer);
      if (!closeSent) {
        // FrameOutHandler answers a non-error peer close only after the user handler completed.
        control.add(FrameHandler.UserHandlerCompleted$.MODULE$);
      }
      finishing = true;
    }

    /** pekko's FrameHandler found a protocol error (bad UTF-8, bad opcode, ...) and wants this close sent. */
    private void onProtocolClose(FrameHandler.ActivelyCloseWithCode close) {
      if (peerClosed || closeSent) {
        return;
      }
      if (!closing) {
        int code = close.code().isDefined() ? (Integer) close.code().get() : CLOSE_NORMAL;
        report(code, close.reason(), false);
        enterClosing();
        pendingClose = close;
      }
      data.clear(); // the close goes out now
    }

    private void onProcessed() {
      int n = handle.processedNotYetSeen.getAndSet(0);
      inFlight = Math.max(0, inFlight - n);
      maybePull();
    }

    private void maybePull() {
      if (!peerClosed && !isClosed(in) && !hasBeenPulled(in) && (closing || inFlight < limits.maxInFlight())) {
        pull(in);
      }
    }

    // -- outbound ---------------------------------------------------------------------------------------------

    private void onSend(FrameStart frame) {
      if (closing) {
        return;
      }
      if (data.size() >= limits.maxOutboundQueue()) {
        initiateClose(CLOSE_SLOW_CONSUMER, "slow consumer", true);
        return;
      }
      data.add(frame);
      tryPush();
    }

    private void onCloseRequest(CloseRequest request) {
      initiateClose(request.code(), request.reason(), false);
    }

    private void initiateClose(int code, String reason, boolean dropQueued) {
      if (closing) {
        return;
      }
      report(code, reason, false);
      enterClosing();
      if (dropQueued) {
        data.clear();
      }
      pendingClose = new FrameHandler.ActivelyCloseWithCode(Option.<Object>apply(code), reason);
      maybePull(); // keep reading (and discarding) until the peer's close frame
      tryPush();
    }

    private void enterClosing() {
      closing = true;
      handle.open = false;
      resetAssembly();
      cancelTimer(KEEP_ALIVE_TIMER);
      if (!isTimerActive(ABORT_TIMER)) {
        scheduleOnce(ABORT_TIMER, abortTimeout);
      }
    }

    private void tryPush() {
      if (isAvailable(out)) {
        Object next = null;
        if (!control.isEmpty()) {
          next = control.poll();
        } else if (!data.isEmpty()) {
          next = data.poll();
        } else if (pendingClose != null) {
          next = pendingClose;
          pendingClose = null;
          closeSent = true;
          // FrameOutHandler checks its close deadline only when an element arrives.
          scheduleWithFixedDelay(TICK_TIMER, TICK_INTERVAL, TICK_INTERVAL);
        } else if (tickPending) {
          next = WebSocket.Tick$.MODULE$;
          tickPending = false;
        }
        if (next != null) {
          push(out, next);
        }
      }
      if (finishing && control.isEmpty()) {
        completeStage();
      }
    }

    // -- helpers ----------------------------------------------------------------------------------------------

    private void report(int code, String reason, boolean byPeer) {
      if (reported) {
        return;
      }
      reported = true;
      if (handle != null) {
        handle.open = false;
      }
      try {
        listener.closed(code, reason == null ? "" : reason, byPeer);
      } catch (RuntimeException e) {
        log().error(e, "WebSocket listener failed in closed({})", code);
      }
    }

    private void listenerFailed(String method, RuntimeException e) {
      log().error(e, "WebSocket listener failed in {}; closing the connection with 1011", method);
      initiateClose(CLOSE_INTERNAL_ERROR, "internal error", true);
    }

    private void resetAssembly() {
      assembly = null;
      assembledBytes = 0;
    }
  }

  /** UTF-8 length of decoded text; a surrogate pair (4 bytes) counts 2 + 2 even if split across parts. */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800 || Character.isSurrogate(c)) {
        n += 2;
      } else {
        n += 3;
      }
    }
    return n;
  }

  static String truncateReason(String reason) {
    if (reason == null) {
      return "";
    }
    if (reason.length() * 3L <= MAX_REASON_BYTES || utf8Length(reason) <= MAX_REASON_BYTES) {
      return reason;
    }
    long bytes = 0;
    int end = 0;
    while (end < reason.length()) {
      int cp = reason.codePointAt(end);
      int cpBytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + cpBytes > MAX_REASON_BYTES) {
        break;
      }
      bytes += cpBytes;
      end += Character.charCount(cp);
    }
    return reason.substring(0, end);
  }

  private static boolean isProtocolError(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof ProtocolException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
