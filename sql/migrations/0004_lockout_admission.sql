-- Up Migration
-- CheckLockout admits a password check before it happens: the attempt is held
-- as pending until the service reports how it went, so parallel attempts on a
-- key stop at exactly max_failures.
ALTER TABLE lockout_counters
  ADD COLUMN pending integer NOT NULL DEFAULT 0 CHECK (pending >= 0),
  ADD COLUMN last_admitted_at timestamptz;

-- Admits an attempt on every key, or on none. Each key's row is locked in one
-- order; the attempt is refused if any key is locked out or already holds
-- max_failures failures and pending attempts. Pending attempts not reported
-- within a minute lapse, so a crashed caller cannot block a key for ever.
CREATE FUNCTION lockout_admit(p_kinds lockout_key_kind[], p_keys text[], p_now timestamptz)
RETURNS TABLE (admitted boolean, locked_until timestamptz, permanent boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_blocked boolean;
BEGIN
  INSERT INTO lockout_counters (key_kind, key)
  SELECT DISTINCT r.kind, r.key FROM unnest(p_kinds, p_keys) AS r(kind, key)
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;
  PERFORM 1 FROM lockout_counters c
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys))
  ORDER BY c.key_kind, c.key
  FOR UPDATE;

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
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys));

  IF NOT v_blocked THEN
    UPDATE lockout_counters c SET pending = c.pending + 1, last_admitted_at = p_now
    WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys));
  END IF;

  RETURN QUERY
  SELECT NOT v_blocked, max(c.locked_until) FILTER (WHERE c.locked_until > p_now), coalesce(bool_or(c.permanent), false)
  FROM lockout_counters c
  WHERE (c.key_kind, c.key) IN (SELECT * FROM unnest(p_kinds, p_keys));
END;
$$;

-- As before, and a failure that settles an admitted attempt (one reported
-- through LogEvent) also releases it from pending.
DROP FUNCTION lockout_count_failures(lockout_key_kind[], text[], timestamptz);
CREATE FUNCTION lockout_count_failures(p_kinds lockout_key_kind[], p_keys text[], p_now timestamptz, p_settles boolean)
RETURNS TABLE (key_kind lockout_key_kind, key text, failures integer, lockouts integer, locked_until timestamptz, permanent boolean, newly_locked boolean)
LANGUAGE plpgsql AS $$
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
