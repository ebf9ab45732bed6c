/* @name SummaryCounts */
-- One scan: counts per bucket by type, by outcome and by severity.
SELECT bucket_start AS "bucketStart!",
  CASE
    WHEN GROUPING(type) = 0 THEN 'type'
    WHEN GROUPING(outcome) = 0 THEN 'outcome'
    ELSE 'severity'
  END AS "dimension!",
  coalesce(type::text, outcome::text, severity::text) AS "key!",
  count(*)::integer AS "count!"
FROM (
  SELECT date_trunc(:bucket!, occurred_at, 'UTC') AS bucket_start, type, outcome, severity
  FROM security_events
  WHERE occurred_at >= :from! AND occurred_at < :to!
) e
GROUP BY GROUPING SETS ((bucket_start, type), (bucket_start, outcome), (bucket_start, severity))
ORDER BY 1, 2, 4 DESC, 3;

/* @name TopFailing */
-- The subjects, addresses and service tokens with the most failed attempts.
(SELECT 'subject' AS "dimension!", subject AS "key!", count(*)::integer AS "count!"
 FROM security_events
 WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND subject IS NOT NULL
   AND principal_kind IS DISTINCT FROM 'SERVICE_TOKEN'
 GROUP BY subject ORDER BY 3 DESC, 2 LIMIT :top!)
UNION ALL
(SELECT 'ip', host(client_ip), count(*)::integer
 FROM security_events
 WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND client_ip IS NOT NULL
 GROUP BY client_ip ORDER BY 3 DESC, 2 LIMIT :top!)
UNION ALL
(SELECT 'service_token', coalesce(service_token_name, token_id), count(*)::integer
 FROM security_events
 WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND principal_kind = 'SERVICE_TOKEN'
   AND coalesce(service_token_name, token_id) IS NOT NULL
 GROUP BY coalesce(service_token_name, token_id) ORDER BY 3 DESC, 2 LIMIT :top!);

/* @name CountLockouts */
SELECT count(*)::integer AS "count!"
FROM security_events
WHERE occurred_at >= :from! AND occurred_at < :to! AND type = 'ACCOUNT_LOCKED';

/* @name AlertsBySeverity */
SELECT severity::text AS "key!", count(*)::integer AS "count!"
FROM alerts
WHERE created_at >= :from! AND created_at < :to!
GROUP BY severity
ORDER BY severity DESC;

/* @name ExportEventsPage */
-- Oldest first by (occurred_at, event_id); the cursor is the last row sent.
SELECT
  event_id, occurred_at, received_at, type, severity, outcome,
  subject, principal_kind, email, service_token_name, token_id,
  host(client_ip) AS client_ip, user_agent, request_id, source_service,
  failure_reason, risk_score, details,
  risk_signals::text[] AS "risk_signals!", client_latitude, client_longitude, client_country, identity_provider
FROM security_events
WHERE occurred_at >= :from! AND occurred_at < :to!
  AND (occurred_at, event_id) > (:afterOccurredAt!, :afterEventId!::uuid)
ORDER BY occurred_at, event_id
LIMIT :limit!;

/* @name CountEventsInRange */
SELECT count(*)::integer AS "count!"
FROM security_events
WHERE occurred_at >= :from! AND occurred_at < :to!;

/* @name CountAuditInRange */
SELECT count(*)::integer AS "count!"
FROM audit_records
WHERE recorded_at >= :from! AND recorded_at < :to!;
