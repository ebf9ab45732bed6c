/* @name InsertEvents */
-- Rows arrive as parallel arrays so that one statement, with one plan,
-- inserts a whole group-commit batch. An id already in security_event_ids is
-- a retry: it is skipped and not returned.
WITH batch AS (
  SELECT * FROM unnest(
    :eventIds!::uuid[], :occurredAts!::timestamptz[], :types!::event_type[], :severities!::event_severity[], :outcomes!::event_outcome[],
    :subjects!::text[], :principalKinds!::principal_kind[], :emails!::text[], :serviceTokenNames!::text[], :tokenIds!::text[],
    :clientIps!::inet[], :userAgents!::text[], :requestIds!::text[], :sourceServices!::text[],
    :failureReasons!::failure_reason[], :riskScores!::smallint[], :details!::jsonb[],
    :riskSignals!::text[], :clientLatitudes!::double precision[], :clientLongitudes!::double precision[], :clientCountries!::text[],
    :identityProviders!::text[]
  ) WITH ORDINALITY AS b(
    event_id, occurred_at, type, severity, outcome,
    subject, principal_kind, email, service_token_name, token_id,
    client_ip, user_agent, request_id, source_service,
    failure_reason, risk_score, details,
    risk_signals, client_latitude, client_longitude, client_country, identity_provider, position
  )
), fresh AS (
  INSERT INTO security_event_ids (event_id, occurred_at)
  SELECT DISTINCT ON (event_id) event_id, occurred_at FROM batch ORDER BY event_id, position
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id, occurred_at
)
INSERT INTO security_events (
  event_id, occurred_at, type, severity, outcome,
  subject, principal_kind, email, service_token_name, token_id,
  client_ip, user_agent, request_id, source_service,
  failure_reason, risk_score, details,
  risk_signals, client_latitude, client_longitude, client_country, identity_provider
)
SELECT
  b.event_id, b.occurred_at, b.type, b.severity, b.outcome,
  b.subject, b.principal_kind, b.email, b.service_token_name, b.token_id,
  b.client_ip, b.user_agent, b.request_id, b.source_service,
  b.failure_reason, b.risk_score, b.details,
  coalesce(string_to_array(b.risk_signals, ',')::risk_signal[], '{}'), b.client_latitude, b.client_longitude, b.client_country,
  b.identity_provider
FROM batch b
JOIN fresh f ON f.event_id = b.event_id AND f.occurred_at = b.occurred_at
ON CONFLICT DO NOTHING
RETURNING event_id;

/* @name ListEvents */
-- Keyset page, newest first. A NULL filter matches everything; the cursor is
-- the (occurred_at, event_id) of the last row of the previous page.
SELECT
  event_id, occurred_at, received_at, type, severity, outcome,
  subject, principal_kind, email, service_token_name, token_id,
  host(client_ip) AS client_ip, user_agent, request_id, source_service,
  failure_reason, risk_score, details,
  risk_signals::text[] AS "risk_signals!", client_latitude, client_longitude, client_country, identity_provider
FROM security_events
WHERE (:subject::text IS NULL OR subject = :subject)
  AND (:type::event_type IS NULL OR type = :type)
  AND (:outcome::event_outcome IS NULL OR outcome = :outcome)
  AND (:occurredAfter::timestamptz IS NULL OR occurred_at >= :occurredAfter)
  AND (:occurredBefore::timestamptz IS NULL OR occurred_at < :occurredBefore)
  AND (:clientIp::inet IS NULL OR client_ip = :clientIp)
  AND (:riskSignal::risk_signal IS NULL OR :riskSignal = ANY (risk_signals))
  AND (:identityProvider::text IS NULL OR identity_provider = :identityProvider)
  AND (:cursorOccurredAt::timestamptz IS NULL
       OR (occurred_at, event_id) < (:cursorOccurredAt, :cursorEventId::uuid))
ORDER BY occurred_at DESC, event_id DESC
LIMIT :limit!;
