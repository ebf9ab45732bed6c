/* @name CountExpiredEvents */
SELECT count(*)::integer AS "count!"
FROM security_events
WHERE severity = :severity! AND occurred_at < :before!;

/* @name DeleteExpiredEvents */
-- One bounded batch; retention repeats it until nothing is left, so no single
-- statement holds locks or bloats the table for long.
WITH doomed AS (
  SELECT event_id FROM security_events
  WHERE severity = :severity! AND occurred_at < :before!
  LIMIT :batch!
)
DELETE FROM security_events e USING doomed WHERE e.event_id = doomed.event_id
RETURNING e.event_id;

/* @name CountExpiredAudit */
SELECT count(*)::integer AS "count!"
FROM audit_records
WHERE recorded_at < :before!;

/* @name PruneAuditBatch */
-- Only a prefix of the chain, so it stays whole from its new start: records
-- take their seq in lock order, so one a little older can follow a newer one.
WITH doomed AS (
  SELECT seq FROM audit_records
  WHERE seq < coalesce((SELECT min(seq) FROM audit_records WHERE recorded_at >= :before!), 9223372036854775807)
  ORDER BY seq
  LIMIT :batch!
)
DELETE FROM audit_records a USING doomed WHERE a.seq = doomed.seq
RETURNING encode(a.hash, 'hex') AS "hash!", a.seq::text AS "seq!";

/* @name AddEventPartitions */
-- See security_events_add_partitions in sql/migrations/0007_partition_events.sql.
SELECT security_events_add_partitions(:monthsAhead!) AS "created!";

/* @name ExpiredEventPartitions */
-- See security_events_expired_partitions in sql/migrations/0007_partition_events.sql.
SELECT partition AS "partition!", rows::integer AS "rows!"
FROM security_events_expired_partitions(:cutoff!, :dropThem!);

/* @name DeleteExpiredEventIds */
-- Retry detection only needs recent ids; older ones go in bounded batches.
WITH doomed AS (
  SELECT event_id FROM security_event_ids WHERE occurred_at < :before! LIMIT :batch!
)
DELETE FROM security_event_ids i USING doomed WHERE i.event_id = doomed.event_id
RETURNING i.event_id;
