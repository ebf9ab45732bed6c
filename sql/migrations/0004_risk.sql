-- Up Migration
-- Labels are the proto RiskSignal names without prefix; src/events/event.ts
-- fails to compile when the two sets differ.
CREATE TYPE risk_signal AS ENUM (
  'NEW_NETWORK', 'NEW_USER_AGENT', 'AUTOMATION_USER_AGENT', 'RARE_HOUR', 'DORMANT_ACCOUNT',
  'HIGH_VELOCITY', 'FAILURES_BEFORE_SUCCESS', 'IMPOSSIBLE_TRAVEL', 'MANY_NETWORKS', 'TOKEN_MANY_NETWORKS'
);

ALTER TABLE security_events
  ADD COLUMN risk_signals risk_signal[] NOT NULL DEFAULT '{}',
  ADD COLUMN client_latitude double precision CHECK (client_latitude BETWEEN -90 AND 90),
  ADD COLUMN client_longitude double precision CHECK (client_longitude BETWEEN -180 AND 180),
  ADD COLUMN client_country text CHECK (client_country ~ '^[A-Z]{2}$'),
  ADD CONSTRAINT security_events_location_pair
    CHECK ((client_latitude IS NULL) = (client_longitude IS NULL));

-- What the risk detector has learnt about each subject, updated incrementally
-- by risk_observe as authentications arrive. src/risk/profile.ts applies the
-- same rules to the copy each replica caches; test/risk.test.ts holds the two
-- to agreement.
CREATE TABLE risk_profiles (
  subject text PRIMARY KEY CHECK (length(subject) <= 256),
  kind principal_kind NOT NULL,
  first_seen_at timestamptz NOT NULL,
  -- The latest successful authentication.
  last_seen_at timestamptz,
  successes bigint NOT NULL DEFAULT 0,
  -- Successes per hour of day, UTC; index 1 is 00:00-00:59.
  hour_counts integer[] NOT NULL DEFAULT array_fill(0, ARRAY[24]),
  -- {network or user agent: epoch seconds last seen}, the most recent few.
  networks jsonb NOT NULL DEFAULT '{}',
  user_agents jsonb NOT NULL DEFAULT '{}',
  -- Failures since the last success.
  recent_failures integer NOT NULL DEFAULT 0,
  last_failure_at timestamptz,
  -- Attempts in the current and previous clock hour: a sliding-window estimate of the rate.
  velocity_hour timestamptz,
  velocity_current integer NOT NULL DEFAULT 0,
  velocity_previous integer NOT NULL DEFAULT 0,
  last_latitude double precision,
  last_longitude double precision,
  last_located_at timestamptz,
  last_country text
);

-- Adds `value` as seen at `seen_at` (epoch seconds) and keeps the `keep` most
-- recently seen values, ties broken by value. Known values are the common case
-- and are answered without counting.
CREATE FUNCTION risk_remember(seen jsonb, value text, seen_at bigint, keep integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  previous bigint;
  kept jsonb;
BEGIN
  IF value IS NULL THEN
    RETURN seen;
  END IF;
  previous := (seen ->> value)::bigint;
  IF previous >= seen_at THEN
    RETURN seen;
  END IF;
  seen := seen || jsonb_build_object(value, seen_at);
  IF previous IS NOT NULL OR (SELECT count(*) FROM jsonb_object_keys(seen)) <= keep THEN
    RETURN seen;
  END IF;
  -- Aliased: `value` is also this function's parameter.
  SELECT jsonb_object_agg(e.k, e.v) INTO kept
  FROM (SELECT j.k, j.v FROM jsonb_each(seen) AS j(k, v) ORDER BY j.v::bigint DESC, j.k COLLATE "C" LIMIT keep) e;
  RETURN kept;
END
$$;

-- Applies a batch of observations in order. Each row stands for `counts`
-- identical consecutive attempts by one subject, from `first_ats` to `ats`.
-- Set-based: `waves` numbers each subject's rows 1, 2, ... in order, and wave
-- k applies every subject's k-th row in one UPDATE, so a batch of distinct
-- subjects costs two statements whatever its size.
CREATE FUNCTION risk_observe(
  subjects text[], kinds principal_kind[], ats timestamptz[], first_ats timestamptz[], succeeded boolean[], counts integer[],
  networks text[], user_agents text[], latitudes double precision[], longitudes double precision[],
  countries text[], waves integer[], keep_networks integer, keep_user_agents integer
) RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
  fresh text[];
BEGIN
  -- A subject's first observation creates its row already applied (most
  -- batches are mostly new subjects; one write each instead of two). Rows are
  -- created in subject order so that replicas writing at once cannot deadlock.
  WITH created AS (
    INSERT INTO risk_profiles (
      subject, kind, first_seen_at, last_seen_at, successes, hour_counts, networks, user_agents,
      recent_failures, last_failure_at, velocity_hour, velocity_current, velocity_previous,
      last_latitude, last_longitude, last_located_at, last_country
    )
    SELECT b.subject, b.kind, b.first_at,
      CASE WHEN b.success THEN b.at END,
      CASE WHEN b.success THEN b.n ELSE 0 END,
      CASE WHEN b.success
        THEN array_fill(0, ARRAY[b.hour_of_day - 1]) || b.n || array_fill(0, ARRAY[24 - b.hour_of_day])
        ELSE array_fill(0, ARRAY[24]) END,
      CASE WHEN b.success AND b.network IS NOT NULL THEN jsonb_build_object(b.network, b.epoch) ELSE '{}' END,
      CASE WHEN b.success AND b.user_agent IS NOT NULL THEN jsonb_build_object(b.user_agent, b.epoch) ELSE '{}' END,
      CASE WHEN b.success THEN 0 ELSE b.n END,
      CASE WHEN b.success THEN NULL ELSE b.at END,
      date_trunc('hour', b.at, 'UTC'), b.n, 0,
      CASE WHEN b.success THEN b.latitude END,
      CASE WHEN b.success THEN b.longitude END,
      CASE WHEN b.success AND b.latitude IS NOT NULL THEN b.at END,
      CASE WHEN b.success THEN b.country END
    FROM (
      SELECT t.*,
        extract(hour FROM t.at AT TIME ZONE 'UTC')::integer + 1 AS hour_of_day,
        floor(extract(epoch FROM t.at))::bigint AS epoch
      FROM unnest(subjects, kinds, ats, first_ats, succeeded, counts, networks, user_agents, latitudes, longitudes,
        countries, waves)
        AS t(subject, kind, at, first_at, success, n, network, user_agent, latitude, longitude, country, wave)
      WHERE t.wave = 1
    ) b
    ORDER BY b.subject COLLATE "C"
    ON CONFLICT (subject) DO NOTHING
    RETURNING subject
  )
  SELECT coalesce(array_agg(subject), '{}') INTO fresh FROM created;

  FOR w IN 1 .. coalesce((SELECT max(wave) FROM unnest(waves) AS wave), 0) LOOP
    UPDATE risk_profiles p SET
      first_seen_at = least(p.first_seen_at, o.first_at),
      velocity_hour = CASE WHEN p.velocity_hour IS NULL OR o.hour > p.velocity_hour THEN o.hour ELSE p.velocity_hour END,
      velocity_previous = CASE
        WHEN p.velocity_hour IS NULL OR o.hour > p.velocity_hour + interval '1 hour' THEN 0
        WHEN o.hour = p.velocity_hour + interval '1 hour' THEN p.velocity_current
        WHEN o.hour = p.velocity_hour - interval '1 hour' THEN p.velocity_previous + o.n
        ELSE p.velocity_previous END,
      velocity_current = CASE
        WHEN p.velocity_hour IS NULL OR o.hour > p.velocity_hour THEN o.n
        WHEN o.hour = p.velocity_hour THEN p.velocity_current + o.n
        ELSE p.velocity_current END,
      last_country = CASE WHEN o.success AND o.country IS NOT NULL AND o.at >= coalesce(p.last_seen_at, o.at)
        THEN o.country ELSE p.last_country END,
      last_latitude = CASE WHEN o.success AND o.latitude IS NOT NULL AND o.at >= coalesce(p.last_located_at, o.at)
        THEN o.latitude ELSE p.last_latitude END,
      last_longitude = CASE WHEN o.success AND o.latitude IS NOT NULL AND o.at >= coalesce(p.last_located_at, o.at)
        THEN o.longitude ELSE p.last_longitude END,
      last_located_at = CASE WHEN o.success AND o.latitude IS NOT NULL AND o.at >= coalesce(p.last_located_at, o.at)
        THEN o.at ELSE p.last_located_at END,
      successes = p.successes + CASE WHEN o.success THEN o.n ELSE 0 END,
      last_seen_at = CASE WHEN o.success THEN greatest(p.last_seen_at, o.at) ELSE p.last_seen_at END,
      hour_counts[o.hour_of_day] = p.hour_counts[o.hour_of_day] + CASE WHEN o.success THEN o.n ELSE 0 END,
      recent_failures = CASE WHEN o.success THEN 0 ELSE p.recent_failures + o.n END,
      last_failure_at = CASE WHEN o.success THEN p.last_failure_at ELSE greatest(p.last_failure_at, o.at) END,
      networks = CASE WHEN o.success THEN risk_remember(p.networks, o.network, o.epoch, keep_networks) ELSE p.networks END,
      user_agents = CASE WHEN o.success
        THEN risk_remember(p.user_agents, o.user_agent, o.epoch, keep_user_agents) ELSE p.user_agents END
    FROM (
      SELECT b.*,
        date_trunc('hour', b.at, 'UTC') AS hour,
        extract(hour FROM b.at AT TIME ZONE 'UTC')::integer + 1 AS hour_of_day,
        floor(extract(epoch FROM b.at))::bigint AS epoch
      FROM unnest(subjects, ats, first_ats, succeeded, counts, networks, user_agents, latitudes, longitudes, countries, waves)
        AS b(subject, at, first_at, success, n, network, user_agent, latitude, longitude, country, wave)
      -- Rows just created have their first observation applied already.
      WHERE b.wave = w AND (w > 1 OR b.subject NOT IN (SELECT unnest(fresh)))
    ) o
    WHERE p.subject = o.subject;
  END LOOP;
  RETURN cardinality(subjects);
END
$$;
