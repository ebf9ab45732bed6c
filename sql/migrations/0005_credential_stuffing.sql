-- Up Migration
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
LANGUAGE plpgsql AS $$
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
