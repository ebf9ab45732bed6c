/* @name ObserveRiskSubjects */
-- One row per subject; see risk_observe_subjects in sql/migrations/0012_risk_observe_subjects.sql.
-- Its commit does not wait for the WAL to reach disk (synchronous_commit off, for this transaction only): the
-- observations are written in the background, no answer waits on them, and a database crash loses at most the
-- last moments' of them (under a second), as a crash of Warden loses those not yet written. Waiting, each such
-- commit queued for the disk with the events' own.
SELECT set_config('synchronous_commit', 'off', true) AS "commitMode!", risk_observe_subjects(
  :subjects!::text[], :kinds!::principal_kind[], :firstAts!::timestamptz[],
  :successes!::integer[], :failuresAfter!::integer[],
  :lastSuccessAts!::timestamptz[], :lastFailureAts!::timestamptz[], :hourCounts!::text[],
  :velocityHours!::timestamptz[], :velocityCurrent!::integer[], :velocityPrevious!::integer[],
  :networks!::jsonb[], :userAgents!::jsonb[],
  :latitudes!::double precision[], :longitudes!::double precision[], :locatedAts!::timestamptz[],
  :countries!::text[], :countryAts!::timestamptz[],
  :keepNetworks!::integer, :keepUserAgents!::integer
) AS "observed!";

/* @name GetRiskProfiles */
-- See risk_profiles_of in sql/migrations/0014_risk_profiles_of.sql: planned for each call.
SELECT subject AS "subject!", kind AS "kind!", first_seen_at AS "first_seen_at!", last_seen_at,
  successes::double precision AS "successes!", hour_counts AS "hour_counts!", networks AS "networks!",
  user_agents AS "user_agents!", recent_failures AS "recent_failures!", last_failure_at, velocity_hour,
  velocity_current AS "velocity_current!", velocity_previous AS "velocity_previous!", last_latitude,
  last_longitude, last_located_at, last_country
FROM risk_profiles_of(:subjects!::text[]);

/* @name LatestAssessment */
-- The subject's latest successful authentication carries its current score.
SELECT occurred_at, risk_score, risk_signals::text[] AS "risk_signals!"
FROM security_events
WHERE subject = :subject! AND type IN ('LOGIN_SUCCESS', 'TOKEN_AUTH_SUCCESS')
ORDER BY occurred_at DESC, event_id DESC
LIMIT 1;

/* @name RecentRiskyEvents */
-- risk_signal[] is read as text[]: node-postgres parses arrays only of built-in types.
SELECT event_id, occurred_at, type, risk_score, risk_signals::text[] AS "risk_signals!"
FROM security_events
WHERE subject = :subject! AND cardinality(risk_signals) > 0
ORDER BY occurred_at DESC, event_id DESC
LIMIT :limit!;
