-- Up Migration
-- security_events becomes partitioned by month of occurred_at, so retention
-- can drop whole months. The rows already stored are not copied: the old
-- table becomes the partition for everything before next month.

-- A partitioned table's unique keys must include the partition key, but a
-- retried event is recognised by its event_id alone: ids are kept unique here.
CREATE TABLE security_event_ids (
  event_id uuid PRIMARY KEY,
  occurred_at timestamptz NOT NULL
);
CREATE INDEX security_event_ids_occurred_idx ON security_event_ids (occurred_at);
INSERT INTO security_event_ids (event_id, occurred_at) SELECT event_id, occurred_at FROM security_events;

-- Its key becomes (event_id, occurred_at), built when the table is attached.
ALTER TABLE security_events DROP CONSTRAINT security_events_pkey;
ALTER TABLE security_events RENAME TO security_events_before_partitioning;
ALTER INDEX security_events_occurred_idx RENAME TO security_events_before_partitioning_occurred_idx;
ALTER INDEX security_events_subject_idx RENAME TO security_events_before_partitioning_subject_idx;
ALTER INDEX security_events_client_ip_idx RENAME TO security_events_before_partitioning_client_ip_idx;
ALTER INDEX security_events_txid_idx RENAME TO security_events_before_partitioning_txid_idx;

CREATE TABLE security_events (LIKE security_events_before_partitioning INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (occurred_at);
ALTER TABLE security_events ADD PRIMARY KEY (event_id, occurred_at);
CREATE INDEX security_events_occurred_idx ON security_events (occurred_at DESC, event_id DESC);
CREATE INDEX security_events_subject_idx ON security_events (subject, occurred_at DESC, event_id DESC)
  WHERE subject IS NOT NULL;
CREATE INDEX security_events_client_ip_idx ON security_events (client_ip, occurred_at DESC, event_id DESC)
  WHERE client_ip IS NOT NULL;
CREATE INDEX security_events_txid_idx ON security_events USING brin (txid);

-- Months are UTC months whatever the session's time zone.
SET LOCAL TimeZone = 'UTC';

DO $$
DECLARE
  cutover timestamptz := date_trunc('month', now(), 'UTC') + interval '1 month';
BEGIN
  -- Proving the bound first lets ATTACH skip its own scan.
  EXECUTE format(
    'ALTER TABLE security_events_before_partitioning ADD CONSTRAINT security_events_before_partitioning_bound CHECK (occurred_at < %L)',
    cutover);
  EXECUTE format(
    'ALTER TABLE security_events ATTACH PARTITION security_events_before_partitioning FOR VALUES FROM (MINVALUE) TO (%L)',
    cutover);
END
$$;

-- Rows for months without a partition yet land here rather than fail.
CREATE TABLE security_events_default PARTITION OF security_events DEFAULT;

-- Creates the monthly partitions from this month to `months_ahead` months on
-- that do not exist yet; returns how many it made. Run at start-up, daily, and
-- by `warden retention run`.
CREATE FUNCTION security_events_add_partitions(months_ahead integer) RETURNS integer
LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
DECLARE
  month timestamptz := date_trunc('month', now(), 'UTC');
  created integer := 0;
  name text;
BEGIN
  WHILE month <= date_trunc('month', now(), 'UTC') + make_interval(months => months_ahead) LOOP
    name := 'security_events_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM');
    IF to_regclass(name) IS NULL THEN
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF security_events FOR VALUES FROM (%L) TO (%L)',
          name, month, month + interval '1 month');
        created := created + 1;
      EXCEPTION
        -- The month is inside the partition from before partitioning, or the
        -- default partition already holds rows for it: those stay where they are.
        -- Or another replica made it first.
        WHEN invalid_object_definition OR check_violation OR duplicate_table THEN NULL;
      END;
    END IF;
    month := month + interval '1 month';
  END LOOP;
  RETURN created;
END
$$;

SELECT security_events_add_partitions(3);

-- Monthly partitions that end at or before `cutoff`, with their row counts;
-- dropped too when `drop_them`. The partition from before partitioning and the
-- default partition are never dropped: retention deletes from them in batches.
CREATE FUNCTION security_events_expired_partitions(cutoff timestamptz, drop_them boolean)
RETURNS TABLE (partition text, rows bigint)
LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
DECLARE
  candidate record;
BEGIN
  FOR candidate IN
    SELECT c.relname
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'security_events'::regclass AND c.relname ~ '^security_events_\d{4}_\d{2}$'
    ORDER BY c.relname
  LOOP
    IF (to_date(substr(candidate.relname, 17), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
      partition := candidate.relname;
      EXECUTE format('SELECT count(*) FROM %I', candidate.relname) INTO rows;
      IF drop_them THEN
        EXECUTE format('DROP TABLE %I', candidate.relname);
      END IF;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$$;
