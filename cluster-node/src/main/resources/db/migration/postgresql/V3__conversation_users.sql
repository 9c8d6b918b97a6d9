-- Who is in which conversation, for "my conversations" and "my unread counts". The conversation
-- entity is the source of truth; the client API writes this index after the entity accepted a
-- create / add / remove (the read-model projection takes it over later).
CREATE TABLE IF NOT EXISTS conversation_users (
  conversation_id varchar(128) NOT NULL,
  user_id         varchar(128) NOT NULL,
  role            varchar(16)  NOT NULL,
  joined_at       timestamp with time zone NOT NULL DEFAULT now(),
  -- Serves: membership upserts and removals by (conversation, user).
  PRIMARY KEY (conversation_id, user_id)
);
-- Serves: SELECT conversation_id FROM conversation_users WHERE user_id = ? ORDER BY conversation_id (my conversations).
CREATE INDEX IF NOT EXISTS conversation_users_by_user ON conversation_users (user_id, conversation_id);
