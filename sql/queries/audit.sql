/* @name AppendAuditRecord */
-- See audit_append in sql/migrations/0006_audit.sql.
SELECT audit_append(
  :recordId!::uuid, :actor!, :action!, :target!, :requestId, :clientIp::inet, :before::jsonb, :after::jsonb
) AS "seq!";

/* @name ListAuditRecords */
-- Keyset page, newest first; a NULL filter matches everything.
SELECT seq::text AS "seq!", record_id, recorded_at, actor, action, target, request_id, host(client_ip) AS client_ip,
  before, after, prev_hash, hash
FROM audit_records
WHERE (:actor::text IS NULL OR actor = :actor)
  AND (:action::text IS NULL OR action = :action)
  AND (:target::text IS NULL OR target = :target)
  AND (:recordedAfter::timestamptz IS NULL OR recorded_at >= :recordedAfter)
  AND (:recordedBefore::timestamptz IS NULL OR recorded_at < :recordedBefore)
  AND (:cursorSeq::bigint IS NULL OR seq < :cursorSeq)
ORDER BY seq DESC
LIMIT :limit!;

/* @name VerifyAuditChain */
-- Recomputes every hash in [fromSeq, toSeq] and checks each record names its
-- predecessor's hash; returns the number checked and the first broken record.
WITH checked AS (
  SELECT seq,
    hash = audit_hash(prev_hash, audit_canonical(
      record_id, recorded_at, actor, action, target, request_id, client_ip, before, after)) AS content_intact,
    CASE
      WHEN lag(hash) OVER (ORDER BY seq) IS NOT NULL THEN prev_hash = lag(hash) OVER (ORDER BY seq)
      -- The oldest record left: the chain's start, or the anchor a recorded prune left behind.
      ELSE prev_hash = '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
        OR EXISTS (
          SELECT FROM audit_records p
          WHERE p.action = 'audit.prune' AND p.after ->> 'anchor' = encode(audit_records.prev_hash, 'hex')
        )
    END AS link_intact
  FROM audit_records
  -- From the record before the range (seq has gaps where transactions rolled back).
  WHERE seq >= coalesce((SELECT max(seq) FROM audit_records WHERE seq < :fromSeq!::bigint), 0)
    AND seq <= :toSeq!::bigint
)
SELECT
  count(*) FILTER (WHERE seq >= :fromSeq!::bigint)::integer AS "checked!",
  min(seq) FILTER (WHERE seq >= :fromSeq!::bigint AND NOT content_intact)::text AS "firstAltered",
  min(seq) FILTER (WHERE seq >= :fromSeq!::bigint AND NOT link_intact)::text AS "firstUnlinked"
FROM checked;

/* @name ExportAuditPage */
-- Oldest first by seq; the cursor is the last record sent.
SELECT seq::text AS "seq!", record_id, recorded_at, actor, action, target, request_id, host(client_ip) AS client_ip,
  before, after, prev_hash, hash
FROM audit_records
WHERE recorded_at >= :from! AND recorded_at < :to! AND seq > :afterSeq!::bigint
ORDER BY seq
LIMIT :limit!;
