-- Up Migration
CREATE TABLE service_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 512),
  scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
  -- Millisecond precision, as clients and page cursors see it, so keyset paging is exact.
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  created_by text NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text,
  revoked_by text,
  last_used_at timestamptz,
  use_count bigint NOT NULL DEFAULT 0,
  last_rotated_at timestamptz,
  -- Set once the SERVICE_TOKEN_EXPIRED event is recorded, so exactly one replica records it.
  expiry_recorded_at timestamptz,
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);

CREATE INDEX service_tokens_created_idx ON service_tokens (created_at DESC, id DESC);
CREATE INDEX service_tokens_unrecorded_expiry_idx ON service_tokens (expires_at)
  WHERE expiry_recorded_at IS NULL AND expires_at IS NOT NULL;

-- Secrets are stored only as SHA-256 hashes. A token has one current secret
-- (retires_at NULL) and, after rotations, earlier ones that keep working until
-- retires_at.
CREATE TABLE service_token_secrets (
  secret_hash bytea PRIMARY KEY CHECK (length(secret_hash) = 32),
  token_id uuid NOT NULL REFERENCES service_tokens (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  retires_at timestamptz
);

CREATE UNIQUE INDEX service_token_secrets_one_current_idx ON service_token_secrets (token_id) WHERE retires_at IS NULL;
