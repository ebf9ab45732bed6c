-- Up Migration
CREATE TYPE lockout_key_kind AS ENUM ('SUBJECT', 'IP', 'SUBJECT_IP');
CREATE TYPE lockout_wait_strategy AS ENUM ('LINEAR', 'MULTIPLE');

-- One row per key kind, written from the configuration at start-up, so every
-- replica counts by the same rules.
CREATE TABLE lockout_policies (
  key_kind lockout_key_kind PRIMARY KEY,
  max_failures integer NOT NULL CHECK (max_failures > 0),
  failure_reset interval NOT NULL,
  wait_increment interval NOT NULL,
  wait_strategy lockout_wait_strategy NOT NULL,
  max_wait interval NOT NULL,
  -- Two failures closer than this lock for quick_login_wait; zero turns the check off.
  quick_login_check interval NOT NULL,
  quick_login_wait interval NOT NULL,
  -- Temporary lockouts after which the next one is permanent; zero never.
  max_temporary_lockouts integer NOT NULL CHECK (max_temporary_lockouts >= 0)
);

CREATE TABLE lockout_counters (
  key_kind lockout_key_kind NOT NULL,
  key text NOT NULL CHECK (length(key) <= 600),
  -- Failures since the last lockout, a successful login or the reset time.
  failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_failure_at timestamptz,
  -- Password checks CheckLockout admitted whose outcome is not reported yet.
  pending integer NOT NULL DEFAULT 0 CHECK (pending >= 0),
  last_admitted_at timestamptz,
  lockouts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  permanent boolean NOT NULL DEFAULT false,
  PRIMARY KEY (key_kind, key)
);

CREATE INDEX lockout_counters_active_idx ON lockout_counters (locked_until) WHERE locked_until IS NOT NULL OR permanent;

-- Counts failed attempts (repeats of a key add up) and locks out each key
-- that reaches its policy's max_failures, or fails twice within the
-- quick-login check, for a wait that grows with each lockout. Failures on a
-- key already locked out are not counted. Returns the keys counted, with
-- newly_locked set on those this call locked out. p_settles: the failures
-- report password checks CheckLockout admitted, which they release.
CREATE FUNCTION lockout_count_failures(p_kinds lockout_key_kind[], p_keys text[], p_now timestamptz, p_settles boolean)
RETURNS TABLE (key_kind lockout_key_kind, key text, failures integer, lockouts integer, locked_until timestamptz, permanent boolean, newly_locked boolean)
-- Planned for each call's own arrays: a cached generic plan guesses their
-- size and, on a young counters table, chose nested seq scans (seconds).
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
BEGIN
  -- Rows are created and locked in one order, so concurrent calls cannot deadlock.
  INSERT INTO lockout_counters (key_kind, key)
  SELECT DISTINCT r.kind, r.key FROM unnest(p_kinds, p_keys) AS r(kind, key)
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;
  PERFORM 1 FROM lockout_counters c
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys))
  ORDER BY c.key_kind, c.key
  FOR UPDATE;

  RETURN QUERY
  WITH reported AS (
    SELECT r.kind, r.key, count(*)::integer AS n
    FROM unnest(p_kinds, p_keys) AS r(kind, key)
    GROUP BY r.kind, r.key
  ),
  next AS (
    SELECT c.key_kind AS kind, c.key AS k, c.lockouts AS previous_lockouts, r.n AS reported,
      p.max_failures, p.wait_increment, p.wait_strategy, p.max_wait, p.quick_login_wait, p.max_temporary_lockouts,
      CASE WHEN c.last_failure_at < p_now - p.failure_reset THEN 0 ELSE c.failures END + r.n AS counted,
      p.quick_login_check > interval '0' AND c.last_failure_at > p_now - p.quick_login_check AS quick
    FROM lockout_counters c
    JOIN reported r ON r.kind = c.key_kind AND r.key = c.key
    JOIN lockout_policies p ON p.key_kind = c.key_kind
    WHERE NOT c.permanent AND coalesce(c.locked_until <= p_now, true)
  )
  UPDATE lockout_counters c
  SET last_failure_at = p_now,
    pending = CASE WHEN p_settles THEN greatest(c.pending - n.reported, 0) ELSE c.pending END,
    failures = CASE WHEN n.counted >= n.max_failures THEN 0 ELSE n.counted END,
    lockouts = n.previous_lockouts + CASE WHEN n.counted >= n.max_failures THEN 1 ELSE 0 END,
    permanent = n.counted >= n.max_failures AND n.max_temporary_lockouts > 0
      AND n.previous_lockouts + 1 > n.max_temporary_lockouts,
    locked_until = CASE
      WHEN n.counted >= n.max_failures THEN p_now + least(n.max_wait,
        CASE n.wait_strategy
          WHEN 'LINEAR' THEN n.wait_increment * (n.previous_lockouts + 1)
          ELSE n.wait_increment * power(2, least(n.previous_lockouts, 30))
        END)
      WHEN n.quick THEN p_now + n.quick_login_wait
      ELSE c.locked_until
    END
  FROM next n
  WHERE c.key_kind = n.kind AND c.key = n.k
  RETURNING c.key_kind, c.key, c.failures, c.lockouts, c.locked_until, c.permanent,
    n.counted >= n.max_failures OR n.quick;
END;
$$;

-- Networks (an IPv4 /24, an IPv6 /64) from which each subject recently logged
-- in, for smart lockout.
CREATE TABLE lockout_familiar_networks (
  subject text NOT NULL,
  network cidr NOT NULL,
  last_success_at timestamptz NOT NULL,
  PRIMARY KEY (subject, network)
);

-- Admits an attempt on every key, or on none. Each key's row is locked in one
-- order; the attempt is refused if any key is locked out or already holds
-- max_failures failures and pending attempts. Pending attempts not reported
-- within a minute lapse, so a crashed caller cannot block a key for ever.
CREATE FUNCTION lockout_admit(p_kinds lockout_key_kind[], p_keys text[], p_now timestamptz, p_familiar_since timestamptz)
RETURNS TABLE (admitted boolean, locked_until timestamptz, permanent boolean)
-- Planned for each call's own arrays: a cached generic plan guesses their
-- size and, on a young counters table, chose nested seq scans (seconds).
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
  v_blocked boolean;
  v_familiar boolean;
BEGIN
  INSERT INTO lockout_counters (key_kind, key)
  SELECT DISTINCT r.kind, r.key FROM unnest(p_kinds, p_keys) AS r(kind, key)
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;
  PERFORM 1 FROM lockout_counters c
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys))
  ORDER BY c.key_kind, c.key
  FOR UPDATE;

  -- Smart lockout: from a network where the subject recently succeeded, the
  -- subject's own lockout does not apply (its address keys still do).
  v_familiar := p_familiar_since IS NOT NULL AND EXISTS (
    SELECT 1
    FROM unnest(p_kinds, p_keys) AS s(kind, key)
    JOIN unnest(p_kinds, p_keys) AS a(kind, key) ON s.kind = 'SUBJECT' AND a.kind = 'IP'
    JOIN lockout_familiar_networks f ON f.subject = s.key AND f.network >>= a.key::inet
    WHERE f.last_success_at > p_familiar_since
  );

  UPDATE lockout_counters c SET pending = 0
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys))
    AND c.last_admitted_at < p_now - interval '1 minute';

  SELECT coalesce(bool_or(
      c.permanent
      OR coalesce(c.locked_until > p_now, false)
      OR CASE WHEN c.last_failure_at < p_now - p.failure_reset THEN 0 ELSE c.failures END + c.pending >= p.max_failures
    ), false)
  INTO v_blocked
  FROM lockout_counters c JOIN lockout_policies p USING (key_kind)
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys))
    AND NOT (c.key_kind = 'SUBJECT' AND v_familiar);

  IF NOT v_blocked THEN
    UPDATE lockout_counters c SET pending = c.pending + 1, last_admitted_at = p_now
    WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys));
  END IF;

  RETURN QUERY
  SELECT NOT v_blocked, max(c.locked_until) FILTER (WHERE c.locked_until > p_now), coalesce(bool_or(c.permanent), false)
  FROM lockout_counters c
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys))
    AND NOT (c.key_kind = 'SUBJECT' AND v_familiar);
END;
$$;

-- Which subjects each address has recently failed for: one address failing
-- for many different subjects is credential stuffing, which no per-subject
-- counter sees.
CREATE TABLE lockout_failed_subjects (
  ip text NOT NULL,
  subject text NOT NULL,
  failed_at timestamptz NOT NULL,
  PRIMARY KEY (ip, subject)
);

-- Records (address, subject) failures and locks out, for p_wait, each address
-- that has now failed for at least p_threshold distinct subjects within
-- p_window. Returns the addresses this call locked out, with their counts.
CREATE FUNCTION lockout_detect_stuffing(
  p_ips text[], p_subjects text[], p_now timestamptz, p_window interval, p_threshold integer, p_wait interval
)
RETURNS TABLE (ip text, subjects integer, lockouts integer, locked_until timestamptz)
-- Planned for each call's own arrays: a cached generic plan guesses their
-- size and, on a young counters table, chose nested seq scans (seconds).
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
BEGIN
  INSERT INTO lockout_failed_subjects AS f (ip, subject, failed_at)
  SELECT DISTINCT ON (r.ip, r.subject) r.ip, r.subject, p_now
  FROM unnest(p_ips, p_subjects) AS r(ip, subject)
  ORDER BY r.ip, r.subject
  ON CONFLICT (ip, subject) DO UPDATE SET failed_at = EXCLUDED.failed_at;

  DELETE FROM lockout_failed_subjects f
  WHERE f.ip = ANY (p_ips) AND f.failed_at <= p_now - p_window;

  RETURN QUERY
  WITH stuffing AS (
    SELECT f.ip, count(*)::integer AS subjects
    FROM lockout_failed_subjects f
    WHERE f.ip IN (SELECT DISTINCT unnest(p_ips))
    GROUP BY f.ip
    HAVING count(*) >= p_threshold
  ),
  locked AS (
    INSERT INTO lockout_counters AS c (key_kind, key, lockouts, locked_until, last_failure_at)
    SELECT 'IP', s.ip, 1, p_now + p_wait, p_now FROM stuffing s
    ORDER BY s.ip
    ON CONFLICT (key_kind, key) DO UPDATE
      SET lockouts = c.lockouts + 1, locked_until = EXCLUDED.locked_until, failures = 0
      WHERE NOT c.permanent AND coalesce(c.locked_until <= p_now, true)
    RETURNING c.key, c.lockouts, c.locked_until
  )
  SELECT l.key, s.subjects, l.lockouts, l.locked_until FROM locked l JOIN stuffing s ON s.ip = l.key;
END;
$$;
