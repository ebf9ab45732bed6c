-- Up Migration
-- Enum labels are the proto enum value names without their prefix and without
-- *_UNSPECIFIED; src/events/codec.ts fails to compile when the two sets differ.
CREATE TYPE event_type AS ENUM (
  'LOGIN_SUCCESS', 'LOGIN_FAILURE', 'LOGOUT', 'SESSION_EXPIRED',
  'TOKEN_AUTH_SUCCESS', 'TOKEN_AUTH_FAILURE',
  'SERVICE_TOKEN_CREATED', 'SERVICE_TOKEN_REVOKED', 'SERVICE_TOKEN_ROTATED', 'SERVICE_TOKEN_EXPIRED',
  'PASSWORD_CHANGED', 'ACCOUNT_LOCKED', 'ACCOUNT_UNLOCKED',
  'SUSPICIOUS_ACTIVITY', 'BRUTE_FORCE_DETECTED', 'RATE_LIMITED', 'SECURITY_ALERT',
  'CONFIGURATION_CHANGED', 'SYSTEM_ERROR'
);

CREATE TYPE event_severity AS ENUM ('INFO', 'WARNING', 'CRITICAL');

CREATE TYPE event_outcome AS ENUM ('SUCCESS', 'FAILURE', 'ERROR');

CREATE TYPE principal_kind AS ENUM ('USER', 'SERVICE_TOKEN');

CREATE TYPE failure_reason AS ENUM (
  'MALFORMED_CREDENTIAL', 'INVALID_SIGNATURE', 'EXPIRED', 'NOT_YET_VALID',
  'WRONG_ISSUER', 'WRONG_AUDIENCE', 'UNKNOWN_KEY', 'DISALLOWED_ALGORITHM',
  'MISSING_CLAIM', 'KEYS_UNAVAILABLE', 'UNSUPPORTED_CREDENTIAL',
  'UNKNOWN_TOKEN', 'TOKEN_REVOKED', 'TOKEN_ROTATED_OUT',
  'INVALID_PASSWORD', 'UNKNOWN_USER', 'ACCOUNT_LOCKED', 'RATE_LIMITED',
  'INSUFFICIENT_SCOPE', 'RISK_TOO_HIGH', 'MFA_FAILED', 'OTHER'
);

CREATE TABLE security_events (
  event_id uuid PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  type event_type NOT NULL,
  severity event_severity NOT NULL,
  outcome event_outcome NOT NULL,
  subject text,
  principal_kind principal_kind,
  email text,
  service_token_name text,
  token_id text,
  client_ip inet,
  user_agent text,
  request_id text,
  source_service text,
  failure_reason failure_reason,
  risk_score smallint NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
  details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object')
);

-- ListEvents pages newest first by (occurred_at, event_id), optionally narrowed
-- by subject or client address.
CREATE INDEX security_events_occurred_idx ON security_events (occurred_at DESC, event_id DESC);
CREATE INDEX security_events_subject_idx ON security_events (subject, occurred_at DESC, event_id DESC)
  WHERE subject IS NOT NULL;
CREATE INDEX security_events_client_ip_idx ON security_events (client_ip, occurred_at DESC, event_id DESC)
  WHERE client_ip IS NOT NULL;
