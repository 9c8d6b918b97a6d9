package dev.parley.http;

import dev.parley.session.ClientSocket;
import static org.apache.pekko.http.javadsl.server.PathMatchers.longSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.parley.auth.Accounts;
import dev.parley.auth.SessionStore;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.Summary;
import dev.parley.membership.MembershipIndex;
import dev.parley.protocol.AddMembersRequest;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationList;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.CreateConversationRequest;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.LoginRequest;
import dev.parley.protocol.MemberPage;
import dev.parley.protocol.MemberView;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.ReceiptView;
import dev.parley.protocol.RegisterRequest;
import dev.parley.protocol.SessionToken;
import dev.parley.protocol.Role;
import dev.parley.protocol.UnreadCounts;
import dev.parley.session.Session;
import dev.parley.session.SessionRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.pattern.StatusReply;

/**
 * The client API of a node: REST under {@code /api} and the WebSocket at {@code /ws}. Routes only
 * parse, authenticate, ask the conversation (or the account store) and map the answer; every
 * failure goes through {@link ApiErrors}. Holds no state of its own.
 */
public final class ClientApi extends AllDirectives {
  static final String TOKEN_PROTOCOL_PREFIX = "parley.token.";
  static final String PROTOCOL = "parley.v1";
  private static final int INFO_MEMBERS = 100;
  /** The protocol's one mapper: response bytes are exactly what {@link ProtocolCodec#writeBytes} makes. */
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = ProtocolCodec.mapper();

  /** What the API needs from its node. */
  public record Dependencies(
      ActorSystem<?> system,
      ClusterSharding sharding,
      Accounts accounts,
      SessionStore sessions,
      MembershipIndex membership,
      SessionRegistry registry,
      Session.Context sessionContext,
      dev.parley.auth.LoginThrottle loginThrottle,
      dev.parley.query.ConversationQueries history,
      Duration askTimeout) {}

  private final Dependencies deps;
  private final WebSocketLimits limits;
  private final AtomicLong connectionIds = new AtomicLong();

  public ClientApi(Dependencies deps) {
    this.deps = deps;
    var s = deps.sessionContext().settings();
    this.limits = new WebSocketLimits(s.maxMessageBytes(), s.maxInFlight(), s.maxOutboundQueue(), s.keepAlive());
  }

  /** REST and WebSocket; every error answer is JSON ({@link JsonErrors}). Operator routes are on the management port ({@link OperatorApi}). */
  public Route routes() {
    return new JsonErrors().wrap(() -> concat(
        pathPrefix("api", this::api),
        path("ws", this::webSocket)));
  }

  // -- REST ---------------------------------------------------------------------------------------

  private Route api() {
    return concat(
        path("users", () -> post(() -> extractRequest(request -> body(RegisterRequest.class, r ->
            respond(deps.accounts().register(r.username(), r.password(), clientAddress(request))
                .thenApply(id -> Map.of("userId", id)), StatusCodes.CREATED))))),
        path("sessions", () -> concat(
            post(() -> extractRequest(request -> body(LoginRequest.class, r -> login(r, clientAddress(request))))),
            delete(() -> authenticated((user, token) -> respond(deps.sessions().revoke(token).thenApply(existed -> {
              deps.registry().closeToken(token, Session.CLOSE_POLICY, "logged out");
              return null;
            }), StatusCodes.NO_CONTENT))))),
        path("unread", () -> get(() -> authenticated((user, token) -> respond(unreadCounts(user), StatusCodes.OK)))),
        path("conversations", () -> authenticated((user, token) -> concat(
            get(() -> respond(myConversations(user), StatusCodes.OK)),
            post(() -> body(CreateConversationRequest.class, r -> respond(create(user, r), StatusCodes.CREATED)))))),
        pathPrefix("conversations", () -> pathPrefix(segment(), conv -> !ConversationEntity.isValidId(conv)
            ? complete(ApiErrors.response(ErrorCode.BAD_REQUEST, ConversationEntity.INVALID_ID))
            : authenticated((user, token) -> concat(
            pathEnd(() -> get(() -> respond(info(user, conv), StatusCodes.OK))),
            path("members", () -> concat(
                get(() -> parameterOptional("after", after -> parameterOptional("limit", limit ->
                    respond(members(user, conv, after.orElse(null), intParam(limit, 100)), StatusCodes.OK)))),
                post(() -> body(AddMembersRequest.class, r -> respond(addMembers(user, conv, r), StatusCodes.OK))))),
            path(segment("members").slash(segment()), member -> delete(() ->
                respond(removeMember(user, conv, member), StatusCodes.NO_CONTENT))),
            path("messages", () -> get(() -> parameterOptional("beforeSeq", before ->
                parameterOptional("afterSeq", after -> parameterOptional("limit", limit ->
                    respond(history(user, conv, longParam(before), longParam(after), intParam(limit, 0)),
                        StatusCodes.OK)))))),
            path(segment("messages").slash(longSegment()).slash("receipts"), seq -> get(() ->
                respond(receipts(user, conv, seq), StatusCodes.OK))))))));
  }

  /** The peer's IP as the socket saw it (never a forwarded header a client could forge); "" when unknown. */
  private static String clientAddress(org.apache.pekko.http.javadsl.model.HttpRequest request) {
    return request.getAttribute(org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress)
        .flatMap(a -> a.getAddress()).map(java.net.InetAddress::getHostAddress).orElse("");
  }

  /**
   * Failed logins are counted per (username, client address): guessing from one address is slowed
   * down, and someone else's guesses cannot lock a user out from their own address (behind a
   * shared proxy every client has the proxy's address, so it degrades to per username). The attempt
   * is reserved before the password is checked, so concurrent guesses cannot pass the limit; one
   * that was never checked (the password pool was full, the store was down) is given back.
   */
  private Route login(LoginRequest r, String address) {
    String key = r.username() + "@" + address;
    long reservedAt = System.nanoTime();
    long wait = deps.loginThrottle().reserve(key, reservedAt);
    if (wait > 0) {
      return complete(ApiErrors.response(new dev.parley.auth.AuthException(ErrorCode.RATE_LIMITED,
          "too many failed logins for this user; retry after " + wait + " ms", null, wait)));
    }
    return respond(deps.accounts().authenticate(r.username(), r.password(), address)
        .handle((user, failure) -> checked(key, reservedAt, user, failure)).thenCompose(f -> f), StatusCodes.OK);
  }

  /** After the password check: a session, 401 (the reservation stays a failure), or the refusal (given back). */
  private CompletionStage<SessionToken> checked(String key, long reservedAt, Optional<String> user, Throwable failure) {
    if (failure != null) {
      deps.loginThrottle().release(key, reservedAt);
      return CompletableFuture.failedFuture(failure);
    }
    if (user.isEmpty()) {
      return CompletableFuture.failedFuture(new ProtocolException(ErrorCode.UNAUTHORIZED, "wrong username or password"));
    }
    deps.loginThrottle().succeeded(key);
    return deps.sessions().issue(user.get());
  }

  private CompletionStage<ConversationInfo> create(String user, CreateConversationRequest r) {
    List<String> members = new ArrayList<>(new LinkedHashSet<>(r.members()));
    members.remove(user);
    String id = r.type() == ConversationType.PRIVATE && members.size() == 1
        ? privateId(user, members.get(0))
        : UUID.randomUUID().toString();
    return requireUsers(members)
        .thenCompose(v -> this.<Summary>write(id, rt -> new ConversationEntity.Create(user, r.type(), r.name(), members, rt)))
        .thenCompose(summary -> {
          Map<String, Role> roles = new java.util.LinkedHashMap<>();
          roles.put(user, Role.OWNER);
          members.forEach(m -> roles.put(m, Role.MEMBER));
          return deps.membership().awaitProjected(id, roles.keySet(), List.of()).thenCompose(v -> info(user, id));
        });
  }

  /** One id per pair of users, so either of them creating "our chat" gets the same conversation. */
  static String privateId(String a, String b) {
    return a.compareTo(b) < 0 ? "dm:" + a + ":" + b : "dm:" + b + ":" + a;
  }

  private CompletionStage<ConversationInfo> addMembers(String user, String conv, AddMembersRequest r) {
    return requireUsers(r.userIds())
        .thenCompose(v -> this.<Summary>write(conv, rt -> new ConversationEntity.AddMembers(user, r.userIds(), r.role(), rt)))
        .thenCompose(s -> deps.membership().awaitProjected(conv, r.userIds(), List.of()))
        .thenCompose(v -> info(user, conv));
  }

  private CompletionStage<Object> removeMember(String user, String conv, String member) {
    return this.<Summary>write(conv, rt -> new ConversationEntity.RemoveMember(user, member, rt))
        .thenCompose(s -> deps.membership().awaitProjected(conv, List.of(), List.of(member)))
        .thenApply(v -> null);
  }

  private CompletionStage<Void> requireUsers(List<String> userIds) {
    if (userIds.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return deps.accounts().missing(userIds).thenAccept(missing -> {
      if (!missing.isEmpty()) {
        throw new ProtocolException(ErrorCode.NOT_FOUND, "no such users: " + String.join(", ",
            missing.stream().sorted().limit(10).toList()));
      }
    });
  }

  private CompletionStage<ConversationInfo> info(String user, String conv) {
    CompletionStage<Summary> summary = ask(conv, rt -> new ConversationEntity.GetSummary(user, rt));
    CompletionStage<ConversationEntity.MembersPage> page =
        ask(conv, rt -> new ConversationEntity.GetMembers(user, null, INFO_MEMBERS, rt));
    return summary.thenCombine(page, (s, p) -> new ConversationInfo(s.conversationId(), s.type(), s.name(), s.owner(),
        memberViews(p), s.memberCount(), s.messageCount(), s.lastSeq(), s.createdAt()));
  }

  private CompletionStage<MemberPage> members(String user, String conv, String after, int limit) {
    return this.<ConversationEntity.MembersPage>ask(conv, rt -> new ConversationEntity.GetMembers(user, after, limit, rt))
        .thenApply(p -> new MemberPage(conv, p.memberCount(), memberViews(p), p.nextAfter()));
  }

  private static List<MemberView> memberViews(ConversationEntity.MembersPage p) {
    return p.members().stream().map(m -> new MemberView(m.userId(), m.role())).toList();
  }

  private CompletionStage<HistoryPage> history(String user, String conv, Long before, Long after, int limit) {
    return deps.history().page(user, conv, before, after, limit);
  }

  private CompletionStage<ReceiptView> receipts(String user, String conv, long seq) {
    return this.<ConversationEntity.Receipts>ask(conv, rt -> new ConversationEntity.GetReceipts(user, seq, rt))
        .thenApply(r -> new ReceiptView(conv, r.seq(), r.type(), r.seenBy(), r.deliveredTo(), r.seenCount(),
            r.deliveredCount(), r.views()));
  }

  /** The user's conversations, most recent activity first (SQL + cached summaries; see ConversationQueries). */
  private CompletionStage<ConversationList> myConversations(String user) {
    return deps.history().conversations(user);
  }

  private CompletionStage<UnreadCounts> unreadCounts(String user) {
    return deps.history().unread(user);
  }

  private <R> CompletionStage<R> ask(String conv, Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command) {
    EntityRef<ConversationEntity.Command> entity = deps.sharding().entityRefFor(ConversationEntity.ENTITY_KEY, conv);
    return entity.askWithStatus(command::apply, deps.askTimeout());
  }

  /** {@link #ask} for a create, add or remove: a timeout leaves the outcome unknown ({@code unknown_outcome}, 504). */
  private <R> CompletionStage<R> write(String conv, Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command) {
    return this.<R>ask(conv, command).exceptionallyCompose(f -> CompletableFuture.failedStage(
        dev.parley.conversation.Rejection.ofWrite(f)));
  }

  // -- WebSocket ----------------------------------------------------------------------------------

  /**
   * The upgrade: Origin must be allowed (exact match), the token must resolve (from
   * {@code Authorization: Bearer} or an offered subprotocol {@code parley.token.<token>}; never the
   * query string), and the user must be under their connection cap. Each failure answers before
   * the upgrade, so no session exists for a refused socket.
   */
  private Route webSocket() {
    return extractRequest(request -> {
      Optional<String> origin = request.getHeader("Origin").map(h -> h.value());
      var settings = deps.sessionContext().settings();
      if (origin.isPresent() ? !settings.allowedOrigins().contains(origin.get()) : !settings.allowMissingOrigin()) {
        return complete(ApiErrors.response(ErrorCode.FORBIDDEN, "origin not allowed"));
      }
      if (request.getUri().query().get("token").isPresent() || request.getUri().query().get("access_token").isPresent()) {
        return complete(ApiErrors.response(ErrorCode.BAD_REQUEST,
            "tokens in the query string are not accepted; use Authorization: Bearer or the parley.token.<token> subprotocol"));
      }
      Optional<WebSocketUpgrade> maybeUpgrade =
          request.getAttribute(org.apache.pekko.http.javadsl.model.AttributeKeys.webSocketUpgrade);
      if (maybeUpgrade.isEmpty()) {
        return complete(ApiErrors.response(ErrorCode.BAD_REQUEST, "Expected WebSocket Upgrade request"));
      }
      WebSocketUpgrade upgrade = maybeUpgrade.get();
      List<String> offered = new ArrayList<>();
      upgrade.getRequestedProtocols().forEach(offered::add);
      Optional<String> token = bearer(request.getHeader("Authorization").map(h -> h.value()))
          .or(() -> offered.stream().filter(p -> p.startsWith(TOKEN_PROTOCOL_PREFIX))
              .map(p -> p.substring(TOKEN_PROTOCOL_PREFIX.length())).findFirst());
      if (token.isEmpty()) {
        return complete(ApiErrors.response(ErrorCode.UNAUTHORIZED, "missing session token"));
      }
      boolean tokenInProtocols = offered.stream().anyMatch(p -> p.startsWith(TOKEN_PROTOCOL_PREFIX));
      if (tokenInProtocols && !offered.contains(PROTOCOL)) {
        // The server must echo one offered subprotocol; it never echoes the token.
        return complete(ApiErrors.response(ErrorCode.BAD_REQUEST,
            "offer the " + PROTOCOL + " subprotocol together with " + TOKEN_PROTOCOL_PREFIX + "<token>"));
      }
      return onSuccess(deps.sessions().resolve(token.get()), user -> {
        if (user.isEmpty()) {
          return complete(ApiErrors.response(ErrorCode.UNAUTHORIZED, "invalid or expired session token"));
        }
        if (deps.registry().connectionsOf(user.get()) >= settings.maxConnectionsPerUser()) {
          return complete(ApiErrors.response(ErrorCode.RATE_LIMITED,
              "too many connections for this user (" + settings.maxConnectionsPerUser() + ")"));
        }
        Optional<String> subprotocol = offered.contains(PROTOCOL) ? Optional.of(PROTOCOL) : Optional.empty();
        return complete(open(upgrade, subprotocol, user.get(), token.get()));
      });
    });
  }

  private HttpResponse open(WebSocketUpgrade upgrade, Optional<String> subprotocol, String user, String token) {
    long id = connectionIds.incrementAndGet();
    WebSocketListener listener = new WebSocketListener() {
      private volatile ActorRef<Session.Command> session;

      @Override
      public void opened(ClientSocket handle) {
        if (!deps.registry().tryOpen(user)) {
          handle.close(Session.CLOSE_POLICY, "too many connections");
          return;
        }
        session = deps.system().systemActorOf(Session.create(deps.sessionContext(), user, token, handle),
            "session-" + id, Props.empty());
      }

      @Override
      public void received(String text) {
        ActorRef<Session.Command> s = session;
        if (s != null) {
          s.tell(new Session.Inbound(text));
        }
      }

      @Override
      public void closed(int code, String reason, boolean byPeer) {
        ActorRef<Session.Command> s = session;
        if (s != null) {
          s.tell(new Session.Closed(code, reason));
        }
      }
    };
    return WebSocketConnection.upgrade(upgrade, subprotocol, limits, listener, deps.system());
  }

  // -- plumbing -----------------------------------------------------------------------------------

  private Route authenticated(BiFunction<String, String, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      Optional<String> token = bearer(header);
      if (token.isEmpty()) {
        return complete(ApiErrors.response(ErrorCode.UNAUTHORIZED, "missing session token (Authorization: Bearer ...)"));
      }
      return onSuccess(deps.sessions().resolve(token.get()), user -> user.isPresent()
          ? inner.apply(user.get(), token.get())
          : complete(ApiErrors.response(ErrorCode.UNAUTHORIZED, "invalid or expired session token")));
    });
  }

  /** The token of an {@code Authorization: Bearer <token>} header value (case-insensitive scheme). */
  static Optional<String> bearer(Optional<String> header) {
    return header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).trim())
        .filter(t -> !t.isEmpty());
  }

  /** A decoded request body, or the codec's refusal (answered with its code and client-safe message). */
  private record Body<T>(T value, ProtocolException refused) {}

  /**
   * The request body as {@code type}: a pekko-http unmarshaller (any content type, as before) over
   * the protocol codec, so a malformed body is answered with the codec's code and message, and a
   * body over the size limit still gets pekko-http's own 413 rejection.
   */
  private <T> Route body(Class<T> type, Function<T, Route> inner) {
    Unmarshaller<org.apache.pekko.http.javadsl.model.HttpEntity, Body<T>> json =
        Unmarshaller.entityToString().thenApply(text -> {
          try {
            return new Body<>(ProtocolCodec.read(text, type), null);
          } catch (ProtocolException e) {
            return new Body<>(null, e);
          }
        });
    return entity(json, b -> b.refused() != null ? complete(ApiErrors.response(b.refused())) : inner.apply(b.value()));
  }

  /** The answer of a stage: its value as JSON (Jackson marshaller, the protocol's mapper) with {@code ok}, 204 for no value, or the mapped failure. */
  private <T> Route respond(CompletionStage<T> result, StatusCode ok) {
    return onComplete(result, outcome -> {
      if (outcome.isFailure()) {
        return complete(ApiErrors.response(outcome.failed().get()));
      }
      T value = outcome.get();
      return value == null ? complete(StatusCodes.NO_CONTENT) : complete(ok, value, Jackson.<T>marshaller(JSON));
    });
  }

  private static Long longParam(Optional<String> value) {
    if (value.isEmpty()) {
      return null;
    }
    try {
      return Long.parseLong(value.get());
    } catch (NumberFormatException e) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "expected a number, got '" + clip(value.get()) + "'");
    }
  }

  private static int intParam(Optional<String> value, int absent) {
    Long v = longParam(value);
    if (v == null) {
      return absent;
    }
    if (v < 1 || v > 10_000) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "limit must be between 1 and 10000");
    }
    return v.intValue();
  }

  private static String clip(String s) {
    return s.length() > 32 ? s.substring(0, 32) + "..." : s;
  }
}
