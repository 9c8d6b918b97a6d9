-- The read model (issue 4): written by the journal projection (conversations, conversation_users,
-- messages) and the receipt writer (conversation_reads, message_reads, channel_views). The
-- conversation entities stay the source of truth; every table here can be rebuilt from the journal
-- except read positions, which are not journal events (see docs/decisions/0007).
-- Every index names the query it serves; there are no others.

-- One row per conversation, kept by the projection.
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

-- Read and delivered positions, one row per (conversation, member), also kept after a member leaves
-- (their reads still count as channel views). Written only by GREATEST upserts.
CREATE TABLE IF NOT EXISTS conversation_reads (
  conversation_id    varchar(128) NOT NULL,
  user_id            varchar(128) NOT NULL,
  last_read_seq      bigint NOT NULL DEFAULT 0,
  last_delivered_seq bigint NOT NULL DEFAULT 0,
  read_at            timestamp with time zone,
  delivered_at       timestamp with time zone,
  -- serves: the upsert's conflict target; "positions of conversation ?" (entity recovery, a prefix
  -- scan); the join of "my conversations" on (conversation_id, user_id).
  PRIMARY KEY (conversation_id, user_id)
);

-- Per-message receipts, PRIVATE and SMALL_GROUP only (the seed's MessageRead). LARGE_GROUP and
-- CHANNEL keep positions only, so a 1000-member group never writes a row per reader per message.
CREATE TABLE IF NOT EXISTS message_reads (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  user_id         varchar(128) NOT NULL,
  read_at         timestamp with time zone,
  delivered_at    timestamp with time zone,
  -- serves: the upsert's conflict target; "who has seen / received message ?" (a prefix scan on
  -- (conversation_id, seq)).
  PRIMARY KEY (conversation_id, seq, user_id)
);

-- Channel view counts per message (absolute counts, written with GREATEST).
CREATE TABLE IF NOT EXISTS channel_views (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  views           bigint NOT NULL,
  -- serves: the upsert's conflict target; "views of message ?".
  PRIMARY KEY (conversation_id, seq)
);

-- Messages, partitioned by month of created_at (the time in the persisted event, never the time the
-- projection ran). A partitioned table's primary key must include the partition column.
-- Partitions (messages_yyyy_mm) are created ahead by dev.parley.readmodel.Partitions.
CREATE TABLE IF NOT EXISTS messages (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  message_id      varchar(64)  NOT NULL,
  sender_id       varchar(128) NOT NULL,
  client_msg_id   varchar(128),
  content         text,
  attachments     text,
  created_at      timestamp with time zone NOT NULL,
  edited_at       timestamp with time zone,
  deleted         boolean NOT NULL DEFAULT false,
  -- serves: history pages (WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?, and
  -- seq > ? ... ASC), edits and deletions by (conversation_id, seq), the projection's idempotent insert.
  PRIMARY KEY (conversation_id, seq, created_at)
) PARTITION BY RANGE (created_at);

-- Messages older than the archive age. Same columns, same partitioning: the archiver detaches a
-- whole month from messages and attaches it here (no row is copied or deleted one by one).
CREATE TABLE IF NOT EXISTS archived_messages (
  conversation_id varchar(128) NOT NULL,
  seq             bigint NOT NULL,
  message_id      varchar(64)  NOT NULL,
  sender_id       varchar(128) NOT NULL,
  client_msg_id   varchar(128),
  content         text,
  attachments     text,
  created_at      timestamp with time zone NOT NULL,
  edited_at       timestamp with time zone,
  deleted         boolean NOT NULL DEFAULT false,
  -- serves: archived history pages, as for messages.
  PRIMARY KEY (conversation_id, seq, created_at)
) PARTITION BY RANGE (created_at);

-- Which months were archived, when, and how many messages they held.
CREATE TABLE IF NOT EXISTS archive_log (
  archived_month date PRIMARY KEY,  -- serves: "was this month archived" (the archiver skips it)
  archived_at timestamp with time zone NOT NULL,
  messages    bigint NOT NULL
);

-- conversation_users (V3) is now kept by the projection too: the seq at which a member joined.
ALTER TABLE conversation_users ADD COLUMN IF NOT EXISTS joined_seq bigint NOT NULL DEFAULT 0;
