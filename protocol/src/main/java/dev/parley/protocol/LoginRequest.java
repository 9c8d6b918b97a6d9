package dev.parley.protocol;

/** REST body of {@code POST /api/sessions}: the username and password to exchange for a {@link SessionToken}. */
public record LoginRequest(String username, String password) {
  public LoginRequest {
    Fields.require(username, "username", "login");
    Fields.require(password, "password", "login");
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "LoginRequest[username=" + username + ", password=***]";
  }
}
