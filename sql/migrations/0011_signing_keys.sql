-- Up Migration
-- Keys that sign the tokens ExchangeToken issues. Each key signs during
-- [signs_from, signs_until) and is published (in /.well-known/jwks.json) until
-- published_until, when the last token it signed has expired. A key is written
-- before it starts signing, so every replica, and every verifier refetching the
-- JWKS, knows it first. The private key is never stored in clear: it is
-- AES-256-GCM ciphertext under a key that only the environment holds.
CREATE TABLE signing_keys (
  key_id text PRIMARY KEY CHECK (length(key_id) BETWEEN 1 AND 64),
  algorithm text NOT NULL CHECK (algorithm IN ('ES256', 'EdDSA')),
  public_jwk jsonb NOT NULL,
  private_key_encrypted bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  signs_from timestamptz NOT NULL,
  signs_until timestamptz NOT NULL CHECK (signs_until > signs_from),
  published_until timestamptz NOT NULL CHECK (published_until >= signs_until)
);

CREATE INDEX signing_keys_published_idx ON signing_keys (published_until);

-- Every replica reloads its keys when another one writes or drops one.
CREATE FUNCTION signing_keys_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('warden_signing_keys', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER signing_keys_changed
AFTER INSERT OR DELETE ON signing_keys
FOR EACH STATEMENT EXECUTE FUNCTION signing_keys_notify();

ALTER TYPE event_type ADD VALUE 'TOKEN_EXCHANGED';
