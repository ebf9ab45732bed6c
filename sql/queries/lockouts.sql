/* @name WriteLockoutPolicy */
-- Returns the policy before and after when this write changed it (or created
-- it), nothing when it was already so: the change is then audited.
WITH previous AS (
  SELECT * FROM lockout_policies WHERE key_kind = :keyKind!
), written AS (
  INSERT INTO lockout_policies (
    key_kind, max_failures, failure_reset, wait_increment, wait_strategy, max_wait,
    quick_login_check, quick_login_wait, max_temporary_lockouts
  )
  VALUES (
    :keyKind!, :maxFailures!, make_interval(secs => :failureResetSeconds!), make_interval(secs => :waitIncrementSeconds!),
    :waitStrategy!, make_interval(secs => :maxWaitSeconds!), make_interval(secs => :quickLoginCheckSeconds!),
    make_interval(secs => :quickLoginWaitSeconds!), :maxTemporaryLockouts!
  )
  ON CONFLICT (key_kind) DO UPDATE SET
    max_failures = EXCLUDED.max_failures, failure_reset = EXCLUDED.failure_reset,
    wait_increment = EXCLUDED.wait_increment, wait_strategy = EXCLUDED.wait_strategy, max_wait = EXCLUDED.max_wait,
    quick_login_check = EXCLUDED.quick_login_check, quick_login_wait = EXCLUDED.quick_login_wait,
    max_temporary_lockouts = EXCLUDED.max_temporary_lockouts
  WHERE (lockout_policies.*) IS DISTINCT FROM (EXCLUDED.*)
  RETURNING *
)
SELECT (SELECT to_jsonb(p) FROM previous p) AS before, to_jsonb(w) AS "after!"
FROM written w;

/* @name CountFailures */
-- Failed attempts, in one statement: their keys are counted (see lockout_count_failures
-- in sql/migrations/0013_lockout_count_by_key.sql), then their (address, subject) pairs are checked for
-- credential stuffing (lockout_detect_stuffing; empty arrays when detection is off). The
-- detection's arguments depend on the count's result, so it runs after it, and sees it.
-- stuffing: a row of an address the detection locked out, with the distinct subjects it failed for.
WITH counted AS MATERIALIZED (
  SELECT * FROM lockout_count_failures(:kinds!::lockout_key_kind[], :keys!::text[], :now!::timestamptz, :settles!::boolean)
), stuffing AS MATERIALIZED (
  SELECT d.*
  FROM (SELECT count(*) AS n FROM counted) AS done,
    lockout_detect_stuffing(
      CASE WHEN done.n >= 0 THEN :ips!::text[] END, :subjects!::text[], :now!::timestamptz,
      make_interval(secs => :windowSeconds!), :threshold!::integer, make_interval(secs => :waitSeconds!)
    ) AS d
)
SELECT false AS "stuffing!", key_kind AS "keyKind!", key AS "key!", failures AS "failures!", lockouts AS "lockouts!",
  locked_until AS "lockedUntil", permanent AS "permanent!", newly_locked AS "newlyLocked!", NULL::integer AS "subjects"
FROM counted
UNION ALL
SELECT true, 'IP'::lockout_key_kind, ip, 0, lockouts, locked_until, false, true, subjects
FROM stuffing;

/* @name WriteSuccesses */
-- See lockout_write_successes in sql/migrations/0015_lockout_write_successes.sql: planned for each call.
-- Its commit does not wait for the WAL to reach disk (synchronous_commit off, for this transaction only): no
-- answer waits on these rows (a count or an admission on the same keys waits for the statement, and their own
-- commit flushes it too), and what a database crash can lose of them is what their design allows: a forget,
-- leaving failures counted, or an admission's release, held until it lapses (refusals sooner, never later), or a
-- network, familiar again after a login here once this replica's hour-long memory of it lapses, or at once
-- through another replica. Waiting, each such commit queued for the disk with the events' own.
SELECT forgotten AS "forgotten!", remembered AS "remembered!"
FROM (SELECT set_config('synchronous_commit', 'off', true) AS flush) AS commit_mode,
  lockout_write_successes(:kinds!::lockout_key_kind[], :keys!::text[], :subjects!::text[], :ips!::text[], :now!::timestamptz)
WHERE commit_mode.flush IS NOT NULL;

/* @name AdmitAttempt */
-- See lockout_admit in sql/migrations/0003_lockouts.sql.
SELECT admitted AS "admitted!", locked_until AS "lockedUntil", permanent AS "permanent!"
FROM lockout_admit(:kinds!::lockout_key_kind[], :keys!::text[], :now!::timestamptz, :familiarSince::timestamptz);

/* @name FindLockouts */
-- Active lockouts among the given keys, for a replica whose notifications cannot be trusted.
SELECT key_kind, key, locked_until, permanent
FROM lockout_counters
WHERE (key_kind, key) IN (SELECT * FROM unnest(:kinds!::lockout_key_kind[], :keys!::text[]))
  AND (permanent OR locked_until > :now!::timestamptz);

/* @name ListActiveLockouts */
SELECT key_kind, key, locked_until, permanent
FROM lockout_counters
WHERE permanent OR locked_until > :now!::timestamptz;

/* @name NotifyLockoutsChanged */
-- One notification per payload: JSON {kind, key, until (ms or null), permanent}; see src/lockout/lockouts.ts.
SELECT pg_notify('warden_lockouts', payload) FROM unnest(:payloads!::text[]) AS payload;

/* @name ListLockouts */
-- Keyset page over (key_kind, key) of the keys locked out at :now.
SELECT key_kind, key, locked_until, permanent, lockouts
FROM lockout_counters
WHERE (permanent OR locked_until > :now!::timestamptz)
  AND (:kind::lockout_key_kind IS NULL OR key_kind = :kind)
  AND (:cursorKind::lockout_key_kind IS NULL OR (key_kind, key) > (:cursorKind, :cursorKey::text))
ORDER BY key_kind, key
LIMIT :limit!;

/* @name Unlock */
-- Only a key locked out at :now; its failures and pending attempts are forgotten too.
UPDATE lockout_counters c
SET locked_until = NULL, permanent = false, failures = 0, pending = 0
FROM (
  SELECT key_kind, key, locked_until, permanent FROM lockout_counters
  WHERE key_kind = :kind! AND key = :key! AND (permanent OR locked_until > :now!::timestamptz)
  FOR UPDATE
) AS before
WHERE c.key_kind = before.key_kind AND c.key = before.key
RETURNING c.key_kind, c.key, before.locked_until, before.permanent, c.lockouts;

/* @name IsFamiliar */
SELECT EXISTS (
  SELECT 1 FROM lockout_familiar_networks
  WHERE subject = :subject! AND network >>= :ip!::inet AND last_success_at > :since!::timestamptz
) AS "familiar!";
