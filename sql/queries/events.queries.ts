/** Types generated for queries found in "sql/queries/events.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type event_outcome = 'ERROR' | 'FAILURE' | 'SUCCESS';

export type event_severity = 'CRITICAL' | 'INFO' | 'WARNING';

export type event_type = 'ACCOUNT_LOCKED' | 'ACCOUNT_UNLOCKED' | 'BRUTE_FORCE_DETECTED' | 'CONFIGURATION_CHANGED' | 'LOGIN_FAILURE' | 'LOGIN_SUCCESS' | 'LOGOUT' | 'PASSWORD_CHANGED' | 'RATE_LIMITED' | 'SECURITY_ALERT' | 'SERVICE_TOKEN_CREATED' | 'SERVICE_TOKEN_EXPIRED' | 'SERVICE_TOKEN_REVOKED' | 'SERVICE_TOKEN_ROTATED' | 'SESSION_EXPIRED' | 'SUSPICIOUS_ACTIVITY' | 'SYSTEM_ERROR' | 'TOKEN_AUTH_FAILURE' | 'TOKEN_AUTH_SUCCESS';

export type failure_reason = 'ACCOUNT_LOCKED' | 'DISALLOWED_ALGORITHM' | 'EXPIRED' | 'INSUFFICIENT_SCOPE' | 'INVALID_PASSWORD' | 'INVALID_SIGNATURE' | 'KEYS_UNAVAILABLE' | 'MALFORMED_CREDENTIAL' | 'MFA_FAILED' | 'MISSING_CLAIM' | 'NOT_YET_VALID' | 'OTHER' | 'RATE_LIMITED' | 'RISK_TOO_HIGH' | 'TOKEN_REVOKED' | 'TOKEN_ROTATED_OUT' | 'UNKNOWN_KEY' | 'UNKNOWN_TOKEN' | 'UNKNOWN_USER' | 'UNSUPPORTED_CREDENTIAL' | 'WRONG_AUDIENCE' | 'WRONG_ISSUER';

export type principal_kind = 'SERVICE_TOKEN' | 'USER';

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
  clientIps: stringArray;
  details: JsonArray;
  emails: stringArray;
  eventIds: stringArray;
  failureReasons: failure_reasonArray;
  occurredAts: DateOrStringArray;
  outcomes: event_outcomeArray;
  principalKinds: principal_kindArray;
  requestIds: stringArray;
  riskScores: numberArray;
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
  received_at: Date;
}

/** 'InsertEvents' query type */
export interface IInsertEventsQuery {
  params: IInsertEventsParams;
  result: IInsertEventsResult;
}

const insertEventsIR: any = {"usedParamSet":{"eventIds":true,"occurredAts":true,"types":true,"severities":true,"outcomes":true,"subjects":true,"principalKinds":true,"emails":true,"serviceTokenNames":true,"tokenIds":true,"clientIps":true,"userAgents":true,"requestIds":true,"sourceServices":true,"failureReasons":true,"riskScores":true,"details":true},"params":[{"name":"eventIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":609,"b":618}]},{"name":"occurredAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":629,"b":641}]},{"name":"types","required":true,"transform":{"type":"scalar"},"locs":[{"a":659,"b":665}]},{"name":"severities","required":true,"transform":{"type":"scalar"},"locs":[{"a":682,"b":693}]},{"name":"outcomes","required":true,"transform":{"type":"scalar"},"locs":[{"a":714,"b":723}]},{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":745,"b":754}]},{"name":"principalKinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":765,"b":780}]},{"name":"emails","required":true,"transform":{"type":"scalar"},"locs":[{"a":801,"b":808}]},{"name":"serviceTokenNames","required":true,"transform":{"type":"scalar"},"locs":[{"a":819,"b":837}]},{"name":"tokenIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":848,"b":857}]},{"name":"clientIps","required":true,"transform":{"type":"scalar"},"locs":[{"a":870,"b":880}]},{"name":"userAgents","required":true,"transform":{"type":"scalar"},"locs":[{"a":891,"b":902}]},{"name":"requestIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":913,"b":924}]},{"name":"sourceServices","required":true,"transform":{"type":"scalar"},"locs":[{"a":935,"b":950}]},{"name":"failureReasons","required":true,"transform":{"type":"scalar"},"locs":[{"a":963,"b":978}]},{"name":"riskScores","required":true,"transform":{"type":"scalar"},"locs":[{"a":999,"b":1010}]},{"name":"details","required":true,"transform":{"type":"scalar"},"locs":[{"a":1025,"b":1033}]}],"statement":"-- Rows arrive as parallel arrays so that one statement, with one plan,\n-- inserts a whole group-commit batch.\nINSERT INTO security_events (\n  event_id, occurred_at, type, severity, outcome,\n  subject, principal_kind, email, service_token_name, token_id,\n  client_ip, user_agent, request_id, source_service,\n  failure_reason, risk_score, details\n)\nSELECT\n  b.event_id, b.occurred_at, b.type, b.severity, b.outcome,\n  b.subject, b.principal_kind, b.email, b.service_token_name, b.token_id,\n  b.client_ip, b.user_agent, b.request_id, b.source_service,\n  b.failure_reason, b.risk_score, b.details\nFROM unnest(\n  :eventIds!::uuid[], :occurredAts!::timestamptz[], :types!::event_type[], :severities!::event_severity[], :outcomes!::event_outcome[],\n  :subjects!::text[], :principalKinds!::principal_kind[], :emails!::text[], :serviceTokenNames!::text[], :tokenIds!::text[],\n  :clientIps!::inet[], :userAgents!::text[], :requestIds!::text[], :sourceServices!::text[],\n  :failureReasons!::failure_reason[], :riskScores!::smallint[], :details!::jsonb[]\n) AS b(\n  event_id, occurred_at, type, severity, outcome,\n  subject, principal_kind, email, service_token_name, token_id,\n  client_ip, user_agent, request_id, source_service,\n  failure_reason, risk_score, details\n)\nON CONFLICT (event_id) DO NOTHING\nRETURNING event_id, received_at"};

/**
 * Query generated from SQL:
 * ```
 * -- Rows arrive as parallel arrays so that one statement, with one plan,
 * -- inserts a whole group-commit batch.
 * INSERT INTO security_events (
 *   event_id, occurred_at, type, severity, outcome,
 *   subject, principal_kind, email, service_token_name, token_id,
 *   client_ip, user_agent, request_id, source_service,
 *   failure_reason, risk_score, details
 * )
 * SELECT
 *   b.event_id, b.occurred_at, b.type, b.severity, b.outcome,
 *   b.subject, b.principal_kind, b.email, b.service_token_name, b.token_id,
 *   b.client_ip, b.user_agent, b.request_id, b.source_service,
 *   b.failure_reason, b.risk_score, b.details
 * FROM unnest(
 *   :eventIds!::uuid[], :occurredAts!::timestamptz[], :types!::event_type[], :severities!::event_severity[], :outcomes!::event_outcome[],
 *   :subjects!::text[], :principalKinds!::principal_kind[], :emails!::text[], :serviceTokenNames!::text[], :tokenIds!::text[],
 *   :clientIps!::inet[], :userAgents!::text[], :requestIds!::text[], :sourceServices!::text[],
 *   :failureReasons!::failure_reason[], :riskScores!::smallint[], :details!::jsonb[]
 * ) AS b(
 *   event_id, occurred_at, type, severity, outcome,
 *   subject, principal_kind, email, service_token_name, token_id,
 *   client_ip, user_agent, request_id, source_service,
 *   failure_reason, risk_score, details
 * )
 * ON CONFLICT (event_id) DO NOTHING
 * RETURNING event_id, received_at
 * ```
 */
export const insertEvents = new PreparedQuery<IInsertEventsParams,IInsertEventsResult>(insertEventsIR);


/** 'ListEvents' parameters type */
export interface IListEventsParams {
  clientIp?: string | null | void;
  cursorEventId?: string | null | void;
  cursorOccurredAt?: DateOrString | null | void;
  limit: NumberOrString;
  occurredAfter?: DateOrString | null | void;
  occurredBefore?: DateOrString | null | void;
  outcome?: event_outcome | null | void;
  subject?: string | null | void;
  type?: event_type | null | void;
}

/** 'ListEvents' return type */
export interface IListEventsResult {
  client_ip: string | null;
  details: Json;
  email: string | null;
  event_id: string;
  failure_reason: failure_reason | null;
  occurred_at: Date;
  outcome: event_outcome;
  principal_kind: principal_kind | null;
  received_at: Date;
  request_id: string | null;
  risk_score: number;
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

const listEventsIR: any = {"usedParamSet":{"subject":true,"type":true,"outcome":true,"occurredAfter":true,"occurredBefore":true,"clientIp":true,"cursorOccurredAt":true,"cursorEventId":true,"limit":true},"params":[{"name":"subject","required":false,"transform":{"type":"scalar"},"locs":[{"a":419,"b":426},{"a":455,"b":462}]},{"name":"type","required":false,"transform":{"type":"scalar"},"locs":[{"a":472,"b":476},{"a":508,"b":512}]},{"name":"outcome","required":false,"transform":{"type":"scalar"},"locs":[{"a":522,"b":529},{"a":567,"b":574}]},{"name":"occurredAfter","required":false,"transform":{"type":"scalar"},"locs":[{"a":584,"b":597},{"a":638,"b":651}]},{"name":"occurredBefore","required":false,"transform":{"type":"scalar"},"locs":[{"a":661,"b":675},{"a":715,"b":729}]},{"name":"clientIp","required":false,"transform":{"type":"scalar"},"locs":[{"a":739,"b":747},{"a":778,"b":786}]},{"name":"cursorOccurredAt","required":false,"transform":{"type":"scalar"},"locs":[{"a":796,"b":812},{"a":872,"b":888}]},{"name":"cursorEventId","required":false,"transform":{"type":"scalar"},"locs":[{"a":891,"b":904}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":961,"b":967}]}],"statement":"-- Keyset page, newest first. A NULL filter matches everything; the cursor is\n-- the (occurred_at, event_id) of the last row of the previous page.\nSELECT\n  event_id, occurred_at, received_at, type, severity, outcome,\n  subject, principal_kind, email, service_token_name, token_id,\n  host(client_ip) AS client_ip, user_agent, request_id, source_service,\n  failure_reason, risk_score, details\nFROM security_events\nWHERE (:subject::text IS NULL OR subject = :subject)\n  AND (:type::event_type IS NULL OR type = :type)\n  AND (:outcome::event_outcome IS NULL OR outcome = :outcome)\n  AND (:occurredAfter::timestamptz IS NULL OR occurred_at >= :occurredAfter)\n  AND (:occurredBefore::timestamptz IS NULL OR occurred_at < :occurredBefore)\n  AND (:clientIp::inet IS NULL OR client_ip = :clientIp)\n  AND (:cursorOccurredAt::timestamptz IS NULL\n       OR (occurred_at, event_id) < (:cursorOccurredAt, :cursorEventId::uuid))\nORDER BY occurred_at DESC, event_id DESC\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- Keyset page, newest first. A NULL filter matches everything; the cursor is
 * -- the (occurred_at, event_id) of the last row of the previous page.
 * SELECT
 *   event_id, occurred_at, received_at, type, severity, outcome,
 *   subject, principal_kind, email, service_token_name, token_id,
 *   host(client_ip) AS client_ip, user_agent, request_id, source_service,
 *   failure_reason, risk_score, details
 * FROM security_events
 * WHERE (:subject::text IS NULL OR subject = :subject)
 *   AND (:type::event_type IS NULL OR type = :type)
 *   AND (:outcome::event_outcome IS NULL OR outcome = :outcome)
 *   AND (:occurredAfter::timestamptz IS NULL OR occurred_at >= :occurredAfter)
 *   AND (:occurredBefore::timestamptz IS NULL OR occurred_at < :occurredBefore)
 *   AND (:clientIp::inet IS NULL OR client_ip = :clientIp)
 *   AND (:cursorOccurredAt::timestamptz IS NULL
 *        OR (occurred_at, event_id) < (:cursorOccurredAt, :cursorEventId::uuid))
 * ORDER BY occurred_at DESC, event_id DESC
 * LIMIT :limit!
 * ```
 */
export const listEvents = new PreparedQuery<IListEventsParams,IListEventsResult>(listEventsIR);


