/** Types generated for queries found in "sql/queries/summary.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type event_outcome = 'ERROR' | 'FAILURE' | 'SUCCESS';

export type event_severity = 'CRITICAL' | 'INFO' | 'WARNING';

export type event_type = 'ACCESS_DENIED' | 'ACCESS_GRANTED' | 'ACCOUNT_LOCKED' | 'ACCOUNT_UNLOCKED' | 'AUTHORIZATION_CHANGED' | 'BRUTE_FORCE_DETECTED' | 'CONFIGURATION_CHANGED' | 'LOGIN_FAILURE' | 'LOGIN_SUCCESS' | 'LOGOUT' | 'PASSWORD_CHANGED' | 'RATE_LIMITED' | 'SECURITY_ALERT' | 'SERVICE_TOKEN_CREATED' | 'SERVICE_TOKEN_EXPIRED' | 'SERVICE_TOKEN_REVOKED' | 'SERVICE_TOKEN_ROTATED' | 'SESSION_EXPIRED' | 'SUSPICIOUS_ACTIVITY' | 'SYSTEM_ERROR' | 'TOKEN_AUTH_FAILURE' | 'TOKEN_AUTH_SUCCESS' | 'TOKEN_EXCHANGED';

export type failure_reason = 'ACCOUNT_LOCKED' | 'AUTHORIZATION_UNAVAILABLE' | 'CERTIFICATE_IDENTITY_MISSING' | 'DISALLOWED_ALGORITHM' | 'EXPIRED' | 'INSUFFICIENT_SCOPE' | 'INTROSPECTION_UNAVAILABLE' | 'INVALID_CLAIMS' | 'INVALID_PASSWORD' | 'INVALID_SIGNATURE' | 'KEYS_UNAVAILABLE' | 'MALFORMED_CREDENTIAL' | 'MFA_FAILED' | 'MISSING_CLAIM' | 'NOT_YET_VALID' | 'OTHER' | 'PERMISSION_DENIED' | 'RATE_LIMITED' | 'RISK_TOO_HIGH' | 'TOKEN_INACTIVE' | 'TOKEN_REVOKED' | 'TOKEN_ROTATED_OUT' | 'UNKNOWN_KEY' | 'UNKNOWN_TOKEN' | 'UNKNOWN_USER' | 'UNSUPPORTED_CREDENTIAL' | 'UNTRUSTED_CERTIFICATE' | 'WRONG_AUDIENCE' | 'WRONG_ISSUER';

export type principal_kind = 'SERVICE_TOKEN' | 'USER' | 'WORKLOAD';

export type DateOrString = Date | string;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type NumberOrString = number | string;

export type stringArray = (string)[];

/** 'SummaryCounts' parameters type */
export interface ISummaryCountsParams {
  bucket: string;
  from: DateOrString;
  to: DateOrString;
}

/** 'SummaryCounts' return type */
export interface ISummaryCountsResult {
  bucketStart: Date;
  count: number;
  dimension: string;
  key: string;
}

/** 'SummaryCounts' query type */
export interface ISummaryCountsQuery {
  params: ISummaryCountsParams;
  result: ISummaryCountsResult;
}

const summaryCountsIR: any = {"usedParamSet":{"bucket":true,"from":true,"to":true},"params":[{"name":"bucket","required":true,"transform":{"type":"scalar"},"locs":[{"a":367,"b":374}]},{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":484,"b":489}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":509,"b":512}]}],"statement":"-- One scan: counts per bucket by type, by outcome and by severity.\nSELECT bucket_start AS \"bucketStart!\",\n  CASE\n    WHEN GROUPING(type) = 0 THEN 'type'\n    WHEN GROUPING(outcome) = 0 THEN 'outcome'\n    ELSE 'severity'\n  END AS \"dimension!\",\n  coalesce(type::text, outcome::text, severity::text) AS \"key!\",\n  count(*)::integer AS \"count!\"\nFROM (\n  SELECT date_trunc(:bucket!, occurred_at, 'UTC') AS bucket_start, type, outcome, severity\n  FROM security_events\n  WHERE occurred_at >= :from! AND occurred_at < :to!\n) e\nGROUP BY GROUPING SETS ((bucket_start, type), (bucket_start, outcome), (bucket_start, severity))\nORDER BY 1, 2, 4 DESC, 3"};

/**
 * Query generated from SQL:
 * ```
 * -- One scan: counts per bucket by type, by outcome and by severity.
 * SELECT bucket_start AS "bucketStart!",
 *   CASE
 *     WHEN GROUPING(type) = 0 THEN 'type'
 *     WHEN GROUPING(outcome) = 0 THEN 'outcome'
 *     ELSE 'severity'
 *   END AS "dimension!",
 *   coalesce(type::text, outcome::text, severity::text) AS "key!",
 *   count(*)::integer AS "count!"
 * FROM (
 *   SELECT date_trunc(:bucket!, occurred_at, 'UTC') AS bucket_start, type, outcome, severity
 *   FROM security_events
 *   WHERE occurred_at >= :from! AND occurred_at < :to!
 * ) e
 * GROUP BY GROUPING SETS ((bucket_start, type), (bucket_start, outcome), (bucket_start, severity))
 * ORDER BY 1, 2, 4 DESC, 3
 * ```
 */
export const summaryCounts = new PreparedQuery<ISummaryCountsParams,ISummaryCountsResult>(summaryCountsIR);


/** 'TopFailing' parameters type */
export interface ITopFailingParams {
  from: DateOrString;
  to: DateOrString;
  top: NumberOrString;
}

/** 'TopFailing' return type */
export interface ITopFailingResult {
  count: number;
  dimension: string;
  key: string;
}

/** 'TopFailing' query type */
export interface ITopFailingQuery {
  params: ITopFailingParams;
  result: ITopFailingResult;
}

const topFailingIR: any = {"usedParamSet":{"from":true,"to":true,"top":true},"params":[{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":205,"b":210},{"a":491,"b":496},{"a":760,"b":765}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":230,"b":233},{"a":516,"b":519},{"a":785,"b":788}]},{"name":"top","required":true,"transform":{"type":"scalar"},"locs":[{"a":381,"b":385},{"a":616,"b":620},{"a":983,"b":987}]}],"statement":"-- The subjects, addresses and service tokens with the most failed attempts.\n(SELECT 'subject' AS \"dimension!\", subject AS \"key!\", count(*)::integer AS \"count!\"\n FROM security_events\n WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND subject IS NOT NULL\n   AND principal_kind IS DISTINCT FROM 'SERVICE_TOKEN'\n GROUP BY subject ORDER BY 3 DESC, 2 LIMIT :top!)\nUNION ALL\n(SELECT 'ip', host(client_ip), count(*)::integer\n FROM security_events\n WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND client_ip IS NOT NULL\n GROUP BY client_ip ORDER BY 3 DESC, 2 LIMIT :top!)\nUNION ALL\n(SELECT 'service_token', coalesce(service_token_name, token_id), count(*)::integer\n FROM security_events\n WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND principal_kind = 'SERVICE_TOKEN'\n   AND coalesce(service_token_name, token_id) IS NOT NULL\n GROUP BY coalesce(service_token_name, token_id) ORDER BY 3 DESC, 2 LIMIT :top!)"};

/**
 * Query generated from SQL:
 * ```
 * -- The subjects, addresses and service tokens with the most failed attempts.
 * (SELECT 'subject' AS "dimension!", subject AS "key!", count(*)::integer AS "count!"
 *  FROM security_events
 *  WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND subject IS NOT NULL
 *    AND principal_kind IS DISTINCT FROM 'SERVICE_TOKEN'
 *  GROUP BY subject ORDER BY 3 DESC, 2 LIMIT :top!)
 * UNION ALL
 * (SELECT 'ip', host(client_ip), count(*)::integer
 *  FROM security_events
 *  WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND client_ip IS NOT NULL
 *  GROUP BY client_ip ORDER BY 3 DESC, 2 LIMIT :top!)
 * UNION ALL
 * (SELECT 'service_token', coalesce(service_token_name, token_id), count(*)::integer
 *  FROM security_events
 *  WHERE occurred_at >= :from! AND occurred_at < :to! AND outcome = 'FAILURE' AND principal_kind = 'SERVICE_TOKEN'
 *    AND coalesce(service_token_name, token_id) IS NOT NULL
 *  GROUP BY coalesce(service_token_name, token_id) ORDER BY 3 DESC, 2 LIMIT :top!)
 * ```
 */
export const topFailing = new PreparedQuery<ITopFailingParams,ITopFailingResult>(topFailingIR);


/** 'CountLockouts' parameters type */
export interface ICountLockoutsParams {
  from: DateOrString;
  to: DateOrString;
}

/** 'CountLockouts' return type */
export interface ICountLockoutsResult {
  count: number;
}

/** 'CountLockouts' query type */
export interface ICountLockoutsQuery {
  params: ICountLockoutsParams;
  result: ICountLockoutsResult;
}

const countLockoutsIR: any = {"usedParamSet":{"from":true,"to":true},"params":[{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":79,"b":84}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":104,"b":107}]}],"statement":"SELECT count(*)::integer AS \"count!\"\nFROM security_events\nWHERE occurred_at >= :from! AND occurred_at < :to! AND type = 'ACCOUNT_LOCKED'"};

/**
 * Query generated from SQL:
 * ```
 * SELECT count(*)::integer AS "count!"
 * FROM security_events
 * WHERE occurred_at >= :from! AND occurred_at < :to! AND type = 'ACCOUNT_LOCKED'
 * ```
 */
export const countLockouts = new PreparedQuery<ICountLockoutsParams,ICountLockoutsResult>(countLockoutsIR);


/** 'AlertsBySeverity' parameters type */
export interface IAlertsBySeverityParams {
  from: DateOrString;
  to: DateOrString;
}

/** 'AlertsBySeverity' return type */
export interface IAlertsBySeverityResult {
  count: number;
  key: string;
}

/** 'AlertsBySeverity' query type */
export interface IAlertsBySeverityQuery {
  params: IAlertsBySeverityParams;
  result: IAlertsBySeverityResult;
}

const alertsBySeverityIR: any = {"usedParamSet":{"from":true,"to":true},"params":[{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":95,"b":100}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":119,"b":122}]}],"statement":"SELECT severity::text AS \"key!\", count(*)::integer AS \"count!\"\nFROM alerts\nWHERE created_at >= :from! AND created_at < :to!\nGROUP BY severity\nORDER BY severity DESC"};

/**
 * Query generated from SQL:
 * ```
 * SELECT severity::text AS "key!", count(*)::integer AS "count!"
 * FROM alerts
 * WHERE created_at >= :from! AND created_at < :to!
 * GROUP BY severity
 * ORDER BY severity DESC
 * ```
 */
export const alertsBySeverity = new PreparedQuery<IAlertsBySeverityParams,IAlertsBySeverityResult>(alertsBySeverityIR);


/** 'ExportEventsPage' parameters type */
export interface IExportEventsPageParams {
  afterEventId: string;
  afterOccurredAt: DateOrString;
  from: DateOrString;
  limit: NumberOrString;
  to: DateOrString;
}

/** 'ExportEventsPage' return type */
export interface IExportEventsPageResult {
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

/** 'ExportEventsPage' query type */
export interface IExportEventsPageQuery {
  params: IExportEventsPageParams;
  result: IExportEventsPageResult;
}

const exportEventsPageIR: any = {"usedParamSet":{"from":true,"to":true,"afterOccurredAt":true,"afterEventId":true,"limit":true},"params":[{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":476,"b":481}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":501,"b":504}]},{"name":"afterOccurredAt","required":true,"transform":{"type":"scalar"},"locs":[{"a":539,"b":555}]},{"name":"afterEventId","required":true,"transform":{"type":"scalar"},"locs":[{"a":558,"b":571}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":617,"b":623}]}],"statement":"-- Oldest first by (occurred_at, event_id); the cursor is the last row sent.\nSELECT\n  event_id, occurred_at, received_at, type, severity, outcome,\n  subject, principal_kind, email, service_token_name, token_id,\n  host(client_ip) AS client_ip, user_agent, request_id, source_service,\n  failure_reason, risk_score, details,\n  risk_signals::text[] AS \"risk_signals!\", client_latitude, client_longitude, client_country, identity_provider\nFROM security_events\nWHERE occurred_at >= :from! AND occurred_at < :to!\n  AND (occurred_at, event_id) > (:afterOccurredAt!, :afterEventId!::uuid)\nORDER BY occurred_at, event_id\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- Oldest first by (occurred_at, event_id); the cursor is the last row sent.
 * SELECT
 *   event_id, occurred_at, received_at, type, severity, outcome,
 *   subject, principal_kind, email, service_token_name, token_id,
 *   host(client_ip) AS client_ip, user_agent, request_id, source_service,
 *   failure_reason, risk_score, details,
 *   risk_signals::text[] AS "risk_signals!", client_latitude, client_longitude, client_country, identity_provider
 * FROM security_events
 * WHERE occurred_at >= :from! AND occurred_at < :to!
 *   AND (occurred_at, event_id) > (:afterOccurredAt!, :afterEventId!::uuid)
 * ORDER BY occurred_at, event_id
 * LIMIT :limit!
 * ```
 */
export const exportEventsPage = new PreparedQuery<IExportEventsPageParams,IExportEventsPageResult>(exportEventsPageIR);


/** 'CountEventsInRange' parameters type */
export interface ICountEventsInRangeParams {
  from: DateOrString;
  to: DateOrString;
}

/** 'CountEventsInRange' return type */
export interface ICountEventsInRangeResult {
  count: number;
}

/** 'CountEventsInRange' query type */
export interface ICountEventsInRangeQuery {
  params: ICountEventsInRangeParams;
  result: ICountEventsInRangeResult;
}

const countEventsInRangeIR: any = {"usedParamSet":{"from":true,"to":true},"params":[{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":79,"b":84}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":104,"b":107}]}],"statement":"SELECT count(*)::integer AS \"count!\"\nFROM security_events\nWHERE occurred_at >= :from! AND occurred_at < :to!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT count(*)::integer AS "count!"
 * FROM security_events
 * WHERE occurred_at >= :from! AND occurred_at < :to!
 * ```
 */
export const countEventsInRange = new PreparedQuery<ICountEventsInRangeParams,ICountEventsInRangeResult>(countEventsInRangeIR);


/** 'CountAuditInRange' parameters type */
export interface ICountAuditInRangeParams {
  from: DateOrString;
  to: DateOrString;
}

/** 'CountAuditInRange' return type */
export interface ICountAuditInRangeResult {
  count: number;
}

/** 'CountAuditInRange' query type */
export interface ICountAuditInRangeQuery {
  params: ICountAuditInRangeParams;
  result: ICountAuditInRangeResult;
}

const countAuditInRangeIR: any = {"usedParamSet":{"from":true,"to":true},"params":[{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":77,"b":82}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":102,"b":105}]}],"statement":"SELECT count(*)::integer AS \"count!\"\nFROM audit_records\nWHERE recorded_at >= :from! AND recorded_at < :to!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT count(*)::integer AS "count!"
 * FROM audit_records
 * WHERE recorded_at >= :from! AND recorded_at < :to!
 * ```
 */
export const countAuditInRange = new PreparedQuery<ICountAuditInRangeParams,ICountAuditInRangeResult>(countAuditInRangeIR);


