-- The read model (issue 4), embedded form. Same tables and keys as the PostgreSQL migration, except
-- that H2 has no declarative partitioning: messages and archived_messages are plain tables, and
-- the archiver moves a month with one INSERT ... SELECT and one DELETE of that month's range.
-- Every index names the query it serves; see the PostgreSQL migration for the full comments.

CREATE TABLE IF NOT EXISTS conversations (
  conversation_id  varchar(128) PRIMARY KEY,  -- serves: lookups by id, the join of "my conversations"
  type             varchar(16)  NOT NULL,
  name             varchar(200),
  owner_id         varchar(128),
  member_count     integer      NOT NULL DEFAULT 0,
  message_count    bigint       NOT NULL DEFAULT 0,
  last_message_seq bigint       NOT NULL DEFAULT 0,
  last_message_at  timestamp with time zone,
  created_at       timestamp with time zone NOT NULL,
  updated_at       timestamp with time zone NOT NULL,
  deleted_at       timestamp with time zone
);

CREATE TABLE IF NOT EXISTS conversation_reads (
  conversation_id    varchar(128) NOT NULL,
  user_id            varchar(128) NOT NULL,
  last_read_seq      bigint NOT NULL DEFAULT 0,
  last_delivered_seq bigint NOT NULL DEFAULT 0,
  read_at            timestamp with time zone,
  delivered_at       timestamp with time zone,
  -- serves: the upsert, entity recovery (prefix scan), the join of "my conversations".
  PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE IF NOT EXISTS message_reads (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  user_id         varchar(128) NOT NULL,
  read_at         timestamp with time zone,
  delivered_at    timestamp with time zone,
  -- serves: the upsert, "who has seen message ?".
  PRIMARY KEY (conversation_id, seq, user_id)
);

CREATE TABLE IF NOT EXISTS channel_views (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  views           bigint NOT NULL,
  -- serves: the upsert, "views of message ?".
  PRIMARY KEY (conversation_id, seq)
);

CREATE TABLE IF NOT EXISTS messages (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  message_id      varchar(64)  NOT NULL,
  sender_id       varchar(128) NOT NULL,
  client_msg_id   varchar(128),
  content         clob,
  attachments     clob,
  created_at      timestamp with time zone NOT NULL,
  edited_at       timestamp with time zone,
  deleted         boolean NOT NULL DEFAULT false,
  -- serves: history pages by (conversation_id, seq), edits, deletions, the idempotent insert.
  PRIMARY KEY (conversation_id, seq, created_at)
);
-- serves: the archiver's month range (WHERE created_at >= ? AND created_at < ?).
CREATE INDEX IF NOT EXISTS messages_by_created_at ON messages (created_at);

CREATE TABLE IF NOT EXISTS archived_messages (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  message_id      varchar(64)  NOT NULL,
  sender_id       varchar(128) NOT NULL,
  client_msg_id   varchar(128),
  content         clob,
  attachments     clob,
  created_at      timestamp with time zone NOT NULL,
  edited_at       timestamp with time zone,
  deleted         boolean NOT NULL DEFAULT false,
  -- serves: archived history pages.
  PRIMARY KEY (conversation_id, seq, created_at)
);

CREATE TABLE IF NOT EXISTS archive_log (
  archived_month date PRIMARY KEY,  -- serves: "was this month archived" (the archiver skips it)
  archived_at timestamp with time zone NOT NULL,
  messages    bigint NOT NULL
);

ALTER TABLE conversation_users ADD COLUMN IF NOT EXISTS joined_seq bigint NOT NULL DEFAULT 0;
