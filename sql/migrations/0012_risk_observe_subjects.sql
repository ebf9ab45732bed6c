-- Up Migration
-- risk_observe applies a batch run by run, one UPDATE per wave, and a subject
-- seen often in a flush (a popular account, a Zipf head) made many waves.
-- What a subject's runs do to its profile depends on the stored profile only
-- through a few values (see src/risk/detector.ts's aggregate), so a flush now
-- writes one row per subject: at most one INSERT and one UPDATE per batch.
-- risk_observe stays for replicas of the previous release until they are gone.

-- risk_remember for every value of `added` ({value: epoch seconds}); the
-- kept set does not depend on the order values are added in.
CREATE FUNCTION risk_remember_all(seen jsonb, added jsonb, keep integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  entry record;
BEGIN
  FOR entry IN SELECT e.key, e.value FROM jsonb_each_text(added) AS e LOOP
    seen := risk_remember(seen, entry.key, entry.value::bigint, keep);
  END LOOP;
  RETURN seen;
END
$$;

-- One row per subject (the p_ arrays), aggregated from its runs in arrival order:
--   successes: successful attempts; failures_after: failed attempts after
--   the last success (all of them without a success);
--   last_success_ats, last_failure_ats: the latest of each (NULL without);
--   hour_counts: successes per hour of day, as a 24-integer array literal;
--   velocity_hours: the latest clock hour attempted, with the attempts in it
--   (velocity_current) and in the hour before (velocity_previous);
--   networks, user_agents: {value: epoch seconds last seen} of successes, at
--   most keep_networks and keep_user_agents of them, the most recent;
--   latitudes, longitudes, located_ats: the last success whose place could
--   become the profile's (not older than an earlier located success of the
--   batch), countries and country_ats likewise among successes.
CREATE FUNCTION risk_observe_subjects(
  p_subjects text[], p_kinds principal_kind[], p_first_ats timestamptz[],
  p_successes integer[], p_failures_after integer[],
  p_last_success_ats timestamptz[], p_last_failure_ats timestamptz[], p_hour_counts text[],
  p_velocity_hours timestamptz[], p_velocity_current integer[], p_velocity_previous integer[],
  p_networks jsonb[], p_user_agents jsonb[],
  p_latitudes double precision[], p_longitudes double precision[], p_located_ats timestamptz[],
  p_countries text[], p_country_ats timestamptz[],
  p_keep_networks integer, p_keep_user_agents integer
) RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
  fresh text[];
BEGIN
  -- A new subject's row is created with its batch applied: one write, not two.
  -- Rows are created in subject order so that replicas writing at once cannot deadlock.
  WITH created AS (
    INSERT INTO risk_profiles (
      subject, kind, first_seen_at, last_seen_at, successes, hour_counts, networks, user_agents,
      recent_failures, last_failure_at, velocity_hour, velocity_current, velocity_previous,
      last_latitude, last_longitude, last_located_at, last_country
    )
    SELECT b.subject, b.kind, b.first_at, b.last_success_at, b.successes, b.hours::integer[],
      b.networks, b.user_agents,
      b.failures_after, b.last_failure_at, b.velocity_hour, b.velocity_current, b.velocity_previous,
      b.latitude, b.longitude, b.located_at, b.country
    FROM unnest(p_subjects, p_kinds, p_first_ats, p_successes, p_failures_after, p_last_success_ats, p_last_failure_ats, p_hour_counts,
        p_velocity_hours, p_velocity_current, p_velocity_previous, p_networks, p_user_agents, p_latitudes, p_longitudes, p_located_ats,
        p_countries)
      AS b(subject, kind, first_at, successes, failures_after, last_success_at, last_failure_at, hours,
        velocity_hour, velocity_current, velocity_previous, networks, user_agents, latitude, longitude, located_at,
        country)
    ORDER BY b.subject COLLATE "C"
    ON CONFLICT (subject) DO NOTHING
    RETURNING subject
  )
  SELECT coalesce(array_agg(subject), '{}') INTO fresh FROM created;

  -- The same rules as applying each run in turn (src/risk/profile.ts), given the stored row.
  UPDATE risk_profiles p SET
    first_seen_at = least(p.first_seen_at, b.first_at),
    velocity_hour = greatest(p.velocity_hour, b.velocity_hour),
    velocity_current = CASE
      WHEN p.velocity_hour IS NULL OR b.velocity_hour > p.velocity_hour THEN b.velocity_current
      WHEN b.velocity_hour = p.velocity_hour THEN p.velocity_current + b.velocity_current
      ELSE p.velocity_current END,
    velocity_previous = CASE
      WHEN p.velocity_hour IS NULL OR b.velocity_hour > p.velocity_hour + interval '1 hour' THEN b.velocity_previous
      WHEN b.velocity_hour = p.velocity_hour + interval '1 hour' THEN p.velocity_current + b.velocity_previous
      WHEN b.velocity_hour = p.velocity_hour THEN p.velocity_previous + b.velocity_previous
      WHEN b.velocity_hour = p.velocity_hour - interval '1 hour' THEN p.velocity_previous + b.velocity_current
      ELSE p.velocity_previous END,
    last_country = CASE WHEN b.country IS NOT NULL AND b.country_at >= coalesce(p.last_seen_at, b.country_at)
      THEN b.country ELSE p.last_country END,
    last_latitude = CASE WHEN b.latitude IS NOT NULL AND b.located_at >= coalesce(p.last_located_at, b.located_at)
      THEN b.latitude ELSE p.last_latitude END,
    last_longitude = CASE WHEN b.latitude IS NOT NULL AND b.located_at >= coalesce(p.last_located_at, b.located_at)
      THEN b.longitude ELSE p.last_longitude END,
    last_located_at = CASE WHEN b.latitude IS NOT NULL AND b.located_at >= coalesce(p.last_located_at, b.located_at)
      THEN b.located_at ELSE p.last_located_at END,
    successes = p.successes + b.successes,
    last_seen_at = greatest(p.last_seen_at, b.last_success_at),
    hour_counts = CASE WHEN b.successes = 0 THEN p.hour_counts
      ELSE ARRAY(SELECT h.stored + h.added FROM unnest(p.hour_counts, b.hours::integer[]) WITH ORDINALITY AS h(stored, added, i)
        ORDER BY h.i) END,
    recent_failures = CASE WHEN b.successes > 0 THEN b.failures_after ELSE p.recent_failures + b.failures_after END,
    last_failure_at = greatest(p.last_failure_at, b.last_failure_at),
    networks = CASE WHEN b.successes > 0 THEN risk_remember_all(p.networks, b.networks, p_keep_networks) ELSE p.networks END,
    user_agents = CASE WHEN b.successes > 0
      THEN risk_remember_all(p.user_agents, b.user_agents, p_keep_user_agents) ELSE p.user_agents END
  FROM unnest(p_subjects, p_first_ats, p_successes, p_failures_after, p_last_success_ats, p_last_failure_ats, p_hour_counts,
      p_velocity_hours, p_velocity_current, p_velocity_previous, p_networks, p_user_agents, p_latitudes, p_longitudes, p_located_ats,
      p_countries, p_country_ats)
    AS b(subject, first_at, successes, failures_after, last_success_at, last_failure_at, hours,
      velocity_hour, velocity_current, velocity_previous, networks, user_agents, latitude, longitude, located_at,
      country, country_at)
  WHERE p.subject = b.subject AND b.subject NOT IN (SELECT unnest(fresh));
  RETURN cardinality(p_subjects);
END
$$;
