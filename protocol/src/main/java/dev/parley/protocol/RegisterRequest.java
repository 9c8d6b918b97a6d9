package dev.parley.protocol;

/** REST body of {@code POST /api/users}: the new account's username and password. */
public record RegisterRequest(String username, String password) {
  public RegisterRequest {
    Fields.line(Fields.require(username, "username", "register"), "username", "register");
    Fields.line(Fields.require(password, "password", "register"), "password", "register");
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "RegisterRequest[username=" + username + ", password=***]";
  }
}
