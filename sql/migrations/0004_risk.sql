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
-- recently seen values, ties broken by value.
CREATE FUNCTION risk_remember(seen jsonb, value text, seen_at bigint, keep integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  kept jsonb;
BEGIN
  IF value IS NULL THEN
    RETURN seen;
  END IF;
  seen := seen || jsonb_build_object(value, greatest(coalesce((seen ->> value)::bigint, 0), seen_at));
  IF (SELECT count(*) FROM jsonb_object_keys(seen)) <= keep THEN
    RETURN seen;
  END IF;
  SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}') INTO kept
  FROM (SELECT key, value FROM jsonb_each(seen) ORDER BY value::bigint DESC, key COLLATE "C" LIMIT keep) e;
  RETURN kept;
END
$$;

-- Applies a batch of observations in order. Each row stands for `counts`
-- identical consecutive attempts by one subject, from `first_ats` to `ats`. Rows are
-- locked in subject order so replicas writing at once cannot deadlock.
CREATE FUNCTION risk_observe(
  subjects text[], kinds principal_kind[], ats timestamptz[], first_ats timestamptz[], succeeded boolean[], counts integer[],
  networks text[], user_agents text[], latitudes double precision[], longitudes double precision[],
  countries text[], keep_networks integer, keep_user_agents integer
) RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
  o record;
  p risk_profiles;
  hour timestamptz;
  observed integer := 0;
BEGIN
  FOR o IN
    SELECT * FROM unnest(subjects, kinds, ats, first_ats, succeeded, counts, networks, user_agents, latitudes, longitudes, countries)
      WITH ORDINALITY AS t(subject, kind, at, first_at, success, n, network, user_agent, latitude, longitude, country, position)
    ORDER BY subject COLLATE "C", position
  LOOP
    INSERT INTO risk_profiles (subject, kind, first_seen_at) VALUES (o.subject, o.kind, o.first_at)
    ON CONFLICT (subject) DO NOTHING;
    SELECT * INTO p FROM risk_profiles WHERE subject = o.subject FOR UPDATE;

    p.first_seen_at := least(p.first_seen_at, o.first_at);
    hour := date_trunc('hour', o.at, 'UTC');
    IF p.velocity_hour IS NULL OR hour > p.velocity_hour + interval '1 hour' THEN
      p.velocity_hour := hour; p.velocity_previous := 0; p.velocity_current := o.n;
    ELSIF hour = p.velocity_hour + interval '1 hour' THEN
      p.velocity_hour := hour; p.velocity_previous := p.velocity_current; p.velocity_current := o.n;
    ELSIF hour = p.velocity_hour THEN
      p.velocity_current := p.velocity_current + o.n;
    ELSIF hour = p.velocity_hour - interval '1 hour' THEN
      p.velocity_previous := p.velocity_previous + o.n;
    END IF;

    IF o.success THEN
      IF o.country IS NOT NULL AND o.at >= coalesce(p.last_seen_at, o.at) THEN
        p.last_country := o.country;
      END IF;
      IF o.latitude IS NOT NULL AND o.at >= coalesce(p.last_located_at, o.at) THEN
        p.last_latitude := o.latitude; p.last_longitude := o.longitude; p.last_located_at := o.at;
      END IF;
      p.successes := p.successes + o.n;
      p.last_seen_at := greatest(p.last_seen_at, o.at);
      p.hour_counts[extract(hour FROM o.at AT TIME ZONE 'UTC')::integer + 1] :=
        p.hour_counts[extract(hour FROM o.at AT TIME ZONE 'UTC')::integer + 1] + o.n;
      p.recent_failures := 0;
      p.networks := risk_remember(p.networks, o.network, floor(extract(epoch FROM o.at))::bigint, keep_networks);
      p.user_agents := risk_remember(p.user_agents, o.user_agent, floor(extract(epoch FROM o.at))::bigint, keep_user_agents);
    ELSE
      p.recent_failures := p.recent_failures + o.n;
      p.last_failure_at := greatest(p.last_failure_at, o.at);
    END IF;

    UPDATE risk_profiles SET
      first_seen_at = p.first_seen_at, last_seen_at = p.last_seen_at, successes = p.successes,
      hour_counts = p.hour_counts, networks = p.networks, user_agents = p.user_agents,
      recent_failures = p.recent_failures, last_failure_at = p.last_failure_at,
      velocity_hour = p.velocity_hour, velocity_current = p.velocity_current, velocity_previous = p.velocity_previous,
      last_latitude = p.last_latitude, last_longitude = p.last_longitude, last_located_at = p.last_located_at,
      last_country = p.last_country
    WHERE subject = o.subject;
    observed := observed + 1;
  END LOOP;
  RETURN observed;
END
$$;

