package dev.parley.protocol;

import java.util.List;

/**
 * REST body of {@code GET /api/conversations/{id}/members}: one page of members in user-id order;
 * {@code nextAfter} is the cursor for the next page (absent on the last page).
 */
public record MemberPage(String conv, long memberCount, List<MemberView> members, String nextAfter) {
  public MemberPage {
    Fields.require(conv, "conv", "memberPage");
    members = Fields.list(members, "members", "memberPage");
  }
}
