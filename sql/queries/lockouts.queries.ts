/** Types generated for queries found in "sql/queries/lockouts.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type lockout_key_kind = 'IP' | 'SUBJECT' | 'SUBJECT_IP';

export type lockout_wait_strategy = 'LINEAR' | 'MULTIPLE';

export type DateOrString = Date | string;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type NumberOrString = number | string;

export type lockout_key_kindArray = (lockout_key_kind)[];

export type stringArray = (string)[];

/** 'WriteLockoutPolicy' parameters type */
export interface IWriteLockoutPolicyParams {
  failureResetSeconds: number;
  keyKind: lockout_key_kind;
  maxFailures: number;
  maxTemporaryLockouts: number;
  maxWaitSeconds: number;
  quickLoginCheckSeconds: number;
  quickLoginWaitSeconds: number;
  waitIncrementSeconds: number;
  waitStrategy: lockout_wait_strategy;
}

/** 'WriteLockoutPolicy' return type */
export interface IWriteLockoutPolicyResult {
  after: Json;
  before: Json | null;
}

/** 'WriteLockoutPolicy' query type */
export interface IWriteLockoutPolicyQuery {
  params: IWriteLockoutPolicyParams;
  result: IWriteLockoutPolicyResult;
}

const writeLockoutPolicyIR: any = {"usedParamSet":{"keyKind":true,"maxFailures":true,"failureResetSeconds":true,"waitIncrementSeconds":true,"waitStrategy":true,"maxWaitSeconds":true,"quickLoginCheckSeconds":true,"quickLoginWaitSeconds":true,"maxTemporaryLockouts":true},"params":[{"name":"keyKind","required":true,"transform":{"type":"scalar"},"locs":[{"a":215,"b":223},{"a":441,"b":449}]},{"name":"maxFailures","required":true,"transform":{"type":"scalar"},"locs":[{"a":452,"b":464}]},{"name":"failureResetSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":489,"b":509}]},{"name":"waitIncrementSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":535,"b":556}]},{"name":"waitStrategy","required":true,"transform":{"type":"scalar"},"locs":[{"a":564,"b":577}]},{"name":"maxWaitSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":602,"b":617}]},{"name":"quickLoginCheckSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":643,"b":666}]},{"name":"quickLoginWaitSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":696,"b":718}]},{"name":"maxTemporaryLockouts","required":true,"transform":{"type":"scalar"},"locs":[{"a":722,"b":743}]}],"statement":"-- Returns the policy before and after when this write changed it (or created\n-- it), nothing when it was already so: the change is then audited.\nWITH previous AS (\n  SELECT * FROM lockout_policies WHERE key_kind = :keyKind!\n), written AS (\n  INSERT INTO lockout_policies (\n    key_kind, max_failures, failure_reset, wait_increment, wait_strategy, max_wait,\n    quick_login_check, quick_login_wait, max_temporary_lockouts\n  )\n  VALUES (\n    :keyKind!, :maxFailures!, make_interval(secs => :failureResetSeconds!), make_interval(secs => :waitIncrementSeconds!),\n    :waitStrategy!, make_interval(secs => :maxWaitSeconds!), make_interval(secs => :quickLoginCheckSeconds!),\n    make_interval(secs => :quickLoginWaitSeconds!), :maxTemporaryLockouts!\n  )\n  ON CONFLICT (key_kind) DO UPDATE SET\n    max_failures = EXCLUDED.max_failures, failure_reset = EXCLUDED.failure_reset,\n    wait_increment = EXCLUDED.wait_increment, wait_strategy = EXCLUDED.wait_strategy, max_wait = EXCLUDED.max_wait,\n    quick_login_check = EXCLUDED.quick_login_check, quick_login_wait = EXCLUDED.quick_login_wait,\n    max_temporary_lockouts = EXCLUDED.max_temporary_lockouts\n  WHERE (lockout_policies.*) IS DISTINCT FROM (EXCLUDED.*)\n  RETURNING *\n)\nSELECT (SELECT to_jsonb(p) FROM previous p) AS before, to_jsonb(w) AS \"after!\"\nFROM written w"};

/**
 * Query generated from SQL:
 * ```
 * -- Returns the policy before and after when this write changed it (or created
 * -- it), nothing when it was already so: the change is then audited.
 * WITH previous AS (
 *   SELECT * FROM lockout_policies WHERE key_kind = :keyKind!
 * ), written AS (
 *   INSERT INTO lockout_policies (
 *     key_kind, max_failures, failure_reset, wait_increment, wait_strategy, max_wait,
 *     quick_login_check, quick_login_wait, max_temporary_lockouts
 *   )
 *   VALUES (
 *     :keyKind!, :maxFailures!, make_interval(secs => :failureResetSeconds!), make_interval(secs => :waitIncrementSeconds!),
 *     :waitStrategy!, make_interval(secs => :maxWaitSeconds!), make_interval(secs => :quickLoginCheckSeconds!),
 *     make_interval(secs => :quickLoginWaitSeconds!), :maxTemporaryLockouts!
 *   )
 *   ON CONFLICT (key_kind) DO UPDATE SET
 *     max_failures = EXCLUDED.max_failures, failure_reset = EXCLUDED.failure_reset,
 *     wait_increment = EXCLUDED.wait_increment, wait_strategy = EXCLUDED.wait_strategy, max_wait = EXCLUDED.max_wait,
 *     quick_login_check = EXCLUDED.quick_login_check, quick_login_wait = EXCLUDED.quick_login_wait,
 *     max_temporary_lockouts = EXCLUDED.max_temporary_lockouts
 *   WHERE (lockout_policies.*) IS DISTINCT FROM (EXCLUDED.*)
 *   RETURNING *
 * )
 * SELECT (SELECT to_jsonb(p) FROM previous p) AS before, to_jsonb(w) AS "after!"
 * FROM written w
 * ```
 */
export const writeLockoutPolicy = new PreparedQuery<IWriteLockoutPolicyParams,IWriteLockoutPolicyResult>(writeLockoutPolicyIR);


/** 'CountFailures' parameters type */
export interface ICountFailuresParams {
  ips: stringArray;
  keys: stringArray;
  kinds: lockout_key_kindArray;
  now: DateOrString;
  settles: boolean;
  subjects: stringArray;
  threshold: number;
  waitSeconds: number;
  windowSeconds: number;
}

/** 'CountFailures' return type */
export interface ICountFailuresResult {
  failures: number;
  key: string;
  keyKind: lockout_key_kind;
  lockedUntil: Date | null;
  lockouts: number;
  newlyLocked: boolean;
  permanent: boolean;
  stuffing: boolean;
  subjects: number | null;
}

/** 'CountFailures' query type */
export interface ICountFailuresQuery {
  params: ICountFailuresParams;
  result: ICountFailuresResult;
}

const countFailuresIR: any = {"usedParamSet":{"kinds":true,"keys":true,"now":true,"settles":true,"ips":true,"subjects":true,"windowSeconds":true,"threshold":true,"waitSeconds":true},"params":[{"name":"kinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":544,"b":550}]},{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":573,"b":578}]},{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":589,"b":593},{"a":825,"b":829}]},{"name":"settles","required":true,"transform":{"type":"scalar"},"locs":[{"a":609,"b":617}]},{"name":"ips","required":true,"transform":{"type":"scalar"},"locs":[{"a":786,"b":790}]},{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":805,"b":814}]},{"name":"windowSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":873,"b":887}]},{"name":"threshold","required":true,"transform":{"type":"scalar"},"locs":[{"a":891,"b":901}]},{"name":"waitSeconds","required":true,"transform":{"type":"scalar"},"locs":[{"a":935,"b":947}]}],"statement":"-- Failed attempts, in one statement: their keys are counted (see lockout_count_failures\n-- in sql/migrations/0013_lockout_count_by_key.sql), then their (address, subject) pairs are checked for\n-- credential stuffing (lockout_detect_stuffing; empty arrays when detection is off). The\n-- detection's arguments depend on the count's result, so it runs after it, and sees it.\n-- stuffing: a row of an address the detection locked out, with the distinct subjects it failed for.\nWITH counted AS MATERIALIZED (\n  SELECT * FROM lockout_count_failures(:kinds!::lockout_key_kind[], :keys!::text[], :now!::timestamptz, :settles!::boolean)\n), stuffing AS MATERIALIZED (\n  SELECT d.*\n  FROM (SELECT count(*) AS n FROM counted) AS done,\n    lockout_detect_stuffing(\n      CASE WHEN done.n >= 0 THEN :ips!::text[] END, :subjects!::text[], :now!::timestamptz,\n      make_interval(secs => :windowSeconds!), :threshold!::integer, make_interval(secs => :waitSeconds!)\n    ) AS d\n)\nSELECT false AS \"stuffing!\", key_kind AS \"keyKind!\", key AS \"key!\", failures AS \"failures!\", lockouts AS \"lockouts!\",\n  locked_until AS \"lockedUntil\", permanent AS \"permanent!\", newly_locked AS \"newlyLocked!\", NULL::integer AS \"subjects\"\nFROM counted\nUNION ALL\nSELECT true, 'IP'::lockout_key_kind, ip, 0, lockouts, locked_until, false, true, subjects\nFROM stuffing"};

/**
 * Query generated from SQL:
 * ```
 * -- Failed attempts, in one statement: their keys are counted (see lockout_count_failures
 * -- in sql/migrations/0013_lockout_count_by_key.sql), then their (address, subject) pairs are checked for
 * -- credential stuffing (lockout_detect_stuffing; empty arrays when detection is off). The
 * -- detection's arguments depend on the count's result, so it runs after it, and sees it.
 * -- stuffing: a row of an address the detection locked out, with the distinct subjects it failed for.
 * WITH counted AS MATERIALIZED (
 *   SELECT * FROM lockout_count_failures(:kinds!::lockout_key_kind[], :keys!::text[], :now!::timestamptz, :settles!::boolean)
 * ), stuffing AS MATERIALIZED (
 *   SELECT d.*
 *   FROM (SELECT count(*) AS n FROM counted) AS done,
 *     lockout_detect_stuffing(
 *       CASE WHEN done.n >= 0 THEN :ips!::text[] END, :subjects!::text[], :now!::timestamptz,
 *       make_interval(secs => :windowSeconds!), :threshold!::integer, make_interval(secs => :waitSeconds!)
 *     ) AS d
 * )
 * SELECT false AS "stuffing!", key_kind AS "keyKind!", key AS "key!", failures AS "failures!", lockouts AS "lockouts!",
 *   locked_until AS "lockedUntil", permanent AS "permanent!", newly_locked AS "newlyLocked!", NULL::integer AS "subjects"
 * FROM counted
 * UNION ALL
 * SELECT true, 'IP'::lockout_key_kind, ip, 0, lockouts, locked_until, false, true, subjects
 * FROM stuffing
 * ```
 */
export const countFailures = new PreparedQuery<ICountFailuresParams,ICountFailuresResult>(countFailuresIR);


/** 'WriteSuccesses' parameters type */
export interface IWriteSuccessesParams {
  ips: stringArray;
  keys: stringArray;
  kinds: lockout_key_kindArray;
  now: DateOrString;
  subjects: stringArray;
}

/** 'WriteSuccesses' return type */
export interface IWriteSuccessesResult {
  forgotten: number;
  remembered: number;
}

/** 'WriteSuccesses' query type */
export interface IWriteSuccessesQuery {
  params: IWriteSuccessesParams;
  result: IWriteSuccessesResult;
}

const writeSuccessesIR: any = {"usedParamSet":{"kinds":true,"keys":true,"subjects":true,"ips":true,"now":true},"params":[{"name":"kinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":927,"b":933}]},{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":956,"b":961}]},{"name":"subjects","required":true,"transform":{"type":"scalar"},"locs":[{"a":972,"b":981}]},{"name":"ips","required":true,"transform":{"type":"scalar"},"locs":[{"a":992,"b":996}]},{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":1007,"b":1011}]}],"statement":"-- See lockout_write_successes in sql/migrations/0015_lockout_write_successes.sql: planned for each call.\n-- Its commit does not wait for the WAL to reach disk (synchronous_commit off, for this transaction only): no\n-- answer waits on these rows (a count or an admission on the same keys waits for the statement, and their own\n-- commit flushes it too), and what a database crash can lose of them is what their design allows: a forget,\n-- leaving failures counted, or an admission's release, held until it lapses (refusals sooner, never later), or a\n-- network, familiar again after a login here once this replica's hour-long memory of it lapses, or at once\n-- through another replica. Waiting, each such commit queued for the disk with the events' own.\nSELECT forgotten AS \"forgotten!\", remembered AS \"remembered!\"\nFROM (SELECT set_config('synchronous_commit', 'off', true) AS flush) AS commit_mode,\n  lockout_write_successes(:kinds!::lockout_key_kind[], :keys!::text[], :subjects!::text[], :ips!::text[], :now!::timestamptz)\nWHERE commit_mode.flush IS NOT NULL"};

/**
 * Query generated from SQL:
 * ```
 * -- See lockout_write_successes in sql/migrations/0015_lockout_write_successes.sql: planned for each call.
 * -- Its commit does not wait for the WAL to reach disk (synchronous_commit off, for this transaction only): no
 * -- answer waits on these rows (a count or an admission on the same keys waits for the statement, and their own
 * -- commit flushes it too), and what a database crash can lose of them is what their design allows: a forget,
 * -- leaving failures counted, or an admission's release, held until it lapses (refusals sooner, never later), or a
 * -- network, familiar again after a login here once this replica's hour-long memory of it lapses, or at once
 * -- through another replica. Waiting, each such commit queued for the disk with the events' own.
 * SELECT forgotten AS "forgotten!", remembered AS "remembered!"
 * FROM (SELECT set_config('synchronous_commit', 'off', true) AS flush) AS commit_mode,
 *   lockout_write_successes(:kinds!::lockout_key_kind[], :keys!::text[], :subjects!::text[], :ips!::text[], :now!::timestamptz)
 * WHERE commit_mode.flush IS NOT NULL
 * ```
 */
export const writeSuccesses = new PreparedQuery<IWriteSuccessesParams,IWriteSuccessesResult>(writeSuccessesIR);


/** 'AdmitAttempt' parameters type */
export interface IAdmitAttemptParams {
  familiarSince?: DateOrString | null | void;
  keys: stringArray;
  kinds: lockout_key_kindArray;
  now: DateOrString;
}

/** 'AdmitAttempt' return type */
export interface IAdmitAttemptResult {
  admitted: boolean;
  lockedUntil: Date | null;
  permanent: boolean;
}

/** 'AdmitAttempt' query type */
export interface IAdmitAttemptQuery {
  params: IAdmitAttemptParams;
  result: IAdmitAttemptResult;
}

const admitAttemptIR: any = {"usedParamSet":{"kinds":true,"keys":true,"now":true,"familiarSince":true},"params":[{"name":"kinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":166,"b":172}]},{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":195,"b":200}]},{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":211,"b":215}]},{"name":"familiarSince","required":false,"transform":{"type":"scalar"},"locs":[{"a":231,"b":244}]}],"statement":"-- See lockout_admit in sql/migrations/0003_lockouts.sql.\nSELECT admitted AS \"admitted!\", locked_until AS \"lockedUntil\", permanent AS \"permanent!\"\nFROM lockout_admit(:kinds!::lockout_key_kind[], :keys!::text[], :now!::timestamptz, :familiarSince::timestamptz)"};

/**
 * Query generated from SQL:
 * ```
 * -- See lockout_admit in sql/migrations/0003_lockouts.sql.
 * SELECT admitted AS "admitted!", locked_until AS "lockedUntil", permanent AS "permanent!"
 * FROM lockout_admit(:kinds!::lockout_key_kind[], :keys!::text[], :now!::timestamptz, :familiarSince::timestamptz)
 * ```
 */
export const admitAttempt = new PreparedQuery<IAdmitAttemptParams,IAdmitAttemptResult>(admitAttemptIR);


/** 'FindLockouts' parameters type */
export interface IFindLockoutsParams {
  keys: stringArray;
  kinds: lockout_key_kindArray;
  now: DateOrString;
}

/** 'FindLockouts' return type */
export interface IFindLockoutsResult {
  key: string;
  key_kind: lockout_key_kind;
  locked_until: Date | null;
  permanent: boolean;
}

/** 'FindLockouts' query type */
export interface IFindLockoutsQuery {
  params: IFindLockoutsParams;
  result: IFindLockoutsResult;
}

const findLockoutsIR: any = {"usedParamSet":{"kinds":true,"keys":true,"now":true},"params":[{"name":"kinds","required":true,"transform":{"type":"scalar"},"locs":[{"a":209,"b":215}]},{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":238,"b":243}]},{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":290,"b":294}]}],"statement":"-- Active lockouts among the given keys, for a replica whose notifications cannot be trusted.\nSELECT key_kind, key, locked_until, permanent\nFROM lockout_counters\nWHERE (key_kind, key) IN (SELECT * FROM unnest(:kinds!::lockout_key_kind[], :keys!::text[]))\n  AND (permanent OR locked_until > :now!::timestamptz)"};

/**
 * Query generated from SQL:
 * ```
 * -- Active lockouts among the given keys, for a replica whose notifications cannot be trusted.
 * SELECT key_kind, key, locked_until, permanent
 * FROM lockout_counters
 * WHERE (key_kind, key) IN (SELECT * FROM unnest(:kinds!::lockout_key_kind[], :keys!::text[]))
 *   AND (permanent OR locked_until > :now!::timestamptz)
 * ```
 */
export const findLockouts = new PreparedQuery<IFindLockoutsParams,IFindLockoutsResult>(findLockoutsIR);


/** 'ListActiveLockouts' parameters type */
export interface IListActiveLockoutsParams {
  now: DateOrString;
}

/** 'ListActiveLockouts' return type */
export interface IListActiveLockoutsResult {
  key: string;
  key_kind: lockout_key_kind;
  locked_until: Date | null;
  permanent: boolean;
}

/** 'ListActiveLockouts' query type */
export interface IListActiveLockoutsQuery {
  params: IListActiveLockoutsParams;
  result: IListActiveLockoutsResult;
}

const listActiveLockoutsIR: any = {"usedParamSet":{"now":true},"params":[{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":102,"b":106}]}],"statement":"SELECT key_kind, key, locked_until, permanent\nFROM lockout_counters\nWHERE permanent OR locked_until > :now!::timestamptz"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key_kind, key, locked_until, permanent
 * FROM lockout_counters
 * WHERE permanent OR locked_until > :now!::timestamptz
 * ```
 */
export const listActiveLockouts = new PreparedQuery<IListActiveLockoutsParams,IListActiveLockoutsResult>(listActiveLockoutsIR);


/** 'NotifyLockoutsChanged' parameters type */
export interface INotifyLockoutsChangedParams {
  payloads: stringArray;
}

/** 'NotifyLockoutsChanged' return type */
export interface INotifyLockoutsChangedResult {
  pg_notify: undefined | null;
}

/** 'NotifyLockoutsChanged' query type */
export interface INotifyLockoutsChangedQuery {
  params: INotifyLockoutsChangedParams;
  result: INotifyLockoutsChangedResult;
}

const notifyLockoutsChangedIR: any = {"usedParamSet":{"payloads":true},"params":[{"name":"payloads","required":true,"transform":{"type":"scalar"},"locs":[{"a":168,"b":177}]}],"statement":"-- One notification per payload: JSON {kind, key, until (ms or null), permanent}; see src/lockout/lockouts.ts.\nSELECT pg_notify('warden_lockouts', payload) FROM unnest(:payloads!::text[]) AS payload"};

/**
 * Query generated from SQL:
 * ```
 * -- One notification per payload: JSON {kind, key, until (ms or null), permanent}; see src/lockout/lockouts.ts.
 * SELECT pg_notify('warden_lockouts', payload) FROM unnest(:payloads!::text[]) AS payload
 * ```
 */
export const notifyLockoutsChanged = new PreparedQuery<INotifyLockoutsChangedParams,INotifyLockoutsChangedResult>(notifyLockoutsChangedIR);


/** 'ListLockouts' parameters type */
export interface IListLockoutsParams {
  cursorKey?: string | null | void;
  cursorKind?: lockout_key_kind | null | void;
  kind?: lockout_key_kind | null | void;
  limit: NumberOrString;
  now: DateOrString;
}

/** 'ListLockouts' return type */
export interface IListLockoutsResult {
  key: string;
  key_kind: lockout_key_kind;
  locked_until: Date | null;
  lockouts: number;
  permanent: boolean;
}

/** 'ListLockouts' query type */
export interface IListLockoutsQuery {
  params: IListLockoutsParams;
  result: IListLockoutsResult;
}

const listLockoutsIR: any = {"usedParamSet":{"now":true,"kind":true,"cursorKind":true,"cursorKey":true,"limit":true},"params":[{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":181,"b":185}]},{"name":"kind","required":false,"transform":{"type":"scalar"},"locs":[{"a":208,"b":212},{"a":254,"b":258}]},{"name":"cursorKind","required":false,"transform":{"type":"scalar"},"locs":[{"a":268,"b":278},{"a":328,"b":338}]},{"name":"cursorKey","required":false,"transform":{"type":"scalar"},"locs":[{"a":341,"b":350}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":389,"b":395}]}],"statement":"-- Keyset page over (key_kind, key) of the keys locked out at :now.\nSELECT key_kind, key, locked_until, permanent, lockouts\nFROM lockout_counters\nWHERE (permanent OR locked_until > :now!::timestamptz)\n  AND (:kind::lockout_key_kind IS NULL OR key_kind = :kind)\n  AND (:cursorKind::lockout_key_kind IS NULL OR (key_kind, key) > (:cursorKind, :cursorKey::text))\nORDER BY key_kind, key\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- Keyset page over (key_kind, key) of the keys locked out at :now.
 * SELECT key_kind, key, locked_until, permanent, lockouts
 * FROM lockout_counters
 * WHERE (permanent OR locked_until > :now!::timestamptz)
 *   AND (:kind::lockout_key_kind IS NULL OR key_kind = :kind)
 *   AND (:cursorKind::lockout_key_kind IS NULL OR (key_kind, key) > (:cursorKind, :cursorKey::text))
 * ORDER BY key_kind, key
 * LIMIT :limit!
 * ```
 */
export const listLockouts = new PreparedQuery<IListLockoutsParams,IListLockoutsResult>(listLockoutsIR);


/** 'Unlock' parameters type */
export interface IUnlockParams {
  key: string;
  kind: lockout_key_kind;
  now: DateOrString;
}

/** 'Unlock' return type */
export interface IUnlockResult {
  key: string;
  key_kind: lockout_key_kind;
  locked_until: Date | null;
  lockouts: number;
  permanent: boolean;
}

/** 'Unlock' query type */
export interface IUnlockQuery {
  params: IUnlockParams;
  result: IUnlockResult;
}

const unlockIR: any = {"usedParamSet":{"kind":true,"key":true,"now":true},"params":[{"name":"kind","required":true,"transform":{"type":"scalar"},"locs":[{"a":279,"b":284}]},{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":296,"b":300}]},{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":335,"b":339}]}],"statement":"-- Only a key locked out at :now; its failures and pending attempts are forgotten too.\nUPDATE lockout_counters c\nSET locked_until = NULL, permanent = false, failures = 0, pending = 0\nFROM (\n  SELECT key_kind, key, locked_until, permanent FROM lockout_counters\n  WHERE key_kind = :kind! AND key = :key! AND (permanent OR locked_until > :now!::timestamptz)\n  FOR UPDATE\n) AS before\nWHERE c.key_kind = before.key_kind AND c.key = before.key\nRETURNING c.key_kind, c.key, before.locked_until, before.permanent, c.lockouts"};

/**
 * Query generated from SQL:
 * ```
 * -- Only a key locked out at :now; its failures and pending attempts are forgotten too.
 * UPDATE lockout_counters c
 * SET locked_until = NULL, permanent = false, failures = 0, pending = 0
 * FROM (
 *   SELECT key_kind, key, locked_until, permanent FROM lockout_counters
 *   WHERE key_kind = :kind! AND key = :key! AND (permanent OR locked_until > :now!::timestamptz)
 *   FOR UPDATE
 * ) AS before
 * WHERE c.key_kind = before.key_kind AND c.key = before.key
 * RETURNING c.key_kind, c.key, before.locked_until, before.permanent, c.lockouts
 * ```
 */
export const unlock = new PreparedQuery<IUnlockParams,IUnlockResult>(unlockIR);


/** 'IsFamiliar' parameters type */
export interface IIsFamiliarParams {
  ip: string;
  since: DateOrString;
  subject: string;
}

/** 'IsFamiliar' return type */
export interface IIsFamiliarResult {
  familiar: boolean;
}

/** 'IsFamiliar' query type */
export interface IIsFamiliarQuery {
  params: IIsFamiliarParams;
  result: IIsFamiliarResult;
}

const isFamiliarIR: any = {"usedParamSet":{"subject":true,"ip":true,"since":true},"params":[{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":76,"b":84}]},{"name":"ip","required":true,"transform":{"type":"scalar"},"locs":[{"a":102,"b":105}]},{"name":"since","required":true,"transform":{"type":"scalar"},"locs":[{"a":135,"b":141}]}],"statement":"SELECT EXISTS (\n  SELECT 1 FROM lockout_familiar_networks\n  WHERE subject = :subject! AND network >>= :ip!::inet AND last_success_at > :since!::timestamptz\n) AS \"familiar!\""};

/**
 * Query generated from SQL:
 * ```
 * SELECT EXISTS (
 *   SELECT 1 FROM lockout_familiar_networks
 *   WHERE subject = :subject! AND network >>= :ip!::inet AND last_success_at > :since!::timestamptz
 * ) AS "familiar!"
 * ```
 */
export const isFamiliar = new PreparedQuery<IIsFamiliarParams,IIsFamiliarResult>(isFamiliarIR);


