/** Types generated for queries found in "sql/queries/risk.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type event_type = 'ACCESS_DENIED' | 'ACCESS_GRANTED' | 'ACCOUNT_LOCKED' | 'ACCOUNT_UNLOCKED' | 'AUTHORIZATION_CHANGED' | 'BRUTE_FORCE_DETECTED' | 'CONFIGURATION_CHANGED' | 'LOGIN_FAILURE' | 'LOGIN_SUCCESS' | 'LOGOUT' | 'PASSWORD_CHANGED' | 'RATE_LIMITED' | 'SECURITY_ALERT' | 'SERVICE_TOKEN_CREATED' | 'SERVICE_TOKEN_EXPIRED' | 'SERVICE_TOKEN_REVOKED' | 'SERVICE_TOKEN_ROTATED' | 'SESSION_EXPIRED' | 'SUSPICIOUS_ACTIVITY' | 'SYSTEM_ERROR' | 'TOKEN_AUTH_FAILURE' | 'TOKEN_AUTH_SUCCESS' | 'TOKEN_EXCHANGED';

export type principal_kind = 'SERVICE_TOKEN' | 'USER' | 'WORKLOAD';

export type DateOrString = Date | string;

export type DateOrStringArray = (DateOrString)[];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type JsonArray = (Json)[];

export type NumberOrString = number | string;

export type numberArray = (number)[];

export type principal_kindArray = (principal_kind)[];

export type stringArray = (string)[];

/** 'ObserveRiskSubjects' parameters type */
export interface IObserveRiskSubjectsParams {
  countries: stringArray;
  countryAts: DateOrStringArray;
  failuresAfter: numberArray;
  firstAts: DateOrStringArray;
  hourCounts: stringArray;
  keepNetworks: number;
  keepUserAgents: number;
  kinds: principal_kindArray;
  lastFailureAts: DateOrStringArray;
  lastSuccessAts: DateOrStringArray;
  latitudes: numberArray;
  locatedAts: DateOrStringArray;
  longitudes: numberArray;
  networks: JsonArray;
  subjects: stringArray;
  successes: numberArray;
  userAgents: JsonArray;
  velocityCurrent: numberArray;
  velocityHours: DateOrStringArray;
  velocityPrevious: numberArray;
}

/** 'ObserveRiskSubjects' return type */
export interface IObserveRiskSubjectsResult {
  commitMode: string;
  observed: number;
}

/** 'ObserveRiskSubjects' query type */
export interface IObserveRiskSubjectsQuery {
  params: IObserveRiskSubjectsParams;
  result: IObserveRiskSubjectsResult;
}

const observeRiskSubjectsIR: any = {"usedParamSet":{"subjects":true,"kinds":true,"firstAts":true,"successes":true,"failuresAfter":true,"lastSuccessAts":true,"lastFailureAts":true,"hourCounts":true,"velocityHours":true,"velocityCurrent":true,"velocityPrevious":true,"networks":true,"userAgents":true,"latitudes":true,"longitudes":true,"locatedAts":true,"countries":true,"countryAts":true,"keepNetworks":true,"keepUserAgents":true},"params":[{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":582,"b":591}]},{"name":"kinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":602,"b":608}]},{"name":"firstAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":629,"b":638}]},{"name":"successes","required":true,"transform":{"type":"scalar"},"locs":[{"a":658,"b":668}]},{"name":"failuresAfter","required":true,"transform":{"type":"scalar"},"locs":[{"a":682,"b":696}]},{"name":"lastSuccessAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":712,"b":727}]},{"name":"lastFailureAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":745,"b":760}]},{"name":"hourCounts","required":true,"transform":{"type":"scalar"},"locs":[{"a":778,"b":789}]},{"name":"velocityHours","required":true,"transform":{"type":"scalar"},"locs":[{"a":802,"b":816}]},{"name":"velocityCurrent","required":true,"transform":{"type":"scalar"},"locs":[{"a":834,"b":850}]},{"name":"velocityPrevious","required":true,"transform":{"type":"scalar"},"locs":[{"a":864,"b":881}]},{"name":"networks","required":true,"transform":{"type":"scalar"},"locs":[{"a":897,"b":906}]},{"name":"userAgents","required":true,"transform":{"type":"scalar"},"locs":[{"a":918,"b":929}]},{"name":"latitudes","required":true,"transform":{"type":"scalar"},"locs":[{"a":943,"b":953}]},{"name":"longitudes","required":true,"transform":{"type":"scalar"},"locs":[{"a":976,"b":987}]},{"name":"locatedAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":1010,"b":1021}]},{"name":"countries","required":true,"transform":{"type":"scalar"},"locs":[{"a":1041,"b":1051}]},{"name":"countryAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":1062,"b":1073}]},{"name":"keepNetworks","required":true,"transform":{"type":"scalar"},"locs":[{"a":1093,"b":1106}]},{"name":"keepUserAgents","required":true,"transform":{"type":"scalar"},"locs":[{"a":1118,"b":1133}]}],"statement":"-- One row per subject; see risk_observe_subjects in sql/migrations/0012_risk_observe_subjects.sql.\n-- Its commit does not wait for the WAL to reach disk (synchronous_commit off, for this transaction only): the\n-- observations are written in the background, no answer waits on them, and a database crash loses at most the\n-- last moments' of them (under a second), as a crash of Warden loses those not yet written. Waiting, each such\n-- commit queued for the disk with the events' own.\nSELECT set_config('synchronous_commit', 'off', true) AS \"commitMode!\", risk_observe_subjects(\n  :subjects!::text[], :kinds!::principal_kind[], :firstAts!::timestamptz[],\n  :successes!::integer[], :failuresAfter!::integer[],\n  :lastSuccessAts!::timestamptz[], :lastFailureAts!::timestamptz[], :hourCounts!::text[],\n  :velocityHours!::timestamptz[], :velocityCurrent!::integer[], :velocityPrevious!::integer[],\n  :networks!::jsonb[], :userAgents!::jsonb[],\n  :latitudes!::double precision[], :longitudes!::double precision[], :locatedAts!::timestamptz[],\n  :countries!::text[], :countryAts!::timestamptz[],\n  :keepNetworks!::integer, :keepUserAgents!::integer\n) AS \"observed!\""};

/**
 * Query generated from SQL:
 * ```
 * -- One row per subject; see risk_observe_subjects in sql/migrations/0012_risk_observe_subjects.sql.
 * -- Its commit does not wait for the WAL to reach disk (synchronous_commit off, for this transaction only): the
 * -- observations are written in the background, no answer waits on them, and a database crash loses at most the
 * -- last moments' of them (under a second), as a crash of Warden loses those not yet written. Waiting, each such
 * -- commit queued for the disk with the events' own.
 * SELECT set_config('synchronous_commit', 'off', true) AS "commitMode!", risk_observe_subjects(
 *   :subjects!::text[], :kinds!::principal_kind[], :firstAts!::timestamptz[],
 *   :successes!::integer[], :failuresAfter!::integer[],
 *   :lastSuccessAts!::timestamptz[], :lastFailureAts!::timestamptz[], :hourCounts!::text[],
 *   :velocityHours!::timestamptz[], :velocityCurrent!::integer[], :velocityPrevious!::integer[],
 *   :networks!::jsonb[], :userAgents!::jsonb[],
 *   :latitudes!::double precision[], :longitudes!::double precision[], :locatedAts!::timestamptz[],
 *   :countries!::text[], :countryAts!::timestamptz[],
 *   :keepNetworks!::integer, :keepUserAgents!::integer
 * ) AS "observed!"
 * ```
 */
export const observeRiskSubjects = new PreparedQuery<IObserveRiskSubjectsParams,IObserveRiskSubjectsResult>(observeRiskSubjectsIR);


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

const getRiskProfilesIR: any = {"usedParamSet":{"subjects":true},"params":[{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":566,"b":575}]}],"statement":"-- See risk_profiles_of in sql/migrations/0014_risk_profiles_of.sql: planned for each call.\nSELECT subject AS \"subject!\", kind AS \"kind!\", first_seen_at AS \"first_seen_at!\", last_seen_at,\n  successes::double precision AS \"successes!\", hour_counts AS \"hour_counts!\", networks AS \"networks!\",\n  user_agents AS \"user_agents!\", recent_failures AS \"recent_failures!\", last_failure_at, velocity_hour,\n  velocity_current AS \"velocity_current!\", velocity_previous AS \"velocity_previous!\", last_latitude,\n  last_longitude, last_located_at, last_country\nFROM risk_profiles_of(:subjects!::text[])"};

/**
 * Query generated from SQL:
 * ```
 * -- See risk_profiles_of in sql/migrations/0014_risk_profiles_of.sql: planned for each call.
 * SELECT subject AS "subject!", kind AS "kind!", first_seen_at AS "first_seen_at!", last_seen_at,
 *   successes::double precision AS "successes!", hour_counts AS "hour_counts!", networks AS "networks!",
 *   user_agents AS "user_agents!", recent_failures AS "recent_failures!", last_failure_at, velocity_hour,
 *   velocity_current AS "velocity_current!", velocity_previous AS "velocity_previous!", last_latitude,
 *   last_longitude, last_located_at, last_country
 * FROM risk_profiles_of(:subjects!::text[])
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


