/* @name LockAlertCursor */
-- The evaluating replica holds this row's lock for its whole run; others skip.
-- horizon: every transaction below it has finished, so its events are final.
SELECT txid AS "txid!", event_id AS "eventId!",
  pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS "horizon!"
FROM alert_cursor
FOR UPDATE SKIP LOCKED;

/* @name EventsForAlerts */
SELECT event_id, txid AS "txid!", occurred_at, type, severity, outcome, subject, principal_kind,
  host(client_ip) AS client_ip, token_id, service_token_name, source_service, failure_reason, details
FROM security_events
WHERE txid >= :fromTxid! AND txid < :horizon!
  AND (txid, event_id) > (:fromTxid!, :fromEventId!::uuid)
  AND (:types::event_type[] IS NULL OR type = ANY (:types))
ORDER BY txid, event_id
LIMIT :limit!;

/* @name AdvanceAlertCursor */
UPDATE alert_cursor SET txid = :txid!, event_id = :eventId!;

/* @name LoadAlertHits */
SELECT h.rule, h.group_key, h.occurred_at, h.event_id
FROM alert_hits h
JOIN unnest(:rules!::text[], :groupKeys!::text[]) AS g(rule, group_key) USING (rule, group_key)
ORDER BY h.occurred_at;

/* @name ReplaceAlertHits */
-- The touched groups' hits are rewritten whole: what is still inside the window.
WITH cleared AS (
  DELETE FROM alert_hits h
  USING unnest(:touchedRules!::text[], :touchedGroupKeys!::text[]) AS g(rule, group_key)
  WHERE h.rule = g.rule AND h.group_key = g.group_key
)
INSERT INTO alert_hits (rule, group_key, occurred_at, event_id)
SELECT * FROM unnest(:rules!::text[], :groupKeys!::text[], :occurredAts!::timestamptz[], :eventIds!::uuid[]);

/* @name PruneAlertHits */
DELETE FROM alert_hits WHERE occurred_at < :before!;

/* @name LockAlertChanges */
-- Serialises writers of alert_changes so that seq order is commit order.
SELECT pg_advisory_xact_lock(hashtext('warden_alert_changes'));

/* @name LatestOpenAlerts */
-- Each fingerprint's latest open (or acknowledged) alert, for a run's firings to repeat.
SELECT DISTINCT ON (fingerprint) fingerprint, alert_id, last_seen_at
FROM alerts
WHERE fingerprint = ANY (:fingerprints!::text[]) AND state <> 'RESOLVED'
ORDER BY fingerprint, last_seen_at DESC;

/* @name WriteAlertFirings */
-- A run's firings in one statement: the alerts it raised (with their repeats in the same
-- run folded in), the repeats of alerts raised before, and one change per firing in firing
-- order (seq order), each raise queued for every sink (the outbox). Changes reference
-- alerts inserted by the same statement: foreign keys are checked at its end.
WITH raised AS (
  INSERT INTO alerts (alert_id, rule, fingerprint, group_key, severity, summary, count, first_seen_at, last_seen_at, last_event_id)
  SELECT * FROM unnest(
    :raisedIds!::uuid[], :raisedRules!::text[], :raisedFingerprints!::text[], :raisedGroupKeys!::text[],
    :raisedSeverities!::alert_severity[], :raisedSummaries!::text[], :raisedCounts!::integer[],
    :raisedFirstSeenAts!::timestamptz[], :raisedLastSeenAts!::timestamptz[], :raisedEventIds!::uuid[]
  )
), repeated AS (
  UPDATE alerts a
  SET count = a.count + r.n, last_seen_at = greatest(a.last_seen_at, r.seen_at), last_event_id = r.event_id
  FROM unnest(:repeatedIds!::uuid[], :repeatedCounts!::integer[], :repeatedSeenAts!::timestamptz[], :repeatedEventIds!::uuid[])
    AS r(alert_id, n, seen_at, event_id)
  WHERE a.alert_id = r.alert_id
), change AS (
  INSERT INTO alert_changes (alert_id, kind)
  SELECT c.alert_id, c.kind
  FROM unnest(:changeIds!::uuid[], :changeKinds!::alert_change_kind[]) WITH ORDINALITY AS c(alert_id, kind, ord)
  ORDER BY c.ord
  RETURNING seq, alert_id, kind
), outbox AS (
  INSERT INTO alert_deliveries (delivery_id, alert_id, change_seq, sink)
  SELECT gen_random_uuid(), change.alert_id, change.seq, sink
  FROM change, unnest(:sinks!::text[]) AS sink
  WHERE change.kind = 'RAISED'
)
SELECT count(*)::integer AS "changes!" FROM change;

/* @name RecordAlertChange */
WITH change AS (
  INSERT INTO alert_changes (alert_id, kind) VALUES (:alertId!, :kind!) RETURNING seq
), outbox AS (
  INSERT INTO alert_deliveries (delivery_id, alert_id, change_seq, sink)
  SELECT gen_random_uuid(), :alertId!, change.seq, sink FROM change, unnest(:sinks!::text[]) AS sink
)
SELECT seq AS "seq!" FROM change;

/* @name NotifyAlertsChanged */
-- Wakes every replica's WatchAlerts streams when the transaction commits.
SELECT pg_notify('warden_alerts', '');

/* @name ListAlerts */
-- Keyset page, newest first; a NULL filter matches everything.
SELECT *
FROM alerts
WHERE (:state::alert_state IS NULL OR state = :state)
  AND (:minSeverity::alert_severity IS NULL OR severity >= :minSeverity)
  AND (:rule::text IS NULL OR rule = :rule)
  AND (:cursorCreatedAt::timestamptz IS NULL OR (created_at, alert_id) < (:cursorCreatedAt, :cursorAlertId::uuid))
ORDER BY created_at DESC, alert_id DESC
LIMIT :limit!;

/* @name GetAlerts */
SELECT * FROM alerts WHERE alert_id = ANY (:alertIds!::uuid[]);

/* @name DeliveriesOf */
SELECT delivery_id, alert_id, sink, state, attempts, next_attempt_at, delivered_at, last_error
FROM alert_deliveries
WHERE alert_id = ANY (:alertIds!::uuid[])
ORDER BY created_at, delivery_id;

/* @name AcknowledgeAlert */
UPDATE alerts a
SET state = 'ACKNOWLEDGED', acknowledged_at = now(), acknowledged_by = :actor!, acknowledge_note = :note!
FROM alerts previous
WHERE a.alert_id = :alertId! AND a.state = 'OPEN' AND previous.alert_id = a.alert_id
RETURNING previous.state AS "previous_state!";

/* @name ResolveAlert */
UPDATE alerts a
SET state = 'RESOLVED', resolved_at = now(), resolved_by = :actor!, resolve_note = :note!
FROM alerts previous
WHERE a.alert_id = :alertId! AND a.state <> 'RESOLVED' AND previous.alert_id = a.alert_id
RETURNING previous.state AS "previous_state!";

/* @name AlertChangesAfter */
SELECT seq AS "seq!", alert_id AS "alertId!", kind AS "kind!"
FROM alert_changes
WHERE seq > :after!
ORDER BY seq
LIMIT :limit!;

/* @name LatestAlertChange */
SELECT coalesce(max(seq), 0) AS "seq!" FROM alert_changes;

/* @name ClaimDeliveries */
-- Leases due deliveries to this replica; a lease that lapses (the replica
-- died mid-delivery) makes the delivery due again: at least once.
UPDATE alert_deliveries d
SET lease_until = now() + make_interval(secs => :leaseSeconds!), attempts = d.attempts + 1
WHERE d.delivery_id IN (
  SELECT delivery_id FROM alert_deliveries
  WHERE state = 'PENDING' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
  ORDER BY next_attempt_at
  LIMIT :limit!
  FOR UPDATE SKIP LOCKED
)
RETURNING d.delivery_id, d.alert_id, d.change_seq, d.sink, d.attempts;

/* @name DeliverySucceeded */
UPDATE alert_deliveries
SET state = 'DELIVERED', delivered_at = now(), lease_until = NULL, last_error = NULL
WHERE delivery_id = :deliveryId!;

/* @name DeliveryFailed */
UPDATE alert_deliveries
SET state = CASE WHEN :giveUp!::boolean THEN 'FAILED'::delivery_state ELSE 'PENDING'::delivery_state END,
  next_attempt_at = now() + make_interval(secs => :retryInSeconds!), lease_until = NULL, last_error = :error!
WHERE delivery_id = :deliveryId!;
