-- Records a stream could not write and stepped over (ADR 0013), one row each, for an operator:
-- which stream, where the record is (the journal's persistence id, or the Kafka topic-partition
-- with the offset as sequence_nr), and why. The record's content stays at its source.
CREATE TABLE IF NOT EXISTS quarantine (
  id             bigserial PRIMARY KEY,
  stream         varchar(64)  NOT NULL,
  source         varchar(255) NOT NULL,
  sequence_nr    bigint,
  reason         text         NOT NULL,
  quarantined_at timestamp with time zone NOT NULL
);
