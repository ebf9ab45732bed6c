-- Up Migration
-- Successful logins' forgets and familiar networks, as the WriteSuccesses
-- query wrote them, now planned on each call (see risk_profiles_of in
-- 0014_risk_profiles_of.sql for how, and why the SET clause stays). Prepared,
-- the statement kept the generic plan it got while lockout_counters was young
-- and small (a scan of every counter) long after the table had grown, until
-- autovacuum next analyzed it: under a flood of reported logins on a new
-- database, each batch's forget read thousands of counters.
--
-- Successful logins, in one statement: the failures of their keys are forgotten, and
-- their subjects' networks become familiar.
-- Forgetting: the subject's counted failures are forgotten, an address's are not,
-- and each login releases one attempt CheckLockout admitted for it (a key named n times, n).
-- Rows are locked in lockout_count_failures' order first, so the two cannot deadlock.
-- A row with nothing to forget or release is left alone: most logins have no failures
-- counted, and rewriting their rows changed nothing but cost a new row version each.
-- Remembering: each subject's network (an IPv4 /24, an IPv6 /64) becomes familiar.
CREATE FUNCTION lockout_write_successes(
  p_kinds lockout_key_kind[], p_keys text[], p_subjects text[], p_ips text[], p_now timestamptz
)
RETURNS TABLE (forgotten integer, remembered integer)
LANGUAGE sql
SET plan_cache_mode = force_custom_plan
AS $$
WITH reported AS (
  SELECT r.kind, r.key, count(*)::integer AS n
  FROM unnest(p_kinds, p_keys) AS r(kind, key)
  GROUP BY r.kind, r.key
), locked AS (
  SELECT c.key_kind, c.key, r.n
  FROM lockout_counters c
  JOIN reported r ON r.kind = c.key_kind AND r.key = c.key
  WHERE c.pending > 0 OR (c.failures > 0 AND c.key_kind <> 'IP')
  ORDER BY c.key_kind, c.key
  FOR UPDATE OF c
), forgotten AS (
  UPDATE lockout_counters c
  SET failures = CASE WHEN c.key_kind = 'IP' THEN c.failures ELSE 0 END,
    pending = greatest(c.pending - l.n, 0)
  FROM locked l
  WHERE c.key_kind = l.key_kind AND c.key = l.key
  RETURNING 1
), remembered AS (
  INSERT INTO lockout_familiar_networks (subject, network, last_success_at)
  SELECT DISTINCT ON (1, 2) s.subject,
    network(set_masklen(s.ip::inet, CASE family(s.ip::inet) WHEN 4 THEN 24 ELSE 64 END))::cidr,
    p_now
  FROM unnest(p_subjects, p_ips) AS s(subject, ip)
  ORDER BY 1, 2
  ON CONFLICT (subject, network) DO UPDATE SET last_success_at = EXCLUDED.last_success_at
  RETURNING 1
)
SELECT (SELECT count(*) FROM forgotten)::integer, (SELECT count(*) FROM remembered)::integer
$$;
