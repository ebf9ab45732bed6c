/* @name InsertServiceToken */
INSERT INTO service_tokens (id, name, description, scopes, created_by, expires_at)
VALUES (:id!, :name!, :description!, :scopes!, :createdBy!, :expiresAt)
RETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
  last_used_at, use_count, last_rotated_at;

/* @name InsertServiceTokenSecret */
INSERT INTO service_token_secrets (secret_hash, token_id) VALUES (:secretHash!, :tokenId!);

/* @name FindServiceToken */
SELECT id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
  last_used_at, use_count, last_rotated_at
FROM service_tokens
WHERE id = :id OR name = :name;

/* @name ListServiceTokens */
-- state: NULL for all, else ACTIVE, EXPIRED or REVOKED; keyset on (created_at, id), newest first.
SELECT id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
  last_used_at, use_count, last_rotated_at
FROM service_tokens
WHERE (:state::text IS NULL
       OR (:state = 'REVOKED' AND revoked_at IS NOT NULL)
       OR (:state = 'EXPIRED' AND revoked_at IS NULL AND expires_at <= now())
       OR (:state = 'ACTIVE' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())))
  AND (:cursorCreatedAt::timestamptz IS NULL OR (created_at, id) < (:cursorCreatedAt, :cursorId::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit!;

/* @name RevokeServiceToken */
-- Only a token not revoked yet: a second revocation changes nothing.
UPDATE service_tokens
SET revoked_at = now(), revoked_reason = :reason!, revoked_by = :revokedBy!
WHERE id = :id! AND revoked_at IS NULL
RETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
  last_used_at, use_count, last_rotated_at;

/* @name RevokeAllServiceTokens */
UPDATE service_tokens
SET revoked_at = now(), revoked_reason = :reason!, revoked_by = :revokedBy!
WHERE revoked_at IS NULL
RETURNING id, name;

/* @name RetireSecrets */
-- Secrets of the token that would outlive :retiresAt (the current one included) stop then.
UPDATE service_token_secrets
SET retires_at = :retiresAt!
WHERE token_id = :tokenId! AND (retires_at IS NULL OR retires_at > :retiresAt!);

/* @name MarkServiceTokenRotated */
UPDATE service_tokens
SET last_rotated_at = now()
WHERE id = :id! AND revoked_at IS NULL
RETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
  last_used_at, use_count, last_rotated_at;

/* @name FindServiceTokenSecret */
SELECT s.secret_hash, s.retires_at, t.id, t.name, t.scopes, t.expires_at, t.revoked_at
FROM service_token_secrets s
JOIN service_tokens t ON t.id = s.token_id
WHERE s.secret_hash = :secretHash!;

/* @name RecordServiceTokenUsage */
UPDATE service_tokens AS t
SET use_count = t.use_count + u.uses,
    last_used_at = GREATEST(t.last_used_at, u.last_used_at)
FROM unnest(:ids!::uuid[], :uses!::bigint[], :lastUsedAts!::timestamptz[]) AS u(id, uses, last_used_at)
WHERE t.id = u.id;

/* @name ClaimExpiredServiceTokens */
-- Marks tokens that have expired since the last sweep; exactly one replica gets each.
UPDATE service_tokens
SET expiry_recorded_at = now()
WHERE expires_at <= now() AND expiry_recorded_at IS NULL AND revoked_at IS NULL
RETURNING id, name;

/* @name NotifyServiceTokenChanged */
-- Delivered to every replica's listener when the transaction commits.
SELECT pg_notify('warden_service_tokens', :payload!);
