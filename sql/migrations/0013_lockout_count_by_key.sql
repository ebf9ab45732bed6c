-- Up Migration
-- lockout_count_failures joined the reported keys to their counters and to
-- the policies, and the planner could then look counters up by key kind alone
-- and filter by key: every counter of the kind read for each key. It did so
-- when the counters' statistics were older than their growth (a young or
-- fast-growing table, as under a flood of reported failures), and a count
-- took milliseconds, longer as the table grew. Each key's counter is now found
-- by a subquery of its own that names both columns of the primary key, so it
-- is not planned by key kind. Same arguments, same result.

CREATE OR REPLACE FUNCTION lockout_count_failures(p_kinds lockout_key_kind[], p_keys text[], p_now timestamptz, p_settles boolean)
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
    FROM reported r
    JOIN lockout_policies p ON p.key_kind = r.kind
    -- LIMIT keeps this subquery from being merged into the join, so it is looked up by (kind, key).
    CROSS JOIN LATERAL (
      SELECT * FROM lockout_counters c WHERE c.key_kind = r.kind AND c.key = r.key LIMIT 1
    ) c
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
