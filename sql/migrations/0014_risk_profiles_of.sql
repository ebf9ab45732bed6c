-- Up Migration
-- The risk profiles of these subjects, for the scoring of reported and
-- Authenticate's logins. Read as a prepared `subject = ANY ($1)`, the query
-- kept the generic plan it was given while the table was young and small (a
-- scan of the whole table) long after the table had grown, until autovacuum
-- next analyzed it: in a new database's first minutes under a flood of new
-- subjects, each read scanned thousands of profiles. In a function its query
-- is planned again on each call, against the table's current size: before
-- PostgreSQL 18 a SQL function's body is planned on every call, and from 18
-- plan_cache_mode asks for that. The SET clause also keeps the function from
-- being inlined into the prepared statement that calls it, which would bring
-- the cached plan back: keep it.
CREATE FUNCTION risk_profiles_of(p_subjects text[]) RETURNS SETOF risk_profiles
LANGUAGE sql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
  SELECT * FROM risk_profiles WHERE subject = ANY (p_subjects)
$$;
