/** Types generated for queries found in "sql/queries/retention.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type event_severity = 'CRITICAL' | 'INFO' | 'WARNING';

export type DateOrString = Date | string;

export type NumberOrString = number | string;

/** 'CountExpiredEvents' parameters type */
export interface ICountExpiredEventsParams {
  before: DateOrString;
  severity: event_severity;
}

/** 'CountExpiredEvents' return type */
export interface ICountExpiredEventsResult {
  count: number;
}

/** 'CountExpiredEvents' query type */
export interface ICountExpiredEventsQuery {
  params: ICountExpiredEventsParams;
  result: ICountExpiredEventsResult;
}

const countExpiredEventsIR: any = {"usedParamSet":{"severity":true,"before":true},"params":[{"name":"severity","required":true,"transform":{"type":"scalar"},"locs":[{"a":75,"b":84}]},{"name":"before","required":true,"transform":{"type":"scalar"},"locs":[{"a":104,"b":111}]}],"statement":"SELECT count(*)::integer AS \"count!\"\nFROM security_events\nWHERE severity = :severity! AND occurred_at < :before!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT count(*)::integer AS "count!"
 * FROM security_events
 * WHERE severity = :severity! AND occurred_at < :before!
 * ```
 */
export const countExpiredEvents = new PreparedQuery<ICountExpiredEventsParams,ICountExpiredEventsResult>(countExpiredEventsIR);


/** 'DeleteExpiredEvents' parameters type */
export interface IDeleteExpiredEventsParams {
  batch: NumberOrString;
  before: DateOrString;
  severity: event_severity;
}

/** 'DeleteExpiredEvents' return type */
export interface IDeleteExpiredEventsResult {
  event_id: string;
}

/** 'DeleteExpiredEvents' query type */
export interface IDeleteExpiredEventsQuery {
  params: IDeleteExpiredEventsParams;
  result: IDeleteExpiredEventsResult;
}

const deleteExpiredEventsIR: any = {"usedParamSet":{"severity":true,"before":true,"batch":true},"params":[{"name":"severity","required":true,"transform":{"type":"scalar"},"locs":[{"a":209,"b":218}]},{"name":"before","required":true,"transform":{"type":"scalar"},"locs":[{"a":238,"b":245}]},{"name":"batch","required":true,"transform":{"type":"scalar"},"locs":[{"a":255,"b":261}]}],"statement":"-- One bounded batch; retention repeats it until nothing is left, so no single\n-- statement holds locks or bloats the table for long.\nWITH doomed AS (\n  SELECT event_id FROM security_events\n  WHERE severity = :severity! AND occurred_at < :before!\n  LIMIT :batch!\n)\nDELETE FROM security_events e USING doomed WHERE e.event_id = doomed.event_id\nRETURNING e.event_id"};

/**
 * Query generated from SQL:
 * ```
 * -- One bounded batch; retention repeats it until nothing is left, so no single
 * -- statement holds locks or bloats the table for long.
 * WITH doomed AS (
 *   SELECT event_id FROM security_events
 *   WHERE severity = :severity! AND occurred_at < :before!
 *   LIMIT :batch!
 * )
 * DELETE FROM security_events e USING doomed WHERE e.event_id = doomed.event_id
 * RETURNING e.event_id
 * ```
 */
export const deleteExpiredEvents = new PreparedQuery<IDeleteExpiredEventsParams,IDeleteExpiredEventsResult>(deleteExpiredEventsIR);


/** 'CountExpiredAudit' parameters type */
export interface ICountExpiredAuditParams {
  before: DateOrString;
}

/** 'CountExpiredAudit' return type */
export interface ICountExpiredAuditResult {
  count: number;
}

/** 'CountExpiredAudit' query type */
export interface ICountExpiredAuditQuery {
  params: ICountExpiredAuditParams;
  result: ICountExpiredAuditResult;
}

const countExpiredAuditIR: any = {"usedParamSet":{"before":true},"params":[{"name":"before","required":true,"transform":{"type":"scalar"},"locs":[{"a":76,"b":83}]}],"statement":"SELECT count(*)::integer AS \"count!\"\nFROM audit_records\nWHERE recorded_at < :before!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT count(*)::integer AS "count!"
 * FROM audit_records
 * WHERE recorded_at < :before!
 * ```
 */
export const countExpiredAudit = new PreparedQuery<ICountExpiredAuditParams,ICountExpiredAuditResult>(countExpiredAuditIR);


/** 'PruneAuditBatch' parameters type */
export interface IPruneAuditBatchParams {
  batch: NumberOrString;
  before: DateOrString;
}

/** 'PruneAuditBatch' return type */
export interface IPruneAuditBatchResult {
  hash: string;
  seq: string;
}

/** 'PruneAuditBatch' query type */
export interface IPruneAuditBatchQuery {
  params: IPruneAuditBatchParams;
  result: IPruneAuditBatchResult;
}

const pruneAuditBatchIR: any = {"usedParamSet":{"before":true,"batch":true},"params":[{"name":"before","required":true,"transform":{"type":"scalar"},"locs":[{"a":285,"b":292}]},{"name":"batch","required":true,"transform":{"type":"scalar"},"locs":[{"a":340,"b":346}]}],"statement":"-- Only a prefix of the chain, so it stays whole from its new start: records\n-- take their seq in lock order, so one a little older can follow a newer one.\nWITH doomed AS (\n  SELECT seq FROM audit_records\n  WHERE seq < coalesce((SELECT min(seq) FROM audit_records WHERE recorded_at >= :before!), 9223372036854775807)\n  ORDER BY seq\n  LIMIT :batch!\n)\nDELETE FROM audit_records a USING doomed WHERE a.seq = doomed.seq\nRETURNING encode(a.hash, 'hex') AS \"hash!\", a.seq::text AS \"seq!\""};

/**
 * Query generated from SQL:
 * ```
 * -- Only a prefix of the chain, so it stays whole from its new start: records
 * -- take their seq in lock order, so one a little older can follow a newer one.
 * WITH doomed AS (
 *   SELECT seq FROM audit_records
 *   WHERE seq < coalesce((SELECT min(seq) FROM audit_records WHERE recorded_at >= :before!), 9223372036854775807)
 *   ORDER BY seq
 *   LIMIT :batch!
 * )
 * DELETE FROM audit_records a USING doomed WHERE a.seq = doomed.seq
 * RETURNING encode(a.hash, 'hex') AS "hash!", a.seq::text AS "seq!"
 * ```
 */
export const pruneAuditBatch = new PreparedQuery<IPruneAuditBatchParams,IPruneAuditBatchResult>(pruneAuditBatchIR);


/** 'AddEventPartitions' parameters type */
export interface IAddEventPartitionsParams {
  monthsAhead: number;
}

/** 'AddEventPartitions' return type */
export interface IAddEventPartitionsResult {
  created: number;
}

/** 'AddEventPartitions' query type */
export interface IAddEventPartitionsQuery {
  params: IAddEventPartitionsParams;
  result: IAddEventPartitionsResult;
}

const addEventPartitionsIR: any = {"usedParamSet":{"monthsAhead":true},"params":[{"name":"monthsAhead","required":true,"transform":{"type":"scalar"},"locs":[{"a":121,"b":133}]}],"statement":"-- See security_events_add_partitions in sql/migrations/0007_partition_events.sql.\nSELECT security_events_add_partitions(:monthsAhead!) AS \"created!\""};

/**
 * Query generated from SQL:
 * ```
 * -- See security_events_add_partitions in sql/migrations/0007_partition_events.sql.
 * SELECT security_events_add_partitions(:monthsAhead!) AS "created!"
 * ```
 */
export const addEventPartitions = new PreparedQuery<IAddEventPartitionsParams,IAddEventPartitionsResult>(addEventPartitionsIR);


/** 'ExpiredEventPartitions' parameters type */
export interface IExpiredEventPartitionsParams {
  cutoff: DateOrString;
  dropThem: boolean;
}

/** 'ExpiredEventPartitions' return type */
export interface IExpiredEventPartitionsResult {
  partition: string;
  rows: number;
}

/** 'ExpiredEventPartitions' query type */
export interface IExpiredEventPartitionsQuery {
  params: IExpiredEventPartitionsParams;
  result: IExpiredEventPartitionsResult;
}

const expiredEventPartitionsIR: any = {"usedParamSet":{"cutoff":true,"dropThem":true},"params":[{"name":"cutoff","required":true,"transform":{"type":"scalar"},"locs":[{"a":186,"b":193}]},{"name":"dropThem","required":true,"transform":{"type":"scalar"},"locs":[{"a":196,"b":205}]}],"statement":"-- See security_events_expired_partitions in sql/migrations/0007_partition_events.sql.\nSELECT partition AS \"partition!\", rows::integer AS \"rows!\"\nFROM security_events_expired_partitions(:cutoff!, :dropThem!)"};

/**
 * Query generated from SQL:
 * ```
 * -- See security_events_expired_partitions in sql/migrations/0007_partition_events.sql.
 * SELECT partition AS "partition!", rows::integer AS "rows!"
 * FROM security_events_expired_partitions(:cutoff!, :dropThem!)
 * ```
 */
export const expiredEventPartitions = new PreparedQuery<IExpiredEventPartitionsParams,IExpiredEventPartitionsResult>(expiredEventPartitionsIR);


/** 'DeleteExpiredEventIds' parameters type */
export interface IDeleteExpiredEventIdsParams {
  batch: NumberOrString;
  before: DateOrString;
}

/** 'DeleteExpiredEventIds' return type */
export interface IDeleteExpiredEventIdsResult {
  event_id: string;
}

/** 'DeleteExpiredEventIds' query type */
export interface IDeleteExpiredEventIdsQuery {
  params: IDeleteExpiredEventIdsParams;
  result: IDeleteExpiredEventIdsResult;
}

const deleteExpiredEventIdsIR: any = {"usedParamSet":{"before":true,"batch":true},"params":[{"name":"before","required":true,"transform":{"type":"scalar"},"locs":[{"a":155,"b":162}]},{"name":"batch","required":true,"transform":{"type":"scalar"},"locs":[{"a":170,"b":176}]}],"statement":"-- Retry detection only needs recent ids; older ones go in bounded batches.\nWITH doomed AS (\n  SELECT event_id FROM security_event_ids WHERE occurred_at < :before! LIMIT :batch!\n)\nDELETE FROM security_event_ids i USING doomed WHERE i.event_id = doomed.event_id\nRETURNING i.event_id"};

/**
 * Query generated from SQL:
 * ```
 * -- Retry detection only needs recent ids; older ones go in bounded batches.
 * WITH doomed AS (
 *   SELECT event_id FROM security_event_ids WHERE occurred_at < :before! LIMIT :batch!
 * )
 * DELETE FROM security_event_ids i USING doomed WHERE i.event_id = doomed.event_id
 * RETURNING i.event_id
 * ```
 */
export const deleteExpiredEventIds = new PreparedQuery<IDeleteExpiredEventIdsParams,IDeleteExpiredEventIdsResult>(deleteExpiredEventIdsIR);


