/** Types generated for queries found in "sql/queries/audit.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type DateOrString = Date | string;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type NumberOrString = number | string;

/** 'AppendAuditRecord' parameters type */
export interface IAppendAuditRecordParams {
  action: string;
  actor: string;
  after?: Json | null | void;
  before?: Json | null | void;
  clientIp?: string | null | void;
  recordId: string;
  requestId?: string | null | void;
  target: string;
}

/** 'AppendAuditRecord' return type */
export interface IAppendAuditRecordResult {
  seq: string;
}

/** 'AppendAuditRecord' query type */
export interface IAppendAuditRecordQuery {
  params: IAppendAuditRecordParams;
  result: IAppendAuditRecordResult;
}

const appendAuditRecordIR: any = {"usedParamSet":{"recordId":true,"actor":true,"action":true,"target":true,"requestId":true,"clientIp":true,"before":true,"after":true},"params":[{"name":"recordId","required":true,"transform":{"type":"scalar"},"locs":[{"a":77,"b":86}]},{"name":"actor","required":true,"transform":{"type":"scalar"},"locs":[{"a":95,"b":101}]},{"name":"action","required":true,"transform":{"type":"scalar"},"locs":[{"a":104,"b":111}]},{"name":"target","required":true,"transform":{"type":"scalar"},"locs":[{"a":114,"b":121}]},{"name":"requestId","required":false,"transform":{"type":"scalar"},"locs":[{"a":124,"b":133}]},{"name":"clientIp","required":false,"transform":{"type":"scalar"},"locs":[{"a":136,"b":144}]},{"name":"before","required":false,"transform":{"type":"scalar"},"locs":[{"a":153,"b":159}]},{"name":"after","required":false,"transform":{"type":"scalar"},"locs":[{"a":169,"b":174}]}],"statement":"-- See audit_append in sql/migrations/0006_audit.sql.\nSELECT audit_append(\n  :recordId!::uuid, :actor!, :action!, :target!, :requestId, :clientIp::inet, :before::jsonb, :after::jsonb\n) AS \"seq!\""};

/**
 * Query generated from SQL:
 * ```
 * -- See audit_append in sql/migrations/0006_audit.sql.
 * SELECT audit_append(
 *   :recordId!::uuid, :actor!, :action!, :target!, :requestId, :clientIp::inet, :before::jsonb, :after::jsonb
 * ) AS "seq!"
 * ```
 */
export const appendAuditRecord = new PreparedQuery<IAppendAuditRecordParams,IAppendAuditRecordResult>(appendAuditRecordIR);


/** 'ListAuditRecords' parameters type */
export interface IListAuditRecordsParams {
  action?: string | null | void;
  actor?: string | null | void;
  cursorSeq?: NumberOrString | null | void;
  limit: NumberOrString;
  recordedAfter?: DateOrString | null | void;
  recordedBefore?: DateOrString | null | void;
  target?: string | null | void;
}

/** 'ListAuditRecords' return type */
export interface IListAuditRecordsResult {
  action: string;
  actor: string;
  after: Json | null;
  before: Json | null;
  client_ip: string | null;
  hash: Buffer;
  prev_hash: Buffer;
  record_id: string;
  recorded_at: Date;
  request_id: string | null;
  seq: string;
  target: string;
}

/** 'ListAuditRecords' query type */
export interface IListAuditRecordsQuery {
  params: IListAuditRecordsParams;
  result: IListAuditRecordsResult;
}

const listAuditRecordsIR: any = {"usedParamSet":{"actor":true,"action":true,"target":true,"recordedAfter":true,"recordedBefore":true,"cursorSeq":true,"limit":true},"params":[{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":240,"b":245},{"a":272,"b":277}]},{"name":"action","required":false,"transform":{"type":"scalar"},"locs":[{"a":287,"b":293},{"a":321,"b":327}]},{"name":"target","required":false,"transform":{"type":"scalar"},"locs":[{"a":337,"b":343},{"a":371,"b":377}]},{"name":"recordedAfter","required":false,"transform":{"type":"scalar"},"locs":[{"a":387,"b":400},{"a":441,"b":454}]},{"name":"recordedBefore","required":false,"transform":{"type":"scalar"},"locs":[{"a":464,"b":478},{"a":518,"b":532}]},{"name":"cursorSeq","required":false,"transform":{"type":"scalar"},"locs":[{"a":542,"b":551},{"a":578,"b":587}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":614,"b":620}]}],"statement":"-- Keyset page, newest first; a NULL filter matches everything.\nSELECT seq::text AS \"seq!\", record_id, recorded_at, actor, action, target, request_id, host(client_ip) AS client_ip,\n  before, after, prev_hash, hash\nFROM audit_records\nWHERE (:actor::text IS NULL OR actor = :actor)\n  AND (:action::text IS NULL OR action = :action)\n  AND (:target::text IS NULL OR target = :target)\n  AND (:recordedAfter::timestamptz IS NULL OR recorded_at >= :recordedAfter)\n  AND (:recordedBefore::timestamptz IS NULL OR recorded_at < :recordedBefore)\n  AND (:cursorSeq::bigint IS NULL OR seq < :cursorSeq)\nORDER BY seq DESC\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- Keyset page, newest first; a NULL filter matches everything.
 * SELECT seq::text AS "seq!", record_id, recorded_at, actor, action, target, request_id, host(client_ip) AS client_ip,
 *   before, after, prev_hash, hash
 * FROM audit_records
 * WHERE (:actor::text IS NULL OR actor = :actor)
 *   AND (:action::text IS NULL OR action = :action)
 *   AND (:target::text IS NULL OR target = :target)
 *   AND (:recordedAfter::timestamptz IS NULL OR recorded_at >= :recordedAfter)
 *   AND (:recordedBefore::timestamptz IS NULL OR recorded_at < :recordedBefore)
 *   AND (:cursorSeq::bigint IS NULL OR seq < :cursorSeq)
 * ORDER BY seq DESC
 * LIMIT :limit!
 * ```
 */
export const listAuditRecords = new PreparedQuery<IListAuditRecordsParams,IListAuditRecordsResult>(listAuditRecordsIR);


/** 'VerifyAuditChain' parameters type */
export interface IVerifyAuditChainParams {
  fromSeq: NumberOrString;
  toSeq: NumberOrString;
}

/** 'VerifyAuditChain' return type */
export interface IVerifyAuditChainResult {
  checked: number;
  firstAltered: string | null;
  firstUnlinked: string | null;
}

/** 'VerifyAuditChain' query type */
export interface IVerifyAuditChainQuery {
  params: IVerifyAuditChainParams;
  result: IVerifyAuditChainResult;
}

const verifyAuditChainIR: any = {"usedParamSet":{"fromSeq":true,"toSeq":true},"params":[{"name":"fromSeq","required":true,"transform":{"type":"scalar"},"locs":[{"a":1030,"b":1038},{"a":1125,"b":1133},{"a":1200,"b":1208},{"a":1299,"b":1307}]},{"name":"toSeq","required":true,"transform":{"type":"scalar"},"locs":[{"a":1068,"b":1074}]}],"statement":"-- Recomputes every hash in [fromSeq, toSeq] and checks each record names its\n-- predecessor's hash; returns the number checked and the first broken record.\nWITH checked AS (\n  SELECT seq,\n    hash = audit_hash(prev_hash, audit_canonical(\n      record_id, recorded_at, actor, action, target, request_id, client_ip, before, after)) AS content_intact,\n    CASE\n      WHEN lag(hash) OVER (ORDER BY seq) IS NOT NULL THEN prev_hash = lag(hash) OVER (ORDER BY seq)\n      -- The oldest record left: the chain's start, or the anchor a recorded prune left behind.\n      ELSE prev_hash = '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea\n        OR EXISTS (\n          SELECT FROM audit_records p\n          WHERE p.action = 'audit.prune' AND p.after ->> 'anchor' = encode(audit_records.prev_hash, 'hex')\n        )\n    END AS link_intact\n  FROM audit_records\n  -- From the record before the range (seq has gaps where transactions rolled back).\n  WHERE seq >= coalesce((SELECT max(seq) FROM audit_records WHERE seq < :fromSeq!::bigint), 0)\n    AND seq <= :toSeq!::bigint\n)\nSELECT\n  count(*) FILTER (WHERE seq >= :fromSeq!::bigint)::integer AS \"checked!\",\n  min(seq) FILTER (WHERE seq >= :fromSeq!::bigint AND NOT content_intact)::text AS \"firstAltered\",\n  min(seq) FILTER (WHERE seq >= :fromSeq!::bigint AND NOT link_intact)::text AS \"firstUnlinked\"\nFROM checked"};

/**
 * Query generated from SQL:
 * ```
 * -- Recomputes every hash in [fromSeq, toSeq] and checks each record names its
 * -- predecessor's hash; returns the number checked and the first broken record.
 * WITH checked AS (
 *   SELECT seq,
 *     hash = audit_hash(prev_hash, audit_canonical(
 *       record_id, recorded_at, actor, action, target, request_id, client_ip, before, after)) AS content_intact,
 *     CASE
 *       WHEN lag(hash) OVER (ORDER BY seq) IS NOT NULL THEN prev_hash = lag(hash) OVER (ORDER BY seq)
 *       -- The oldest record left: the chain's start, or the anchor a recorded prune left behind.
 *       ELSE prev_hash = '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
 *         OR EXISTS (
 *           SELECT FROM audit_records p
 *           WHERE p.action = 'audit.prune' AND p.after ->> 'anchor' = encode(audit_records.prev_hash, 'hex')
 *         )
 *     END AS link_intact
 *   FROM audit_records
 *   -- From the record before the range (seq has gaps where transactions rolled back).
 *   WHERE seq >= coalesce((SELECT max(seq) FROM audit_records WHERE seq < :fromSeq!::bigint), 0)
 *     AND seq <= :toSeq!::bigint
 * )
 * SELECT
 *   count(*) FILTER (WHERE seq >= :fromSeq!::bigint)::integer AS "checked!",
 *   min(seq) FILTER (WHERE seq >= :fromSeq!::bigint AND NOT content_intact)::text AS "firstAltered",
 *   min(seq) FILTER (WHERE seq >= :fromSeq!::bigint AND NOT link_intact)::text AS "firstUnlinked"
 * FROM checked
 * ```
 */
export const verifyAuditChain = new PreparedQuery<IVerifyAuditChainParams,IVerifyAuditChainResult>(verifyAuditChainIR);


/** 'ExportAuditPage' parameters type */
export interface IExportAuditPageParams {
  afterSeq: NumberOrString;
  from: DateOrString;
  limit: NumberOrString;
  to: DateOrString;
}

/** 'ExportAuditPage' return type */
export interface IExportAuditPageResult {
  action: string;
  actor: string;
  after: Json | null;
  before: Json | null;
  client_ip: string | null;
  hash: Buffer;
  prev_hash: Buffer;
  record_id: string;
  recorded_at: Date;
  request_id: string | null;
  seq: string;
  target: string;
}

/** 'ExportAuditPage' query type */
export interface IExportAuditPageQuery {
  params: IExportAuditPageParams;
  result: IExportAuditPageResult;
}

const exportAuditPageIR: any = {"usedParamSet":{"from":true,"to":true,"afterSeq":true,"limit":true},"params":[{"name":"from","required":true,"transform":{"type":"scalar"},"locs":[{"a":250,"b":255}]},{"name":"to","required":true,"transform":{"type":"scalar"},"locs":[{"a":275,"b":278}]},{"name":"afterSeq","required":true,"transform":{"type":"scalar"},"locs":[{"a":290,"b":299}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":328,"b":334}]}],"statement":"-- Oldest first by seq; the cursor is the last record sent.\nSELECT seq::text AS \"seq!\", record_id, recorded_at, actor, action, target, request_id, host(client_ip) AS client_ip,\n  before, after, prev_hash, hash\nFROM audit_records\nWHERE recorded_at >= :from! AND recorded_at < :to! AND seq > :afterSeq!::bigint\nORDER BY seq\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- Oldest first by seq; the cursor is the last record sent.
 * SELECT seq::text AS "seq!", record_id, recorded_at, actor, action, target, request_id, host(client_ip) AS client_ip,
 *   before, after, prev_hash, hash
 * FROM audit_records
 * WHERE recorded_at >= :from! AND recorded_at < :to! AND seq > :afterSeq!::bigint
 * ORDER BY seq
 * LIMIT :limit!
 * ```
 */
export const exportAuditPage = new PreparedQuery<IExportAuditPageParams,IExportAuditPageResult>(exportAuditPageIR);


