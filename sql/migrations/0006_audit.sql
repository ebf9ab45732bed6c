-- Up Migration
-- Administrative actions, each written in the transaction of the change it
-- records, chained: every record's hash covers its content and its
-- predecessor's hash, so editing or removing one breaks every link after it.
CREATE TABLE audit_records (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  record_id uuid NOT NULL UNIQUE,
  recorded_at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  request_id text,
  client_ip inet,
  before jsonb,
  after jsonb,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);
-- Two records claiming the same predecessor (a fork) cannot both be stored.
CREATE UNIQUE INDEX audit_records_prev_hash_idx ON audit_records (prev_hash);
CREATE INDEX audit_records_recorded_idx ON audit_records (recorded_at DESC, seq DESC);
CREATE INDEX audit_records_action_idx ON audit_records (action, recorded_at DESC);

-- The canonical text a record's hash covers: jsonb prints keys in one order
-- and without insignificant whitespace, so the same content always hashes alike.
CREATE FUNCTION audit_canonical(
  record_id uuid, recorded_at timestamptz, actor text, action text, target text,
  request_id text, client_ip inet, before jsonb, after jsonb
) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'record_id', record_id,
    'recorded_at', to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'actor', actor, 'action', action, 'target', target,
    'request_id', request_id, 'client_ip', host(client_ip),
    'before', before, 'after', after
  )::text
$$;

CREATE FUNCTION audit_hash(prev_hash bytea, canonical text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(prev_hash || convert_to(canonical, 'UTF8'))
$$;

-- Appends one record to the chain. Writers queue on a transaction-level lock,
-- so each reads the true latest hash and concurrent writers cannot fork it.
CREATE FUNCTION audit_append(
  p_record_id uuid, p_actor text, p_action text, p_target text,
  p_request_id text, p_client_ip inet, p_before jsonb, p_after jsonb
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  previous bytea;
  at timestamptz := now();
  appended bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('warden_audit_chain'));
  SELECT hash INTO previous FROM audit_records ORDER BY seq DESC LIMIT 1;
  previous := coalesce(previous, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
  INSERT INTO audit_records (
    record_id, recorded_at, actor, action, target, request_id, client_ip, before, after, prev_hash, hash
  )
  VALUES (
    p_record_id, at, p_actor, p_action, p_target, p_request_id, p_client_ip, p_before, p_after, previous,
    audit_hash(previous, audit_canonical(
      p_record_id, at, p_actor, p_action, p_target, p_request_id, p_client_ip, p_before, p_after))
  )
  RETURNING seq INTO appended;
  RETURN appended;
END
$$;
