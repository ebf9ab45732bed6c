-- Up Migration
-- Several identity sources (JWT providers, OAuth2 introspection, client
-- certificates): each event names the one that answered, and ListEvents
-- filters by it.
ALTER TABLE security_events ADD COLUMN identity_provider text;

CREATE INDEX security_events_identity_provider_idx
  ON security_events (identity_provider, occurred_at DESC, event_id DESC)
  WHERE identity_provider IS NOT NULL;

ALTER TYPE principal_kind ADD VALUE 'WORKLOAD';
ALTER TYPE failure_reason ADD VALUE 'TOKEN_INACTIVE';
ALTER TYPE failure_reason ADD VALUE 'INTROSPECTION_UNAVAILABLE';
ALTER TYPE failure_reason ADD VALUE 'CERTIFICATE_IDENTITY_MISSING';
ALTER TYPE failure_reason ADD VALUE 'UNTRUSTED_CERTIFICATE';
