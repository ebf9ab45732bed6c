/** Types generated for queries found in "sql/queries/events.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type event_outcome = 'ERROR' | 'FAILURE' | 'SUCCESS';

export type event_severity = 'CRITICAL' | 'INFO' | 'WARNING';

export type event_type = 'ACCESS_DENIED' | 'ACCESS_GRANTED' | 'ACCOUNT_LOCKED' | 'ACCOUNT_UNLOCKED' | 'AUTHORIZATION_CHANGED' | 'BRUTE_FORCE_DETECTED' | 'CONFIGURATION_CHANGED' | 'LOGIN_FAILURE' | 'LOGIN_SUCCESS' | 'LOGOUT' | 'PASSWORD_CHANGED' | 'RATE_LIMITED' | 'SECURITY_ALERT' | 'SERVICE_TOKEN_CREATED' | 'SERVICE_TOKEN_EXPIRED' | 'SERVICE_TOKEN_REVOKED' | 'SERVICE_TOKEN_ROTATED' | 'SESSION_EXPIRED' | 'SUSPICIOUS_ACTIVITY' | 'SYSTEM_ERROR' | 'TOKEN_AUTH_FAILURE' | 'TOKEN_AUTH_SUCCESS' | 'TOKEN_EXCHANGED';

export type failure_reason = 'ACCOUNT_LOCKED' | 'AUTHORIZATION_UNAVAILABLE' | 'CERTIFICATE_IDENTITY_MISSING' | 'DISALLOWED_ALGORITHM' | 'EXPIRED' | 'INSUFFICIENT_SCOPE' | 'INTROSPECTION_UNAVAILABLE' | 'INVALID_CLAIMS' | 'INVALID_PASSWORD' | 'INVALID_SIGNATURE' | 'KEYS_UNAVAILABLE' | 'MALFORMED_CREDENTIAL' | 'MFA_FAILED' | 'MISSING_CLAIM' | 'NOT_YET_VALID' | 'OTHER' | 'PERMISSION_DENIED' | 'RATE_LIMITED' | 'RISK_TOO_HIGH' | 'TOKEN_INACTIVE' | 'TOKEN_REVOKED' | 'TOKEN_ROTATED_OUT' | 'UNKNOWN_KEY' | 'UNKNOWN_TOKEN' | 'UNKNOWN_USER' | 'UNSUPPORTED_CREDENTIAL' | 'UNTRUSTED_CERTIFICATE' | 'WRONG_AUDIENCE' | 'WRONG_ISSUER';

export type principal_kind = 'SERVICE_TOKEN' | 'USER' | 'WORKLOAD';

export type risk_signal = 'AUTOMATION_USER_AGENT' | 'DORMANT_ACCOUNT' | 'FAILURES_BEFORE_SUCCESS' | 'HIGH_VELOCITY' | 'IMPOSSIBLE_TRAVEL' | 'MANY_NETWORKS' | 'NEW_NETWORK' | 'NEW_USER_AGENT' | 'RARE_HOUR' | 'TOKEN_MANY_NETWORKS';

export type DateOrString = Date | string;

export type DateOrStringArray = (DateOrString)[];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type JsonArray = (Json)[];

export type NumberOrString = number | string;

export type event_outcomeArray = (event_outcome)[];

export type event_severityArray = (event_severity)[];

export type event_typeArray = (event_type)[];

export type failure_reasonArray = (failure_reason)[];

export type numberArray = (number)[];

export type principal_kindArray = (principal_kind)[];

export type stringArray = (string)[];

/** 'InsertEvents' parameters type */
export interface IInsertEventsParams {
  clientCountries: stringArray;
  clientIps: stringArray;
  clientLatitudes: numberArray;
  clientLongitudes: numberArray;
  details: JsonArray;
  emails: stringArray;
  eventIds: stringArray;
  failureReasons: failure_reasonArray;
  identityProviders: stringArray;
  occurredAts: DateOrStringArray;
  outcomes: event_outcomeArray;
  principalKinds: principal_kindArray;
  requestIds: stringArray;
  riskScores: numberArray;
  riskSignals: stringArray;
  serviceTokenNames: stringArray;
  severities: event_severityArray;
  sourceServices: stringArray;
  subjects: stringArray;
  tokenIds: stringArray;
  types: event_typeArray;
  userAgents: stringArray;
}

/** 'InsertEvents' return type */
export interface IInsertEventsResult {
  event_id: string;
}

/** 'InsertEvents' query type */
export interface IInsertEventsQuery {
  params: IInsertEventsParams;
  result: IInsertEventsResult;
}

const insertEventsIR: any = {"usedParamSet":{"eventIds":true,"occurredAts":true,"types":true,"severities":true,"outcomes":true,"subjects":true,"principalKinds":true,"emails":true,"serviceTokenNames":true,"tokenIds":true,"clientIps":true,"userAgents":true,"requestIds":true,"sourceServices":true,"failureReasons":true,"riskScores":true,"details":true,"riskSignals":true,"clientLatitudes":true,"clientLongitudes":true,"clientCountries":true,"identityProviders":true},"params":[{"name":"eventIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":238,"b":247}]},{"name":"occurredAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":258,"b":270}]},{"name":"types","required":true,"transform":{"type":"scalar"},"locs":[{"a":288,"b":294}]},{"name":"severities","required":true,"transform":{"type":"scalar"},"locs":[{"a":311,"b":322}]},{"name":"outcomes","required":true,"transform":{"type":"scalar"},"locs":[{"a":343,"b":352}]},{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":376,"b":385}]},{"name":"principalKinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":396,"b":411}]},{"name":"emails","required":true,"transform":{"type":"scalar"},"locs":[{"a":432,"b":439}]},{"name":"serviceTokenNames","required":true,"transform":{"type":"scalar"},"locs":[{"a":450,"b":468}]},{"name":"tokenIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":479,"b":488}]},{"name":"clientIps","required":true,"transform":{"type":"scalar"},"locs":[{"a":503,"b":513}]},{"name":"userAgents","required":true,"transform":{"type":"scalar"},"locs":[{"a":524,"b":535}]},{"name":"requestIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":546,"b":557}]},{"name":"sourceServices","required":true,"transform":{"type":"scalar"},"locs":[{"a":568,"b":583}]},{"name":"failureReasons","required":true,"transform":{"type":"scalar"},"locs":[{"a":598,"b":613}]},{"name":"riskScores","required":true,"transform":{"type":"scalar"},"locs":[{"a":634,"b":645}]},{"name":"details","required":true,"transform":{"type":"scalar"},"locs":[{"a":660,"b":668}]},{"name":"riskSignals","required":true,"transform":{"type":"scalar"},"locs":[{"a":684,"b":696}]},{"name":"clientLatitudes","required":true,"transform":{"type":"scalar"},"locs":[{"a":707,"b":723}]},{"name":"clientLongitudes","required":true,"transform":{"type":"scalar"},"locs":[{"a":746,"b":763}]},{"name":"clientCountries","required":true,"transform":{"type":"scalar"},"locs":[{"a":786,"b":802}]},{"name":"identityProviders","required":true,"transform":{"type":"scalar"},"locs":[{"a":817,"b":835}]}],"statement":"-- Rows arrive as parallel arrays so that one statement, with one plan,\n-- inserts a whole group-commit batch. An id already in security_event_ids is\n-- a retry: it is skipped and not returned.\nWITH batch AS (\n  SELECT * FROM unnest(\n    :eventIds!::uuid[], :occurredAts!::timestamptz[], :types!::event_type[], :severities!::event_severity[], :outcomes!::event_outcome[],\n    :subjects!::text[], :principalKinds!::principal_kind[], :emails!::text[], :serviceTokenNames!::text[], :tokenIds!::text[],\n    :clientIps!::inet[], :userAgents!::text[], :requestIds!::text[], :sourceServices!::text[],\n    :failureReasons!::failure_reason[], :riskScores!::smallint[], :details!::jsonb[],\n    :riskSignals!::text[], :clientLatitudes!::double precision[], :clientLongitudes!::double precision[], :clientCountries!::text[],\n    :identityProviders!::text[]\n  ) WITH ORDINALITY AS b(\n    event_id, occurred_at, type, severity, outcome,\n    subject, principal_kind, email, service_token_name, token_id,\n    client_ip, user_agent, request_id, source_service,\n    failure_reason, risk_score, details,\n    risk_signals, client_latitude, client_longitude, client_country, identity_provider, position\n  )\n), fresh AS (\n  INSERT INTO security_event_ids (event_id, occurred_at)\n  SELECT DISTINCT ON (event_id) event_id, occurred_at FROM batch ORDER BY event_id, position\n  ON CONFLICT (event_id) DO NOTHING\n  RETURNING event_id, occurred_at\n)\nINSERT INTO security_events (\n  event_id, occurred_at, type, severity, outcome,\n  subject, principal_kind, email, service_token_name, token_id,\n  client_ip, user_agent, request_id, source_service,\n  failure_reason, risk_score, details,\n  risk_signals, client_latitude, client_longitude, client_country, identity_provider\n)\nSELECT\n  b.event_id, b.occurred_at, b.type, b.severity, b.outcome,\n  b.subject, b.principal_kind, b.email, b.service_token_name, b.token_id,\n  b.client_ip, b.user_agent, b.request_id, b.source_service,\n  b.failure_reason, b.risk_score, b.details,\n  coalesce(string_to_array(b.risk_signals, ',')::risk_signal[], '{}'), b.client_latitude, b.client_longitude, b.client_country,\n  b.identity_provider\nFROM batch b\nJOIN fresh f ON f.event_id = b.event_id AND f.occurred_at = b.occurred_at\nON CONFLICT DO NOTHING\nRETURNING event_id"};

/**
 * Query generated from SQL:
 * ```
 * -- Rows arrive as parallel arrays so that one statement, with one plan,
 * -- inserts a whole group-commit batch. An id already in security_event_ids is
 * -- a retry: it is skipped and not returned.
 * WITH batch AS (
 *   SELECT * FROM unnest(
 *     :eventIds!::uuid[], :occurredAts!::timestamptz[], :types!::event_type[], :severities!::event_severity[], :outcomes!::event_outcome[],
 *     :subjects!::text[], :principalKinds!::principal_kind[], :emails!::text[], :serviceTokenNames!::text[], :tokenIds!::text[],
 *     :clientIps!::inet[], :userAgents!::text[], :requestIds!::text[], :sourceServices!::text[],
 *     :failureReasons!::failure_reason[], :riskScores!::smallint[], :details!::jsonb[],
 *     :riskSignals!::text[], :clientLatitudes!::double precision[], :clientLongitudes!::double precision[], :clientCountries!::text[],
 *     :identityProviders!::text[]
 *   ) WITH ORDINALITY AS b(
 *     event_id, occurred_at, type, severity, outcome,
 *     subject, principal_kind, email, service_token_name, token_id,
 *     client_ip, user_agent, request_id, source_service,
 *     failure_reason, risk_score, details,
 *     risk_signals, client_latitude, client_longitude, client_country, identity_provider, position
 *   )
 * ), fresh AS (
 *   INSERT INTO security_event_ids (event_id, occurred_at)
 *   SELECT DISTINCT ON (event_id) event_id, occurred_at FROM batch ORDER BY event_id, position
 *   ON CONFLICT (event_id) DO NOTHING
 *   RETURNING event_id, occurred_at
 * )
 * INSERT INTO security_events (
 *   event_id, occurred_at, type, severity, outcome,
 *   subject, principal_kind, email, service_token_name, token_id,
 *   client_ip, user_agent, request_id, source_service,
 *   failure_reason, risk_score, details,
 *   risk_signals, client_latitude, client_longitude, client_country, identity_provider
 * )
 * SELECT
 *   b.event_id, b.occurred_at, b.type, b.severity, b.outcome,
 *   b.subject, b.principal_kind, b.email, b.service_token_name, b.token_id,
 *   b.client_ip, b.user_agent, b.request_id, b.source_service,
 *   b.failure_reason, b.risk_score, b.details,
 *   coalesce(string_to_array(b.risk_signals, ',')::risk_signal[], '{}'), b.client_latitude, b.client_longitude, b.client_country,
 *   b.identity_provider
 * FROM batch b
 * JOIN fresh f ON f.event_id = b.event_id AND f.occurred_at = b.occurred_at
 * ON CONFLICT DO NOTHING
 * RETURNING event_id
 * ```
 */
export const insertEvents = new PreparedQuery<IInsertEventsParams,IInsertEventsResult>(insertEventsIR);


/** 'ListEvents' parameters type */
export interface IListEventsParams {
  clientIp?: string | null | void;
  cursorEventId?: string | null | void;
  cursorOccurredAt?: DateOrString | null | void;
  identityProvider?: string | null | void;
  limit: NumberOrString;
  occurredAfter?: DateOrString | null | void;
  occurredBefore?: DateOrString | null | void;
  outcome?: event_outcome | null | void;
  riskSignal?: risk_signal | null | void;
  subject?: string | null | void;
  type?: event_type | null | void;
}

/** 'ListEvents' return type */
export interface IListEventsResult {
  client_country: string | null;
  client_ip: string | null;
  client_latitude: number | null;
  client_longitude: number | null;
  details: Json;
  email: string | null;
  event_id: string;
  failure_reason: failure_reason | null;
  identity_provider: string | null;
  occurred_at: Date;
  outcome: event_outcome;
  principal_kind: principal_kind | null;
  received_at: Date;
  request_id: string | null;
  risk_score: number;
  risk_signals: stringArray;
  service_token_name: string | null;
  severity: event_severity;
  source_service: string | null;
  subject: string | null;
  token_id: string | null;
  type: event_type;
  user_agent: string | null;
}

/** 'ListEvents' query type */
export interface IListEventsQuery {
  params: IListEventsParams;
  result: IListEventsResult;
}

const listEventsIR: any = {"usedParamSet":{"subject":true,"type":true,"outcome":true,"occurredAfter":true,"occurredBefore":true,"clientIp":true,"riskSignal":true,"identityProvider":true,"cursorOccurredAt":true,"cursorEventId":true,"limit":true},"params":[{"name":"subject","required":false,"transform":{"type":"scalar"},"locs":[{"a":532,"b":539},{"a":568,"b":575}]},{"name":"type","required":false,"transform":{"type":"scalar"},"locs":[{"a":585,"b":589},{"a":621,"b":625}]},{"name":"outcome","required":false,"transform":{"type":"scalar"},"locs":[{"a":635,"b":642},{"a":680,"b":687}]},{"name":"occurredAfter","required":false,"transform":{"type":"scalar"},"locs":[{"a":697,"b":710},{"a":751,"b":764}]},{"name":"occurredBefore","required":false,"transform":{"type":"scalar"},"locs":[{"a":774,"b":788},{"a":828,"b":842}]},{"name":"clientIp","required":false,"transform":{"type":"scalar"},"locs":[{"a":852,"b":860},{"a":891,"b":899}]},{"name":"riskSignal","required":false,"transform":{"type":"scalar"},"locs":[{"a":909,"b":919},{"a":945,"b":955}]},{"name":"identityProvider","required":false,"transform":{"type":"scalar"},"locs":[{"a":986,"b":1002},{"a":1041,"b":1057}]},{"name":"cursorOccurredAt","required":false,"transform":{"type":"scalar"},"locs":[{"a":1067,"b":1083},{"a":1143,"b":1159}]},{"name":"cursorEventId","required":false,"transform":{"type":"scalar"},"locs":[{"a":1162,"b":1175}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":1232,"b":1238}]}],"statement":"-- Keyset page, newest first. A NULL filter matches everything; the cursor is\n-- the (occurred_at, event_id) of the last row of the previous page.\nSELECT\n  event_id, occurred_at, received_at, type, severity, outcome,\n  subject, principal_kind, email, service_token_name, token_id,\n  host(client_ip) AS client_ip, user_agent, request_id, source_service,\n  failure_reason, risk_score, details,\n  risk_signals::text[] AS \"risk_signals!\", client_latitude, client_longitude, client_country, identity_provider\nFROM security_events\nWHERE (:subject::text IS NULL OR subject = :subject)\n  AND (:type::event_type IS NULL OR type = :type)\n  AND (:outcome::event_outcome IS NULL OR outcome = :outcome)\n  AND (:occurredAfter::timestamptz IS NULL OR occurred_at >= :occurredAfter)\n  AND (:occurredBefore::timestamptz IS NULL OR occurred_at < :occurredBefore)\n  AND (:clientIp::inet IS NULL OR client_ip = :clientIp)\n  AND (:riskSignal::risk_signal IS NULL OR :riskSignal = ANY (risk_signals))\n  AND (:identityProvider::text IS NULL OR identity_provider = :identityProvider)\n  AND (:cursorOccurredAt::timestamptz IS NULL\n       OR (occurred_at, event_id) < (:cursorOccurredAt, :cursorEventId::uuid))\nORDER BY occurred_at DESC, event_id DESC\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- Keyset page, newest first. A NULL filter matches everything; the cursor is
 * -- the (occurred_at, event_id) of the last row of the previous page.
 * SELECT
 *   event_id, occurred_at, received_at, type, severity, outcome,
 *   subject, principal_kind, email, service_token_name, token_id,
 *   host(client_ip) AS client_ip, user_agent, request_id, source_service,
 *   failure_reason, risk_score, details,
 *   risk_signals::text[] AS "risk_signals!", client_latitude, client_longitude, client_country, identity_provider
 * FROM security_events
 * WHERE (:subject::text IS NULL OR subject = :subject)
 *   AND (:type::event_type IS NULL OR type = :type)
 *   AND (:outcome::event_outcome IS NULL OR outcome = :outcome)
 *   AND (:occurredAfter::timestamptz IS NULL OR occurred_at >= :occurredAfter)
 *   AND (:occurredBefore::timestamptz IS NULL OR occurred_at < :occurredBefore)
 *   AND (:clientIp::inet IS NULL OR client_ip = :clientIp)
 *   AND (:riskSignal::risk_signal IS NULL OR :riskSignal = ANY (risk_signals))
 *   AND (:identityProvider::text IS NULL OR identity_provider = :identityProvider)
 *   AND (:cursorOccurredAt::timestamptz IS NULL
 *        OR (occurred_at, event_id) < (:cursorOccurredAt, :cursorEventId::uuid))
 * ORDER BY occurred_at DESC, event_id DESC
 * LIMIT :limit!
 * ```
 */
export const listEvents = new PreparedQuery<IListEventsParams,IListEventsResult>(listEventsIR);


