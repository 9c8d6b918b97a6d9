package dev.parley.client;

import dev.parley.protocol.AddMembersRequest;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationList;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.CreateConversationRequest;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.LoginRequest;
import dev.parley.protocol.MemberPage;
import dev.parley.protocol.ReceiptView;
import dev.parley.protocol.SessionToken;
import dev.parley.protocol.UnreadCounts;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;

/**
 * A logged-in user: the session token and every REST call that needs it (docs/protocol.md §2), and
 * {@link #connect} for the user's live WebSocket. Calls complete with the protocol records of the answers
 * or fail with {@link ParleyException}.
 *
 * <p>It owns the current token. A session made by {@link ParleyClient#login} also keeps the credentials,
 * so {@link #relogin()} can replace a token the server forgot (an embedded node keeps tokens in memory);
 * its sockets do that on their own when a reconnect is refused with 401. REST calls do not: a 401 is
 * reported, and the caller decides. After {@link #logout()} the session is dead and does not log in again.
 * Safe to share between threads.
 */
public final class ParleySession {
  private final ParleyClient client;
  private final LoginRequest credentials;
  private volatile String token;
  private volatile String userId;
  private volatile boolean loggedOut;

  ParleySession(ParleyClient client, SessionToken token, LoginRequest credentials) {
    this.client = client;
    this.credentials = credentials;
    this.token = token.token();
    this.userId = token.userId();
  }

  ParleySession(ParleyClient client, String token) {
    this.client = client;
    this.credentials = null;
    this.token = token;
  }

  public ParleyClient client() {
    return client;
  }

  /** The current bearer token; null for an {@linkplain ParleyClient#anonymous() anonymous} session. */
  public String token() {
    return token;
  }

  /** The user id (lower case); null for a session made from a bare token. */
  public String userId() {
    return userId;
  }

  /** Whether {@link #relogin()} can work: the session has credentials and was not logged out. */
  public boolean canRelogin() {
    return credentials != null && !loggedOut;
  }

  /** Logs in again with the remembered credentials and switches to the new token. */
  public CompletableFuture<ParleySession> relogin() {
    if (!canRelogin()) {
      return CompletableFuture.failedFuture(ParleyException.local(ErrorCode.UNAUTHORIZED,
          loggedOut ? "this session logged out" : "this session has no credentials to log in again"));
    }
    return client.loginWith(credentials).thenApply(t -> {
      token = t.token();
      userId = t.userId();
      return this;
    });
  }

  /** {@code DELETE /api/sessions}: the token dies and this node closes its sockets (1008 "logged out"). */
  public CompletableFuture<Void> logout() {
    loggedOut = true;
    return call("DELETE", "/api/sessions", null, Void.class, 204);
  }

  /** {@code POST /api/conversations}: creates a conversation owned by this user. */
  public CompletableFuture<ConversationInfo> createConversation(CreateConversationRequest request) {
    return call("POST", "/api/conversations", request, ConversationInfo.class, 201);
  }

  /** {@code POST /api/conversations} with a tier, an optional name and the other members' user ids. */
  public CompletableFuture<ConversationInfo> createConversation(ConversationType type, String name, List<String> members) {
    return createConversation(new CreateConversationRequest(type, name, members));
  }

  /** {@code GET /api/conversations}: this user's conversations, most recent message first (at most 200). */
  public CompletableFuture<ConversationList> conversations() {
    return call("GET", "/api/conversations", null, ConversationList.class, 200);
  }

  /** {@code GET /api/unread}: unread counts per conversation. */
  public CompletableFuture<UnreadCounts> unread() {
    return call("GET", "/api/unread", null, UnreadCounts.class, 200);
  }

  /** {@code GET /api/conversations/{id}}: one conversation (the first 100 members). */
  public CompletableFuture<ConversationInfo> conversation(String conv) {
    return call("GET", conversationPath(conv), null, ConversationInfo.class, 200);
  }

  /** {@code GET /api/conversations/{id}/members}: members after {@code after} (null: from the start); limit null: 100. */
  public CompletableFuture<MemberPage> members(String conv, String after, Integer limit) {
    return call("GET", conversationPath(conv) + "/members" + query("after", after, "limit", limit), null,
        MemberPage.class, 200);
  }

  /** {@code POST /api/conversations/{id}/members}: adds members with a role (null: MEMBER). */
  public CompletableFuture<ConversationInfo> addMembers(String conv, AddMembersRequest request) {
    return call("POST", conversationPath(conv) + "/members", request, ConversationInfo.class, 200);
  }

  /** {@code DELETE /api/conversations/{id}/members/{userId}}: removes a member, or leaves (own id). */
  public CompletableFuture<Void> removeMember(String conv, String member) {
    return call("DELETE", conversationPath(conv) + "/members/" + encode(member), null, Void.class, 204);
  }

  /**
   * {@code GET /api/conversations/{id}/messages}: one history page, older than {@code beforeSeq} or
   * newer than {@code afterSeq} (at most one of them; both null: the newest page); {@code limit} null:
   * the server's default (50).
   */
  public CompletableFuture<HistoryPage> history(String conv, Long beforeSeq, Long afterSeq, Integer limit) {
    return call("GET", conversationPath(conv) + "/messages"
        + query("beforeSeq", beforeSeq, "afterSeq", afterSeq, "limit", limit), null, HistoryPage.class, 200);
  }

  /** {@code GET /api/conversations/{id}/messages/{seq}/receipts}: who has seen and received message {@code seq}. */
  public CompletableFuture<ReceiptView> receipts(String conv, long seq) {
    return call("GET", conversationPath(conv) + "/messages/" + seq + "/receipts", null, ReceiptView.class, 200);
  }

  /** Opens this user's WebSocket with default options (token in the Authorization header, reconnect on). */
  public CompletableFuture<ParleySocket> connect(SocketListener listener) {
    return connect(SocketOptions.defaults(), listener);
  }

  /** Opens this user's WebSocket; see {@link ParleySocket} for what it keeps and resumes. */
  public CompletableFuture<ParleySocket> connect(SocketOptions options, SocketListener listener) {
    return ParleySocket.open(this, options, listener);
  }

  private <T> CompletableFuture<T> call(String method, String path, Object body, Class<T> type, int expected) {
    return client.call(method, path, token, body, type, expected);
  }

  private static String conversationPath(String conv) {
    return "/api/conversations/" + encode(conv);
  }

  private static String encode(String segment) {
    // ':' is legal in a path segment and common in ids (dm:ann:bob): keep it readable.
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20").replace("%3A", ":");
  }

  /** {@code ?a=1&b=2} of the non-null pairs (name, value, name, value ...); "" when all are null. */
  private static String query(Object... pairs) {
    StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        q.add(pairs[i] + "=" + encode(pairs[i + 1].toString()));
      }
    }
    return q.toString();
  }
}
