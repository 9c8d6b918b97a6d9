-- Registered accounts, owned by dev.parley.auth.Accounts (same table as the PostgreSQL migration;
-- unquoted names, so H2 stores them upper-case and unquoted queries find them).
-- user_id is the lower-cased username ([a-z0-9_.-]{3,32}); password_hash is a bcrypt string.
--
-- Indexes: only the primary key on user_id. It serves every query of Accounts: the lookup of
-- authenticate (WHERE user_id = ?), exists (WHERE user_id = ?), missing (WHERE user_id IN (...)),
-- and it is the unique constraint whose violation (SQLState 23505) register reports as a taken name.
-- created_at is not queried, so it has no index.
CREATE TABLE IF NOT EXISTS users (
  user_id VARCHAR(32) PRIMARY KEY,
  password_hash VARCHAR(100) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);
