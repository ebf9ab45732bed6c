/* @name LockSigningKeys */
-- Rotation is one replica at a time: the others wait here, then see its key.
SELECT pg_advisory_xact_lock(hashtext('warden_signing_keys')) AS locked;

/* @name ListSigningKeys */
-- The keys still published, oldest first.
SELECT key_id, algorithm, public_jwk, private_key_encrypted, signs_from, signs_until, published_until
FROM signing_keys
WHERE published_until > :now!
ORDER BY signs_from;

/* @name InsertSigningKey */
INSERT INTO signing_keys (key_id, algorithm, public_jwk, private_key_encrypted, signs_from, signs_until, published_until)
VALUES (:keyId!, :algorithm!, :publicJwk!, :privateKeyEncrypted!, :signsFrom!, :signsUntil!, :publishedUntil!);

/* @name DeleteUnpublishedSigningKeys */
-- Keys whose last token has expired.
DELETE FROM signing_keys WHERE published_until <= :now!;

/* @name ResealSigningKey */
-- A private key sealed under an earlier WARDEN_EXCHANGE_KEY, sealed again under the current one.
UPDATE signing_keys SET private_key_encrypted = :privateKeyEncrypted! WHERE key_id = :keyId!;
