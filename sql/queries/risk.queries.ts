/** Types generated for queries found in "sql/queries/risk.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type event_type = 'ACCESS_DENIED' | 'ACCESS_GRANTED' | 'ACCOUNT_LOCKED' | 'ACCOUNT_UNLOCKED' | 'AUTHORIZATION_CHANGED' | 'BRUTE_FORCE_DETECTED' | 'CONFIGURATION_CHANGED' | 'LOGIN_FAILURE' | 'LOGIN_SUCCESS' | 'LOGOUT' | 'PASSWORD_CHANGED' | 'RATE_LIMITED' | 'SECURITY_ALERT' | 'SERVICE_TOKEN_CREATED' | 'SERVICE_TOKEN_EXPIRED' | 'SERVICE_TOKEN_REVOKED' | 'SERVICE_TOKEN_ROTATED' | 'SESSION_EXPIRED' | 'SUSPICIOUS_ACTIVITY' | 'SYSTEM_ERROR' | 'TOKEN_AUTH_FAILURE' | 'TOKEN_AUTH_SUCCESS' | 'TOKEN_EXCHANGED';

export type principal_kind = 'SERVICE_TOKEN' | 'USER' | 'WORKLOAD';

export type DateOrString = Date | string;

export type DateOrStringArray = (DateOrString)[];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type NumberOrString = number | string;

export type booleanArray = (boolean)[];

export type numberArray = (number)[];

export type principal_kindArray = (principal_kind)[];

export type stringArray = (string)[];

/** 'ObserveRisk' parameters type */
export interface IObserveRiskParams {
  ats: DateOrStringArray;
  countries: stringArray;
  counts: numberArray;
  firstAts: DateOrStringArray;
  keepNetworks: number;
  keepUserAgents: number;
  kinds: principal_kindArray;
  latitudes: numberArray;
  longitudes: numberArray;
  networks: stringArray;
  subjects: stringArray;
  succeeded: booleanArray;
  userAgents: stringArray;
  waves: numberArray;
}

/** 'ObserveRisk' return type */
export interface IObserveRiskResult {
  observed: number;
}

/** 'ObserveRisk' query type */
export interface IObserveRiskQuery {
  params: IObserveRiskParams;
  result: IObserveRiskResult;
}

const observeRiskIR: any = {"usedParamSet":{"subjects":true,"kinds":true,"ats":true,"firstAts":true,"succeeded":true,"counts":true,"networks":true,"userAgents":true,"latitudes":true,"longitudes":true,"countries":true,"waves":true,"keepNetworks":true,"keepUserAgents":true},"params":[{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":76,"b":85}]},{"name":"kinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":96,"b":102}]},{"name":"ats","required":true,"transform":{"type":"scalar"},"locs":[{"a":123,"b":127}]},{"name":"firstAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":145,"b":154}]},{"name":"succeeded","required":true,"transform":{"type":"scalar"},"locs":[{"a":172,"b":182}]},{"name":"counts","required":true,"transform":{"type":"scalar"},"locs":[{"a":196,"b":203}]},{"name":"networks","required":true,"transform":{"type":"scalar"},"locs":[{"a":219,"b":228}]},{"name":"userAgents","required":true,"transform":{"type":"scalar"},"locs":[{"a":239,"b":250}]},{"name":"latitudes","required":true,"transform":{"type":"scalar"},"locs":[{"a":261,"b":271}]},{"name":"longitudes","required":true,"transform":{"type":"scalar"},"locs":[{"a":294,"b":305}]},{"name":"countries","required":true,"transform":{"type":"scalar"},"locs":[{"a":330,"b":340}]},{"name":"waves","required":true,"transform":{"type":"scalar"},"locs":[{"a":351,"b":357}]},{"name":"keepNetworks","required":true,"transform":{"type":"scalar"},"locs":[{"a":371,"b":384}]},{"name":"keepUserAgents","required":true,"transform":{"type":"scalar"},"locs":[{"a":396,"b":411}]}],"statement":"-- See risk_observe in sql/migrations/0004_risk.sql.\nSELECT risk_observe(\n  :subjects!::text[], :kinds!::principal_kind[], :ats!::timestamptz[], :firstAts!::timestamptz[], :succeeded!::boolean[], :counts!::integer[],\n  :networks!::text[], :userAgents!::text[], :latitudes!::double precision[], :longitudes!::double precision[],\n  :countries!::text[], :waves!::integer[], :keepNetworks!::integer, :keepUserAgents!::integer\n) AS \"observed!\""};

/**
 * Query generated from SQL:
 * ```
 * -- See risk_observe in sql/migrations/0004_risk.sql.
 * SELECT risk_observe(
 *   :subjects!::text[], :kinds!::principal_kind[], :ats!::timestamptz[], :firstAts!::timestamptz[], :succeeded!::boolean[], :counts!::integer[],
 *   :networks!::text[], :userAgents!::text[], :latitudes!::double precision[], :longitudes!::double precision[],
 *   :countries!::text[], :waves!::integer[], :keepNetworks!::integer, :keepUserAgents!::integer
 * ) AS "observed!"
 * ```
 */
export const observeRisk = new PreparedQuery<IObserveRiskParams,IObserveRiskResult>(observeRiskIR);


/** 'GetRiskProfiles' parameters type */
export interface IGetRiskProfilesParams {
  subjects: stringArray;
}

/** 'GetRiskProfiles' return type */
export interface IGetRiskProfilesResult {
  first_seen_at: Date;
  hour_counts: numberArray;
  kind: principal_kind;
  last_country: string | null;
  last_failure_at: Date | null;
  last_latitude: number | null;
  last_located_at: Date | null;
  last_longitude: number | null;
  last_seen_at: Date | null;
  networks: Json;
  recent_failures: number;
  subject: string;
  successes: number;
  user_agents: Json;
  velocity_current: number;
  velocity_hour: Date | null;
  velocity_previous: number;
}

/** 'GetRiskProfiles' query type */
export interface IGetRiskProfilesQuery {
  params: IGetRiskProfilesParams;
  result: IGetRiskProfilesResult;
}

const getRiskProfilesIR: any = {"usedParamSet":{"subjects":true},"params":[{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":323,"b":332}]}],"statement":"SELECT subject, kind, first_seen_at, last_seen_at, successes::double precision AS \"successes!\", hour_counts,\n  networks, user_agents, recent_failures, last_failure_at, velocity_hour, velocity_current, velocity_previous,\n  last_latitude, last_longitude, last_located_at, last_country\nFROM risk_profiles\nWHERE subject = ANY (:subjects!::text[])"};

/**
 * Query generated from SQL:
 * ```
 * SELECT subject, kind, first_seen_at, last_seen_at, successes::double precision AS "successes!", hour_counts,
 *   networks, user_agents, recent_failures, last_failure_at, velocity_hour, velocity_current, velocity_previous,
 *   last_latitude, last_longitude, last_located_at, last_country
 * FROM risk_profiles
 * WHERE subject = ANY (:subjects!::text[])
 * ```
 */
export const getRiskProfiles = new PreparedQuery<IGetRiskProfilesParams,IGetRiskProfilesResult>(getRiskProfilesIR);


/** 'LatestAssessment' parameters type */
export interface ILatestAssessmentParams {
  subject: string;
}

/** 'LatestAssessment' return type */
export interface ILatestAssessmentResult {
  occurred_at: Date;
  risk_score: number;
  risk_signals: stringArray;
}

/** 'LatestAssessment' query type */
export interface ILatestAssessmentQuery {
  params: ILatestAssessmentParams;
  result: ILatestAssessmentResult;
}

const latestAssessmentIR: any = {"usedParamSet":{"subject":true},"params":[{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":186,"b":194}]}],"statement":"-- The subject's latest successful authentication carries its current score.\nSELECT occurred_at, risk_score, risk_signals::text[] AS \"risk_signals!\"\nFROM security_events\nWHERE subject = :subject! AND type IN ('LOGIN_SUCCESS', 'TOKEN_AUTH_SUCCESS')\nORDER BY occurred_at DESC, event_id DESC\nLIMIT 1"};

/**
 * Query generated from SQL:
 * ```
 * -- The subject's latest successful authentication carries its current score.
 * SELECT occurred_at, risk_score, risk_signals::text[] AS "risk_signals!"
 * FROM security_events
 * WHERE subject = :subject! AND type IN ('LOGIN_SUCCESS', 'TOKEN_AUTH_SUCCESS')
 * ORDER BY occurred_at DESC, event_id DESC
 * LIMIT 1
 * ```
 */
export const latestAssessment = new PreparedQuery<ILatestAssessmentParams,ILatestAssessmentResult>(latestAssessmentIR);


/** 'RecentRiskyEvents' parameters type */
export interface IRecentRiskyEventsParams {
  limit: NumberOrString;
  subject: string;
}

/** 'RecentRiskyEvents' return type */
export interface IRecentRiskyEventsResult {
  event_id: string;
  occurred_at: Date;
  risk_score: number;
  risk_signals: stringArray;
  type: event_type;
}

/** 'RecentRiskyEvents' query type */
export interface IRecentRiskyEventsQuery {
  params: IRecentRiskyEventsParams;
  result: IRecentRiskyEventsResult;
}

const recentRiskyEventsIR: any = {"usedParamSet":{"subject":true,"limit":true},"params":[{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":213,"b":221}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":304,"b":310}]}],"statement":"-- risk_signal[] is read as text[]: node-postgres parses arrays only of built-in types.\nSELECT event_id, occurred_at, type, risk_score, risk_signals::text[] AS \"risk_signals!\"\nFROM security_events\nWHERE subject = :subject! AND cardinality(risk_signals) > 0\nORDER BY occurred_at DESC, event_id DESC\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- risk_signal[] is read as text[]: node-postgres parses arrays only of built-in types.
 * SELECT event_id, occurred_at, type, risk_score, risk_signals::text[] AS "risk_signals!"
 * FROM security_events
 * WHERE subject = :subject! AND cardinality(risk_signals) > 0
 * ORDER BY occurred_at DESC, event_id DESC
 * LIMIT :limit!
 * ```
 */
export const recentRiskyEvents = new PreparedQuery<IRecentRiskyEventsParams,IRecentRiskyEventsResult>(recentRiskyEventsIR);


