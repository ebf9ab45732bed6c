-- Up Migration
-- Which transaction wrote each event. Alert rules read events in commit
-- order: every transaction below the oldest one still running has finished,
-- so no event can appear behind the evaluator's cursor. Existing rows keep
-- NULL and are history, not alert input.
ALTER TABLE security_events ADD COLUMN txid bigint;
ALTER TABLE security_events ALTER COLUMN txid SET DEFAULT pg_current_xact_id()::text::bigint;
-- Events are appended in transaction order, so a BRIN index stays small and cheap to maintain.
CREATE INDEX security_events_txid_idx ON security_events USING brin (txid);

-- How far rule evaluation has got: every event at or before (txid, event_id)
-- has been counted. One row; the replica holding its lock evaluates.
CREATE TABLE alert_cursor (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  txid bigint NOT NULL,
  event_id uuid NOT NULL
);
INSERT INTO alert_cursor (txid, event_id)
VALUES (pg_current_xact_id()::text::bigint, '00000000-0000-0000-0000-000000000000');

-- Matches of threshold rules still inside their window, per group.
CREATE TABLE alert_hits (
  rule text NOT NULL,
  group_key text NOT NULL,
  occurred_at timestamptz NOT NULL,
  event_id uuid
);
CREATE INDEX alert_hits_group_idx ON alert_hits (rule, group_key, occurred_at);

CREATE TYPE alert_severity AS ENUM ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL');
CREATE TYPE alert_state AS ENUM ('OPEN', 'ACKNOWLEDGED', 'RESOLVED');
CREATE TYPE alert_change_kind AS ENUM ('RAISED', 'REPEATED', 'ACKNOWLEDGED', 'RESOLVED');
CREATE TYPE delivery_state AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

CREATE TABLE alerts (
  alert_id uuid PRIMARY KEY,
  rule text NOT NULL,
  fingerprint text NOT NULL,
  group_key text NOT NULL,
  severity alert_severity NOT NULL,
  state alert_state NOT NULL DEFAULT 'OPEN',
  summary text NOT NULL,
  count integer NOT NULL DEFAULT 1,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  last_event_id uuid,
  -- Milliseconds, like the page tokens that carry it.
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  acknowledged_at timestamptz,
  acknowledged_by text,
  acknowledge_note text,
  resolved_at timestamptz,
  resolved_by text,
  resolve_note text
);
CREATE INDEX alerts_fingerprint_idx ON alerts (fingerprint, last_seen_at DESC) WHERE state <> 'RESOLVED';
CREATE INDEX alerts_created_idx ON alerts (created_at DESC, alert_id DESC);

-- Every change to an alert, in commit order: writers take the same
-- transaction-level advisory lock before appending, so a reader that has seen
-- seq n has seen every change before it. WatchAlerts resumes from seq.
CREATE TABLE alert_changes (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id uuid NOT NULL REFERENCES alerts,
  kind alert_change_kind NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

-- The notification outbox: written with the change it announces, delivered
-- at least once by whichever replica leases it.
CREATE TABLE alert_deliveries (
  delivery_id uuid PRIMARY KEY,
  alert_id uuid NOT NULL REFERENCES alerts,
  change_seq bigint NOT NULL REFERENCES alert_changes,
  sink text NOT NULL,
  state delivery_state NOT NULL DEFAULT 'PENDING',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  delivered_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX alert_deliveries_alert_idx ON alert_deliveries (alert_id);
