/** Types generated for queries found in "sql/queries/alerts.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type alert_change_kind = 'ACKNOWLEDGED' | 'RAISED' | 'REPEATED' | 'RESOLVED';

export type alert_severity = 'CRITICAL' | 'HIGH' | 'LOW' | 'MEDIUM';

export type alert_state = 'ACKNOWLEDGED' | 'OPEN' | 'RESOLVED';

export type delivery_state = 'DELIVERED' | 'FAILED' | 'PENDING';

export type event_outcome = 'ERROR' | 'FAILURE' | 'SUCCESS';

export type event_severity = 'CRITICAL' | 'INFO' | 'WARNING';

export type event_type = 'ACCESS_DENIED' | 'ACCESS_GRANTED' | 'ACCOUNT_LOCKED' | 'ACCOUNT_UNLOCKED' | 'AUTHORIZATION_CHANGED' | 'BRUTE_FORCE_DETECTED' | 'CONFIGURATION_CHANGED' | 'LOGIN_FAILURE' | 'LOGIN_SUCCESS' | 'LOGOUT' | 'PASSWORD_CHANGED' | 'RATE_LIMITED' | 'SECURITY_ALERT' | 'SERVICE_TOKEN_CREATED' | 'SERVICE_TOKEN_EXPIRED' | 'SERVICE_TOKEN_REVOKED' | 'SERVICE_TOKEN_ROTATED' | 'SESSION_EXPIRED' | 'SUSPICIOUS_ACTIVITY' | 'SYSTEM_ERROR' | 'TOKEN_AUTH_FAILURE' | 'TOKEN_AUTH_SUCCESS' | 'TOKEN_EXCHANGED';

export type failure_reason = 'ACCOUNT_LOCKED' | 'AUTHORIZATION_UNAVAILABLE' | 'CERTIFICATE_IDENTITY_MISSING' | 'DISALLOWED_ALGORITHM' | 'EXPIRED' | 'INSUFFICIENT_SCOPE' | 'INTROSPECTION_UNAVAILABLE' | 'INVALID_CLAIMS' | 'INVALID_PASSWORD' | 'INVALID_SIGNATURE' | 'KEYS_UNAVAILABLE' | 'MALFORMED_CREDENTIAL' | 'MFA_FAILED' | 'MISSING_CLAIM' | 'NOT_YET_VALID' | 'OTHER' | 'PERMISSION_DENIED' | 'RATE_LIMITED' | 'RISK_TOO_HIGH' | 'TOKEN_INACTIVE' | 'TOKEN_REVOKED' | 'TOKEN_ROTATED_OUT' | 'UNKNOWN_KEY' | 'UNKNOWN_TOKEN' | 'UNKNOWN_USER' | 'UNSUPPORTED_CREDENTIAL' | 'UNTRUSTED_CERTIFICATE' | 'WRONG_AUDIENCE' | 'WRONG_ISSUER';

export type principal_kind = 'SERVICE_TOKEN' | 'USER' | 'WORKLOAD';

export type DateOrString = Date | string;

export type DateOrStringArray = (DateOrString)[];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type NumberOrString = number | string;

export type alert_change_kindArray = (alert_change_kind)[];

export type alert_severityArray = (alert_severity)[];

export type event_typeArray = (event_type)[];

export type numberArray = (number)[];

export type stringArray = (string)[];

/** 'LockAlertCursor' parameters type */
export type ILockAlertCursorParams = void;

/** 'LockAlertCursor' return type */
export interface ILockAlertCursorResult {
  eventId: string;
  horizon: string;
  txid: string;
}

/** 'LockAlertCursor' query type */
export interface ILockAlertCursorQuery {
  params: ILockAlertCursorParams;
  result: ILockAlertCursorResult;
}

const lockAlertCursorIR: any = {"usedParamSet":{},"params":[],"statement":"-- The evaluating replica holds this row's lock for its whole run; others skip.\n-- horizon: every transaction below it has finished, so its events are final.\nSELECT txid AS \"txid!\", event_id AS \"eventId!\",\n  pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS \"horizon!\"\nFROM alert_cursor\nFOR UPDATE SKIP LOCKED"};

/**
 * Query generated from SQL:
 * ```
 * -- The evaluating replica holds this row's lock for its whole run; others skip.
 * -- horizon: every transaction below it has finished, so its events are final.
 * SELECT txid AS "txid!", event_id AS "eventId!",
 *   pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS "horizon!"
 * FROM alert_cursor
 * FOR UPDATE SKIP LOCKED
 * ```
 */
export const lockAlertCursor = new PreparedQuery<ILockAlertCursorParams,ILockAlertCursorResult>(lockAlertCursorIR);


/** 'EventsForAlerts' parameters type */
export interface IEventsForAlertsParams {
  fromEventId: string;
  fromTxid: NumberOrString;
  horizon: NumberOrString;
  limit: NumberOrString;
  types?: event_typeArray | null | void;
}

/** 'EventsForAlerts' return type */
export interface IEventsForAlertsResult {
  client_ip: string | null;
  details: Json;
  event_id: string;
  failure_reason: failure_reason | null;
  occurred_at: Date;
  outcome: event_outcome;
  principal_kind: principal_kind | null;
  service_token_name: string | null;
  severity: event_severity;
  source_service: string | null;
  subject: string | null;
  token_id: string | null;
  txid: string;
  type: event_type;
}

/** 'EventsForAlerts' query type */
export interface IEventsForAlertsQuery {
  params: IEventsForAlertsParams;
  result: IEventsForAlertsResult;
}

const eventsForAlertsIR: any = {"usedParamSet":{"fromTxid":true,"horizon":true,"fromEventId":true,"types":true,"limit":true},"params":[{"name":"fromTxid","required":true,"transform":{"type":"scalar"},"locs":[{"a":234,"b":243},{"a":292,"b":301}]},{"name":"horizon","required":true,"transform":{"type":"scalar"},"locs":[{"a":256,"b":264}]},{"name":"fromEventId","required":true,"transform":{"type":"scalar"},"locs":[{"a":304,"b":316}]},{"name":"types","required":false,"transform":{"type":"scalar"},"locs":[{"a":332,"b":337},{"a":376,"b":381}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":415,"b":421}]}],"statement":"SELECT event_id, txid AS \"txid!\", occurred_at, type, severity, outcome, subject, principal_kind,\n  host(client_ip) AS client_ip, token_id, service_token_name, source_service, failure_reason, details\nFROM security_events\nWHERE txid >= :fromTxid! AND txid < :horizon!\n  AND (txid, event_id) > (:fromTxid!, :fromEventId!::uuid)\n  AND (:types::event_type[] IS NULL OR type = ANY (:types))\nORDER BY txid, event_id\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT event_id, txid AS "txid!", occurred_at, type, severity, outcome, subject, principal_kind,
 *   host(client_ip) AS client_ip, token_id, service_token_name, source_service, failure_reason, details
 * FROM security_events
 * WHERE txid >= :fromTxid! AND txid < :horizon!
 *   AND (txid, event_id) > (:fromTxid!, :fromEventId!::uuid)
 *   AND (:types::event_type[] IS NULL OR type = ANY (:types))
 * ORDER BY txid, event_id
 * LIMIT :limit!
 * ```
 */
export const eventsForAlerts = new PreparedQuery<IEventsForAlertsParams,IEventsForAlertsResult>(eventsForAlertsIR);


/** 'AdvanceAlertCursor' parameters type */
export interface IAdvanceAlertCursorParams {
  eventId: string;
  txid: NumberOrString;
}

/** 'AdvanceAlertCursor' return type */
export type IAdvanceAlertCursorResult = void;

/** 'AdvanceAlertCursor' query type */
export interface IAdvanceAlertCursorQuery {
  params: IAdvanceAlertCursorParams;
  result: IAdvanceAlertCursorResult;
}

const advanceAlertCursorIR: any = {"usedParamSet":{"txid":true,"eventId":true},"params":[{"name":"txid","required":true,"transform":{"type":"scalar"},"locs":[{"a":31,"b":36}]},{"name":"eventId","required":true,"transform":{"type":"scalar"},"locs":[{"a":50,"b":58}]}],"statement":"UPDATE alert_cursor SET txid = :txid!, event_id = :eventId!"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE alert_cursor SET txid = :txid!, event_id = :eventId!
 * ```
 */
export const advanceAlertCursor = new PreparedQuery<IAdvanceAlertCursorParams,IAdvanceAlertCursorResult>(advanceAlertCursorIR);


/** 'LoadAlertHits' parameters type */
export interface ILoadAlertHitsParams {
  groupKeys: stringArray;
  rules: stringArray;
}

/** 'LoadAlertHits' return type */
export interface ILoadAlertHitsResult {
  event_id: string | null;
  group_key: string;
  occurred_at: Date;
  rule: string;
}

/** 'LoadAlertHits' query type */
export interface ILoadAlertHitsQuery {
  params: ILoadAlertHitsParams;
  result: ILoadAlertHitsResult;
}

const loadAlertHitsIR: any = {"usedParamSet":{"rules":true,"groupKeys":true},"params":[{"name":"rules","required":true,"transform":{"type":"scalar"},"locs":[{"a":84,"b":90}]},{"name":"groupKeys","required":true,"transform":{"type":"scalar"},"locs":[{"a":101,"b":111}]}],"statement":"SELECT h.rule, h.group_key, h.occurred_at, h.event_id\nFROM alert_hits h\nJOIN unnest(:rules!::text[], :groupKeys!::text[]) AS g(rule, group_key) USING (rule, group_key)\nORDER BY h.occurred_at"};

/**
 * Query generated from SQL:
 * ```
 * SELECT h.rule, h.group_key, h.occurred_at, h.event_id
 * FROM alert_hits h
 * JOIN unnest(:rules!::text[], :groupKeys!::text[]) AS g(rule, group_key) USING (rule, group_key)
 * ORDER BY h.occurred_at
 * ```
 */
export const loadAlertHits = new PreparedQuery<ILoadAlertHitsParams,ILoadAlertHitsResult>(loadAlertHitsIR);


/** 'ReplaceAlertHits' parameters type */
export interface IReplaceAlertHitsParams {
  eventIds: stringArray;
  groupKeys: stringArray;
  occurredAts: DateOrStringArray;
  rules: stringArray;
  touchedGroupKeys: stringArray;
  touchedRules: stringArray;
}

/** 'ReplaceAlertHits' return type */
export type IReplaceAlertHitsResult = void;

/** 'ReplaceAlertHits' query type */
export interface IReplaceAlertHitsQuery {
  params: IReplaceAlertHitsParams;
  result: IReplaceAlertHitsResult;
}

const replaceAlertHitsIR: any = {"usedParamSet":{"touchedRules":true,"touchedGroupKeys":true,"rules":true,"groupKeys":true,"occurredAts":true,"eventIds":true},"params":[{"name":"touchedRules","required":true,"transform":{"type":"scalar"},"locs":[{"a":142,"b":155}]},{"name":"touchedGroupKeys","required":true,"transform":{"type":"scalar"},"locs":[{"a":166,"b":183}]},{"name":"rules","required":true,"transform":{"type":"scalar"},"locs":[{"a":357,"b":363}]},{"name":"groupKeys","required":true,"transform":{"type":"scalar"},"locs":[{"a":374,"b":384}]},{"name":"occurredAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":395,"b":407}]},{"name":"eventIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":425,"b":434}]}],"statement":"-- The touched groups' hits are rewritten whole: what is still inside the window.\nWITH cleared AS (\n  DELETE FROM alert_hits h\n  USING unnest(:touchedRules!::text[], :touchedGroupKeys!::text[]) AS g(rule, group_key)\n  WHERE h.rule = g.rule AND h.group_key = g.group_key\n)\nINSERT INTO alert_hits (rule, group_key, occurred_at, event_id)\nSELECT * FROM unnest(:rules!::text[], :groupKeys!::text[], :occurredAts!::timestamptz[], :eventIds!::uuid[])"};

/**
 * Query generated from SQL:
 * ```
 * -- The touched groups' hits are rewritten whole: what is still inside the window.
 * WITH cleared AS (
 *   DELETE FROM alert_hits h
 *   USING unnest(:touchedRules!::text[], :touchedGroupKeys!::text[]) AS g(rule, group_key)
 *   WHERE h.rule = g.rule AND h.group_key = g.group_key
 * )
 * INSERT INTO alert_hits (rule, group_key, occurred_at, event_id)
 * SELECT * FROM unnest(:rules!::text[], :groupKeys!::text[], :occurredAts!::timestamptz[], :eventIds!::uuid[])
 * ```
 */
export const replaceAlertHits = new PreparedQuery<IReplaceAlertHitsParams,IReplaceAlertHitsResult>(replaceAlertHitsIR);


/** 'PruneAlertHits' parameters type */
export interface IPruneAlertHitsParams {
  before: DateOrString;
}

/** 'PruneAlertHits' return type */
export type IPruneAlertHitsResult = void;

/** 'PruneAlertHits' query type */
export interface IPruneAlertHitsQuery {
  params: IPruneAlertHitsParams;
  result: IPruneAlertHitsResult;
}

const pruneAlertHitsIR: any = {"usedParamSet":{"before":true},"params":[{"name":"before","required":true,"transform":{"type":"scalar"},"locs":[{"a":43,"b":50}]}],"statement":"DELETE FROM alert_hits WHERE occurred_at < :before!"};

/**
 * Query generated from SQL:
 * ```
 * DELETE FROM alert_hits WHERE occurred_at < :before!
 * ```
 */
export const pruneAlertHits = new PreparedQuery<IPruneAlertHitsParams,IPruneAlertHitsResult>(pruneAlertHitsIR);


/** 'LockAlertChanges' parameters type */
export type ILockAlertChangesParams = void;

/** 'LockAlertChanges' return type */
export interface ILockAlertChangesResult {
  pg_advisory_xact_lock: undefined | null;
}

/** 'LockAlertChanges' query type */
export interface ILockAlertChangesQuery {
  params: ILockAlertChangesParams;
  result: ILockAlertChangesResult;
}

const lockAlertChangesIR: any = {"usedParamSet":{},"params":[],"statement":"-- Serialises writers of alert_changes so that seq order is commit order.\nSELECT pg_advisory_xact_lock(hashtext('warden_alert_changes'))"};

/**
 * Query generated from SQL:
 * ```
 * -- Serialises writers of alert_changes so that seq order is commit order.
 * SELECT pg_advisory_xact_lock(hashtext('warden_alert_changes'))
 * ```
 */
export const lockAlertChanges = new PreparedQuery<ILockAlertChangesParams,ILockAlertChangesResult>(lockAlertChangesIR);


/** 'LatestOpenAlerts' parameters type */
export interface ILatestOpenAlertsParams {
  fingerprints: stringArray;
}

/** 'LatestOpenAlerts' return type */
export interface ILatestOpenAlertsResult {
  alert_id: string;
  fingerprint: string;
  last_seen_at: Date;
}

/** 'LatestOpenAlerts' query type */
export interface ILatestOpenAlertsQuery {
  params: ILatestOpenAlertsParams;
  result: ILatestOpenAlertsResult;
}

const latestOpenAlertsIR: any = {"usedParamSet":{"fingerprints":true},"params":[{"name":"fingerprints","required":true,"transform":{"type":"scalar"},"locs":[{"a":196,"b":209}]}],"statement":"-- Each fingerprint's latest open (or acknowledged) alert, for a run's firings to repeat.\nSELECT DISTINCT ON (fingerprint) fingerprint, alert_id, last_seen_at\nFROM alerts\nWHERE fingerprint = ANY (:fingerprints!::text[]) AND state <> 'RESOLVED'\nORDER BY fingerprint, last_seen_at DESC"};

/**
 * Query generated from SQL:
 * ```
 * -- Each fingerprint's latest open (or acknowledged) alert, for a run's firings to repeat.
 * SELECT DISTINCT ON (fingerprint) fingerprint, alert_id, last_seen_at
 * FROM alerts
 * WHERE fingerprint = ANY (:fingerprints!::text[]) AND state <> 'RESOLVED'
 * ORDER BY fingerprint, last_seen_at DESC
 * ```
 */
export const latestOpenAlerts = new PreparedQuery<ILatestOpenAlertsParams,ILatestOpenAlertsResult>(latestOpenAlertsIR);


/** 'WriteAlertFirings' parameters type */
export interface IWriteAlertFiringsParams {
  changeIds: stringArray;
  changeKinds: alert_change_kindArray;
  raisedCounts: numberArray;
  raisedEventIds: stringArray;
  raisedFingerprints: stringArray;
  raisedFirstSeenAts: DateOrStringArray;
  raisedGroupKeys: stringArray;
  raisedIds: stringArray;
  raisedLastSeenAts: DateOrStringArray;
  raisedRules: stringArray;
  raisedSeverities: alert_severityArray;
  raisedSummaries: stringArray;
  repeatedCounts: numberArray;
  repeatedEventIds: stringArray;
  repeatedIds: stringArray;
  repeatedSeenAts: DateOrStringArray;
  sinks: stringArray;
}

/** 'WriteAlertFirings' return type */
export interface IWriteAlertFiringsResult {
  changes: number;
}

/** 'WriteAlertFirings' query type */
export interface IWriteAlertFiringsQuery {
  params: IWriteAlertFiringsParams;
  result: IWriteAlertFiringsResult;
}

const writeAlertFiringsIR: any = {"usedParamSet":{"raisedIds":true,"raisedRules":true,"raisedFingerprints":true,"raisedGroupKeys":true,"raisedSeverities":true,"raisedSummaries":true,"raisedCounts":true,"raisedFirstSeenAts":true,"raisedLastSeenAts":true,"raisedEventIds":true,"repeatedIds":true,"repeatedCounts":true,"repeatedSeenAts":true,"repeatedEventIds":true,"changeIds":true,"changeKinds":true,"sinks":true},"params":[{"name":"raisedIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":525,"b":535}]},{"name":"raisedRules","required":true,"transform":{"type":"scalar"},"locs":[{"a":546,"b":558}]},{"name":"raisedFingerprints","required":true,"transform":{"type":"scalar"},"locs":[{"a":569,"b":588}]},{"name":"raisedGroupKeys","required":true,"transform":{"type":"scalar"},"locs":[{"a":599,"b":615}]},{"name":"raisedSeverities","required":true,"transform":{"type":"scalar"},"locs":[{"a":630,"b":647}]},{"name":"raisedSummaries","required":true,"transform":{"type":"scalar"},"locs":[{"a":668,"b":684}]},{"name":"raisedCounts","required":true,"transform":{"type":"scalar"},"locs":[{"a":695,"b":708}]},{"name":"raisedFirstSeenAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":726,"b":745}]},{"name":"raisedLastSeenAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":763,"b":781}]},{"name":"raisedEventIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":799,"b":814}]},{"name":"repeatedIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":985,"b":997}]},{"name":"repeatedCounts","required":true,"transform":{"type":"scalar"},"locs":[{"a":1008,"b":1023}]},{"name":"repeatedSeenAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":1037,"b":1053}]},{"name":"repeatedEventIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":1071,"b":1088}]},{"name":"changeIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":1274,"b":1284}]},{"name":"changeKinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":1295,"b":1307}]},{"name":"sinks","required":true,"transform":{"type":"scalar"},"locs":[{"a":1594,"b":1600}]}],"statement":"-- A run's firings in one statement: the alerts it raised (with their repeats in the same\n-- run folded in), the repeats of alerts raised before, and one change per firing in firing\n-- order (seq order), each raise queued for every sink (the outbox). Changes reference\n-- alerts inserted by the same statement: foreign keys are checked at its end.\nWITH raised AS (\n  INSERT INTO alerts (alert_id, rule, fingerprint, group_key, severity, summary, count, first_seen_at, last_seen_at, last_event_id)\n  SELECT * FROM unnest(\n    :raisedIds!::uuid[], :raisedRules!::text[], :raisedFingerprints!::text[], :raisedGroupKeys!::text[],\n    :raisedSeverities!::alert_severity[], :raisedSummaries!::text[], :raisedCounts!::integer[],\n    :raisedFirstSeenAts!::timestamptz[], :raisedLastSeenAts!::timestamptz[], :raisedEventIds!::uuid[]\n  )\n), repeated AS (\n  UPDATE alerts a\n  SET count = a.count + r.n, last_seen_at = greatest(a.last_seen_at, r.seen_at), last_event_id = r.event_id\n  FROM unnest(:repeatedIds!::uuid[], :repeatedCounts!::integer[], :repeatedSeenAts!::timestamptz[], :repeatedEventIds!::uuid[])\n    AS r(alert_id, n, seen_at, event_id)\n  WHERE a.alert_id = r.alert_id\n), change AS (\n  INSERT INTO alert_changes (alert_id, kind)\n  SELECT c.alert_id, c.kind\n  FROM unnest(:changeIds!::uuid[], :changeKinds!::alert_change_kind[]) WITH ORDINALITY AS c(alert_id, kind, ord)\n  ORDER BY c.ord\n  RETURNING seq, alert_id, kind\n), outbox AS (\n  INSERT INTO alert_deliveries (delivery_id, alert_id, change_seq, sink)\n  SELECT gen_random_uuid(), change.alert_id, change.seq, sink\n  FROM change, unnest(:sinks!::text[]) AS sink\n  WHERE change.kind = 'RAISED'\n)\nSELECT count(*)::integer AS \"changes!\" FROM change"};

/**
 * Query generated from SQL:
 * ```
 * -- A run's firings in one statement: the alerts it raised (with their repeats in the same
 * -- run folded in), the repeats of alerts raised before, and one change per firing in firing
 * -- order (seq order), each raise queued for every sink (the outbox). Changes reference
 * -- alerts inserted by the same statement: foreign keys are checked at its end.
 * WITH raised AS (
 *   INSERT INTO alerts (alert_id, rule, fingerprint, group_key, severity, summary, count, first_seen_at, last_seen_at, last_event_id)
 *   SELECT * FROM unnest(
 *     :raisedIds!::uuid[], :raisedRules!::text[], :raisedFingerprints!::text[], :raisedGroupKeys!::text[],
 *     :raisedSeverities!::alert_severity[], :raisedSummaries!::text[], :raisedCounts!::integer[],
 *     :raisedFirstSeenAts!::timestamptz[], :raisedLastSeenAts!::timestamptz[], :raisedEventIds!::uuid[]
 *   )
 * ), repeated AS (
 *   UPDATE alerts a
 *   SET count = a.count + r.n, last_seen_at = greatest(a.last_seen_at, r.seen_at), last_event_id = r.event_id
 *   FROM unnest(:repeatedIds!::uuid[], :repeatedCounts!::integer[], :repeatedSeenAts!::timestamptz[], :repeatedEventIds!::uuid[])
 *     AS r(alert_id, n, seen_at, event_id)
 *   WHERE a.alert_id = r.alert_id
 * ), change AS (
 *   INSERT INTO alert_changes (alert_id, kind)
 *   SELECT c.alert_id, c.kind
 *   FROM unnest(:changeIds!::uuid[], :changeKinds!::alert_change_kind[]) WITH ORDINALITY AS c(alert_id, kind, ord)
 *   ORDER BY c.ord
 *   RETURNING seq, alert_id, kind
 * ), outbox AS (
 *   INSERT INTO alert_deliveries (delivery_id, alert_id, change_seq, sink)
 *   SELECT gen_random_uuid(), change.alert_id, change.seq, sink
 *   FROM change, unnest(:sinks!::text[]) AS sink
 *   WHERE change.kind = 'RAISED'
 * )
 * SELECT count(*)::integer AS "changes!" FROM change
 * ```
 */
export const writeAlertFirings = new PreparedQuery<IWriteAlertFiringsParams,IWriteAlertFiringsResult>(writeAlertFiringsIR);


/** 'RecordAlertChange' parameters type */
export interface IRecordAlertChangeParams {
  alertId: string;
  kind: alert_change_kind;
  sinks: stringArray;
}

/** 'RecordAlertChange' return type */
export interface IRecordAlertChangeResult {
  seq: string;
}

/** 'RecordAlertChange' query type */
export interface IRecordAlertChangeQuery {
  params: IRecordAlertChangeParams;
  result: IRecordAlertChangeResult;
}

const recordAlertChangeIR: any = {"usedParamSet":{"alertId":true,"kind":true,"sinks":true},"params":[{"name":"alertId","required":true,"transform":{"type":"scalar"},"locs":[{"a":70,"b":78},{"a":219,"b":227}]},{"name":"kind","required":true,"transform":{"type":"scalar"},"locs":[{"a":81,"b":86}]},{"name":"sinks","required":true,"transform":{"type":"scalar"},"locs":[{"a":267,"b":273}]}],"statement":"WITH change AS (\n  INSERT INTO alert_changes (alert_id, kind) VALUES (:alertId!, :kind!) RETURNING seq\n), outbox AS (\n  INSERT INTO alert_deliveries (delivery_id, alert_id, change_seq, sink)\n  SELECT gen_random_uuid(), :alertId!, change.seq, sink FROM change, unnest(:sinks!::text[]) AS sink\n)\nSELECT seq AS \"seq!\" FROM change"};

/**
 * Query generated from SQL:
 * ```
 * WITH change AS (
 *   INSERT INTO alert_changes (alert_id, kind) VALUES (:alertId!, :kind!) RETURNING seq
 * ), outbox AS (
 *   INSERT INTO alert_deliveries (delivery_id, alert_id, change_seq, sink)
 *   SELECT gen_random_uuid(), :alertId!, change.seq, sink FROM change, unnest(:sinks!::text[]) AS sink
 * )
 * SELECT seq AS "seq!" FROM change
 * ```
 */
export const recordAlertChange = new PreparedQuery<IRecordAlertChangeParams,IRecordAlertChangeResult>(recordAlertChangeIR);


/** 'NotifyAlertsChanged' parameters type */
export type INotifyAlertsChangedParams = void;

/** 'NotifyAlertsChanged' return type */
export interface INotifyAlertsChangedResult {
  pg_notify: undefined | null;
}

/** 'NotifyAlertsChanged' query type */
export interface INotifyAlertsChangedQuery {
  params: INotifyAlertsChangedParams;
  result: INotifyAlertsChangedResult;
}

const notifyAlertsChangedIR: any = {"usedParamSet":{},"params":[],"statement":"-- Wakes every replica's WatchAlerts streams when the transaction commits.\nSELECT pg_notify('warden_alerts', '')"};

/**
 * Query generated from SQL:
 * ```
 * -- Wakes every replica's WatchAlerts streams when the transaction commits.
 * SELECT pg_notify('warden_alerts', '')
 * ```
 */
export const notifyAlertsChanged = new PreparedQuery<INotifyAlertsChangedParams,INotifyAlertsChangedResult>(notifyAlertsChangedIR);


/** 'ListAlerts' parameters type */
export interface IListAlertsParams {
  cursorAlertId?: string | null | void;
  cursorCreatedAt?: DateOrString | null | void;
  limit: NumberOrString;
  minSeverity?: alert_severity | null | void;
  rule?: string | null | void;
  state?: alert_state | null | void;
}

/** 'ListAlerts' return type */
export interface IListAlertsResult {
  acknowledge_note: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  alert_id: string;
  count: number;
  created_at: Date;
  fingerprint: string;
  first_seen_at: Date;
  group_key: string;
  last_event_id: string | null;
  last_seen_at: Date;
  resolve_note: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  rule: string;
  severity: alert_severity;
  state: alert_state;
  summary: string;
}

/** 'ListAlerts' query type */
export interface IListAlertsQuery {
  params: IListAlertsParams;
  result: IListAlertsResult;
}

const listAlertsIR: any = {"usedParamSet":{"state":true,"minSeverity":true,"rule":true,"cursorCreatedAt":true,"cursorAlertId":true,"limit":true},"params":[{"name":"state","required":false,"transform":{"type":"scalar"},"locs":[{"a":92,"b":97},{"a":131,"b":136}]},{"name":"minSeverity","required":false,"transform":{"type":"scalar"},"locs":[{"a":146,"b":157},{"a":198,"b":209}]},{"name":"rule","required":false,"transform":{"type":"scalar"},"locs":[{"a":219,"b":223},{"a":249,"b":253}]},{"name":"cursorCreatedAt","required":false,"transform":{"type":"scalar"},"locs":[{"a":263,"b":278},{"a":330,"b":345}]},{"name":"cursorAlertId","required":false,"transform":{"type":"scalar"},"locs":[{"a":348,"b":361}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":417,"b":423}]}],"statement":"-- Keyset page, newest first; a NULL filter matches everything.\nSELECT *\nFROM alerts\nWHERE (:state::alert_state IS NULL OR state = :state)\n  AND (:minSeverity::alert_severity IS NULL OR severity >= :minSeverity)\n  AND (:rule::text IS NULL OR rule = :rule)\n  AND (:cursorCreatedAt::timestamptz IS NULL OR (created_at, alert_id) < (:cursorCreatedAt, :cursorAlertId::uuid))\nORDER BY created_at DESC, alert_id DESC\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- Keyset page, newest first; a NULL filter matches everything.
 * SELECT *
 * FROM alerts
 * WHERE (:state::alert_state IS NULL OR state = :state)
 *   AND (:minSeverity::alert_severity IS NULL OR severity >= :minSeverity)
 *   AND (:rule::text IS NULL OR rule = :rule)
 *   AND (:cursorCreatedAt::timestamptz IS NULL OR (created_at, alert_id) < (:cursorCreatedAt, :cursorAlertId::uuid))
 * ORDER BY created_at DESC, alert_id DESC
 * LIMIT :limit!
 * ```
 */
export const listAlerts = new PreparedQuery<IListAlertsParams,IListAlertsResult>(listAlertsIR);


/** 'GetAlerts' parameters type */
export interface IGetAlertsParams {
  alertIds: stringArray;
}

/** 'GetAlerts' return type */
export interface IGetAlertsResult {
  acknowledge_note: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  alert_id: string;
  count: number;
  created_at: Date;
  fingerprint: string;
  first_seen_at: Date;
  group_key: string;
  last_event_id: string | null;
  last_seen_at: Date;
  resolve_note: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  rule: string;
  severity: alert_severity;
  state: alert_state;
  summary: string;
}

/** 'GetAlerts' query type */
export interface IGetAlertsQuery {
  params: IGetAlertsParams;
  result: IGetAlertsResult;
}

const getAlertsIR: any = {"usedParamSet":{"alertIds":true},"params":[{"name":"alertIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":43,"b":52}]}],"statement":"SELECT * FROM alerts WHERE alert_id = ANY (:alertIds!::uuid[])"};

/**
 * Query generated from SQL:
 * ```
 * SELECT * FROM alerts WHERE alert_id = ANY (:alertIds!::uuid[])
 * ```
 */
export const getAlerts = new PreparedQuery<IGetAlertsParams,IGetAlertsResult>(getAlertsIR);


/** 'DeliveriesOf' parameters type */
export interface IDeliveriesOfParams {
  alertIds: stringArray;
}

/** 'DeliveriesOf' return type */
export interface IDeliveriesOfResult {
  alert_id: string;
  attempts: number;
  delivered_at: Date | null;
  delivery_id: string;
  last_error: string | null;
  next_attempt_at: Date;
  sink: string;
  state: delivery_state;
}

/** 'DeliveriesOf' query type */
export interface IDeliveriesOfQuery {
  params: IDeliveriesOfParams;
  result: IDeliveriesOfResult;
}

const deliveriesOfIR: any = {"usedParamSet":{"alertIds":true},"params":[{"name":"alertIds","required":true,"transform":{"type":"scalar"},"locs":[{"a":139,"b":148}]}],"statement":"SELECT delivery_id, alert_id, sink, state, attempts, next_attempt_at, delivered_at, last_error\nFROM alert_deliveries\nWHERE alert_id = ANY (:alertIds!::uuid[])\nORDER BY created_at, delivery_id"};

/**
 * Query generated from SQL:
 * ```
 * SELECT delivery_id, alert_id, sink, state, attempts, next_attempt_at, delivered_at, last_error
 * FROM alert_deliveries
 * WHERE alert_id = ANY (:alertIds!::uuid[])
 * ORDER BY created_at, delivery_id
 * ```
 */
export const deliveriesOf = new PreparedQuery<IDeliveriesOfParams,IDeliveriesOfResult>(deliveriesOfIR);


/** 'AcknowledgeAlert' parameters type */
export interface IAcknowledgeAlertParams {
  actor: string;
  alertId: string;
  note: string;
}

/** 'AcknowledgeAlert' return type */
export interface IAcknowledgeAlertResult {
  previous_state: alert_state;
}

/** 'AcknowledgeAlert' query type */
export interface IAcknowledgeAlertQuery {
  params: IAcknowledgeAlertParams;
  result: IAcknowledgeAlertResult;
}

const acknowledgeAlertIR: any = {"usedParamSet":{"actor":true,"note":true,"alertId":true},"params":[{"name":"actor","required":true,"transform":{"type":"scalar"},"locs":[{"a":87,"b":93}]},{"name":"note","required":true,"transform":{"type":"scalar"},"locs":[{"a":115,"b":120}]},{"name":"alertId","required":true,"transform":{"type":"scalar"},"locs":[{"a":162,"b":170}]}],"statement":"UPDATE alerts a\nSET state = 'ACKNOWLEDGED', acknowledged_at = now(), acknowledged_by = :actor!, acknowledge_note = :note!\nFROM alerts previous\nWHERE a.alert_id = :alertId! AND a.state = 'OPEN' AND previous.alert_id = a.alert_id\nRETURNING previous.state AS \"previous_state!\""};

/**
 * Query generated from SQL:
 * ```
 * UPDATE alerts a
 * SET state = 'ACKNOWLEDGED', acknowledged_at = now(), acknowledged_by = :actor!, acknowledge_note = :note!
 * FROM alerts previous
 * WHERE a.alert_id = :alertId! AND a.state = 'OPEN' AND previous.alert_id = a.alert_id
 * RETURNING previous.state AS "previous_state!"
 * ```
 */
export const acknowledgeAlert = new PreparedQuery<IAcknowledgeAlertParams,IAcknowledgeAlertResult>(acknowledgeAlertIR);


/** 'ResolveAlert' parameters type */
export interface IResolveAlertParams {
  actor: string;
  alertId: string;
  note: string;
}

/** 'ResolveAlert' return type */
export interface IResolveAlertResult {
  previous_state: alert_state;
}

/** 'ResolveAlert' query type */
export interface IResolveAlertQuery {
  params: IResolveAlertParams;
  result: IResolveAlertResult;
}

const resolveAlertIR: any = {"usedParamSet":{"actor":true,"note":true,"alertId":true},"params":[{"name":"actor","required":true,"transform":{"type":"scalar"},"locs":[{"a":75,"b":81}]},{"name":"note","required":true,"transform":{"type":"scalar"},"locs":[{"a":99,"b":104}]},{"name":"alertId","required":true,"transform":{"type":"scalar"},"locs":[{"a":146,"b":154}]}],"statement":"UPDATE alerts a\nSET state = 'RESOLVED', resolved_at = now(), resolved_by = :actor!, resolve_note = :note!\nFROM alerts previous\nWHERE a.alert_id = :alertId! AND a.state <> 'RESOLVED' AND previous.alert_id = a.alert_id\nRETURNING previous.state AS \"previous_state!\""};

/**
 * Query generated from SQL:
 * ```
 * UPDATE alerts a
 * SET state = 'RESOLVED', resolved_at = now(), resolved_by = :actor!, resolve_note = :note!
 * FROM alerts previous
 * WHERE a.alert_id = :alertId! AND a.state <> 'RESOLVED' AND previous.alert_id = a.alert_id
 * RETURNING previous.state AS "previous_state!"
 * ```
 */
export const resolveAlert = new PreparedQuery<IResolveAlertParams,IResolveAlertResult>(resolveAlertIR);


/** 'AlertChangesAfter' parameters type */
export interface IAlertChangesAfterParams {
  after: NumberOrString;
  limit: NumberOrString;
}

/** 'AlertChangesAfter' return type */
export interface IAlertChangesAfterResult {
  alertId: string;
  kind: alert_change_kind;
  seq: string;
}

/** 'AlertChangesAfter' query type */
export interface IAlertChangesAfterQuery {
  params: IAlertChangesAfterParams;
  result: IAlertChangesAfterResult;
}

const alertChangesAfterIR: any = {"usedParamSet":{"after":true,"limit":true},"params":[{"name":"after","required":true,"transform":{"type":"scalar"},"locs":[{"a":93,"b":99}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":120,"b":126}]}],"statement":"SELECT seq AS \"seq!\", alert_id AS \"alertId!\", kind AS \"kind!\"\nFROM alert_changes\nWHERE seq > :after!\nORDER BY seq\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT seq AS "seq!", alert_id AS "alertId!", kind AS "kind!"
 * FROM alert_changes
 * WHERE seq > :after!
 * ORDER BY seq
 * LIMIT :limit!
 * ```
 */
export const alertChangesAfter = new PreparedQuery<IAlertChangesAfterParams,IAlertChangesAfterResult>(alertChangesAfterIR);


/** 'LatestAlertChange' parameters type */
export type ILatestAlertChangeParams = void;

/** 'LatestAlertChange' return type */
export interface ILatestAlertChangeResult {
  seq: string;
}

/** 'LatestAlertChange' query type */
export interface ILatestAlertChangeQuery {
  params: ILatestAlertChangeParams;
  result: ILatestAlertChangeResult;
}

const latestAlertChangeIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT coalesce(max(seq), 0) AS \"seq!\" FROM alert_changes"};

/**
 * Query generated from SQL:
 * ```
 * SELECT coalesce(max(seq), 0) AS "seq!" FROM alert_changes
 * ```
 */
export const latestAlertChange = new PreparedQuery<ILatestAlertChangeParams,ILatestAlertChangeResult>(latestAlertChangeIR);


/** 'ClaimDeliveries' parameters type */
export interface IClaimDeliveriesParams {
  leaseSeconds: number;
  limit: NumberOrString;
}

/** 'ClaimDeliveries' return type */
export interface IClaimDeliveriesResult {
  alert_id: string;
  attempts: number;
  change_seq: string;
  delivery_id: string;
  sink: string;
}

/** 'ClaimDeliveries' query type */
export interface IClaimDeliveriesQuery {
  params: IClaimDeliveriesParams;
  result: IClaimDeliveriesResult;
}

const claimDeliveriesIR: any = {"usedParamSet":{"leaseSeconds":true,"limit":true},"params":[{"name":"leaseSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":216,"b":229}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":466,"b":472}]}],"statement":"-- Leases due deliveries to this replica; a lease that lapses (the replica\n-- died mid-delivery) makes the delivery due again: at least once.\nUPDATE alert_deliveries d\nSET lease_until = now() + make_interval(secs => :leaseSeconds!), attempts = d.attempts + 1\nWHERE d.delivery_id IN (\n  SELECT delivery_id FROM alert_deliveries\n  WHERE state = 'PENDING' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())\n  ORDER BY next_attempt_at\n  LIMIT :limit!\n  FOR UPDATE SKIP LOCKED\n)\nRETURNING d.delivery_id, d.alert_id, d.change_seq, d.sink, d.attempts"};

/**
 * Query generated from SQL:
 * ```
 * -- Leases due deliveries to this replica; a lease that lapses (the replica
 * -- died mid-delivery) makes the delivery due again: at least once.
 * UPDATE alert_deliveries d
 * SET lease_until = now() + make_interval(secs => :leaseSeconds!), attempts = d.attempts + 1
 * WHERE d.delivery_id IN (
 *   SELECT delivery_id FROM alert_deliveries
 *   WHERE state = 'PENDING' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
 *   ORDER BY next_attempt_at
 *   LIMIT :limit!
 *   FOR UPDATE SKIP LOCKED
 * )
 * RETURNING d.delivery_id, d.alert_id, d.change_seq, d.sink, d.attempts
 * ```
 */
export const claimDeliveries = new PreparedQuery<IClaimDeliveriesParams,IClaimDeliveriesResult>(claimDeliveriesIR);


/** 'DeliverySucceeded' parameters type */
export interface IDeliverySucceededParams {
  deliveryId: string;
}

/** 'DeliverySucceeded' return type */
export type IDeliverySucceededResult = void;

/** 'DeliverySucceeded' query type */
export interface IDeliverySucceededQuery {
  params: IDeliverySucceededParams;
  result: IDeliverySucceededResult;
}

const deliverySucceededIR: any = {"usedParamSet":{"deliveryId":true},"params":[{"name":"deliveryId","required":true,"transform":{"type":"scalar"},"locs":[{"a":129,"b":140}]}],"statement":"UPDATE alert_deliveries\nSET state = 'DELIVERED', delivered_at = now(), lease_until = NULL, last_error = NULL\nWHERE delivery_id = :deliveryId!"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE alert_deliveries
 * SET state = 'DELIVERED', delivered_at = now(), lease_until = NULL, last_error = NULL
 * WHERE delivery_id = :deliveryId!
 * ```
 */
export const deliverySucceeded = new PreparedQuery<IDeliverySucceededParams,IDeliverySucceededResult>(deliverySucceededIR);


/** 'DeliveryFailed' parameters type */
export interface IDeliveryFailedParams {
  deliveryId: string;
  error: string;
  giveUp: boolean;
  retryInSeconds: number;
}

/** 'DeliveryFailed' return type */
export type IDeliveryFailedResult = void;

/** 'DeliveryFailed' query type */
export interface IDeliveryFailedQuery {
  params: IDeliveryFailedParams;
  result: IDeliveryFailedResult;
}

const deliveryFailedIR: any = {"usedParamSet":{"giveUp":true,"retryInSeconds":true,"error":true,"deliveryId":true},"params":[{"name":"giveUp","required":true,"transform":{"type":"scalar"},"locs":[{"a":46,"b":53}]},{"name":"retryInSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":180,"b":195}]},{"name":"error","required":true,"transform":{"type":"scalar"},"locs":[{"a":232,"b":238}]},{"name":"deliveryId","required":true,"transform":{"type":"scalar"},"locs":[{"a":260,"b":271}]}],"statement":"UPDATE alert_deliveries\nSET state = CASE WHEN :giveUp!::boolean THEN 'FAILED'::delivery_state ELSE 'PENDING'::delivery_state END,\n  next_attempt_at = now() + make_interval(secs => :retryInSeconds!), lease_until = NULL, last_error = :error!\nWHERE delivery_id = :deliveryId!"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE alert_deliveries
 * SET state = CASE WHEN :giveUp!::boolean THEN 'FAILED'::delivery_state ELSE 'PENDING'::delivery_state END,
 *   next_attempt_at = now() + make_interval(secs => :retryInSeconds!), lease_until = NULL, last_error = :error!
 * WHERE delivery_id = :deliveryId!
 * ```
 */
export const deliveryFailed = new PreparedQuery<IDeliveryFailedParams,IDeliveryFailedResult>(deliveryFailedIR);


