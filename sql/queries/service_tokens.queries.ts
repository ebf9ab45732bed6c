/** Types generated for queries found in "sql/queries/service_tokens.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type DateOrString = Date | string;

export type DateOrStringArray = (DateOrString)[];

export type NumberOrString = number | string;

export type NumberOrStringArray = (NumberOrString)[];

export type stringArray = (string)[];

/** 'InsertServiceToken' parameters type */
export interface IInsertServiceTokenParams {
  createdBy: string;
  description: string;
  expiresAt?: DateOrString | null | void;
  id: string;
  name: string;
  scopes: stringArray;
}

/** 'InsertServiceToken' return type */
export interface IInsertServiceTokenResult {
  created_at: Date;
  created_by: string;
  description: string;
  expires_at: Date | null;
  id: string;
  last_rotated_at: Date | null;
  last_used_at: Date | null;
  name: string;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoked_reason: string | null;
  scopes: stringArray;
  use_count: string;
}

/** 'InsertServiceToken' query type */
export interface IInsertServiceTokenQuery {
  params: IInsertServiceTokenParams;
  result: IInsertServiceTokenResult;
}

const insertServiceTokenIR: any = {"usedParamSet":{"id":true,"name":true,"description":true,"scopes":true,"createdBy":true,"expiresAt":true},"params":[{"name":"id","required":true,"transform":{"type":"scalar"},"locs":[{"a":91,"b":94}]},{"name":"name","required":true,"transform":{"type":"scalar"},"locs":[{"a":97,"b":102}]},{"name":"description","required":true,"transform":{"type":"scalar"},"locs":[{"a":105,"b":117}]},{"name":"scopes","required":true,"transform":{"type":"scalar"},"locs":[{"a":120,"b":127}]},{"name":"createdBy","required":true,"transform":{"type":"scalar"},"locs":[{"a":130,"b":140}]},{"name":"expiresAt","required":false,"transform":{"type":"scalar"},"locs":[{"a":143,"b":152}]}],"statement":"INSERT INTO service_tokens (id, name, description, scopes, created_by, expires_at)\nVALUES (:id!, :name!, :description!, :scopes!, :createdBy!, :expiresAt)\nRETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,\n  last_used_at, use_count, last_rotated_at"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO service_tokens (id, name, description, scopes, created_by, expires_at)
 * VALUES (:id!, :name!, :description!, :scopes!, :createdBy!, :expiresAt)
 * RETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
 *   last_used_at, use_count, last_rotated_at
 * ```
 */
export const insertServiceToken = new PreparedQuery<IInsertServiceTokenParams,IInsertServiceTokenResult>(insertServiceTokenIR);


/** 'InsertServiceTokenSecret' parameters type */
export interface IInsertServiceTokenSecretParams {
  secretHash: Buffer;
  tokenId: string;
}

/** 'InsertServiceTokenSecret' return type */
export type IInsertServiceTokenSecretResult = void;

/** 'InsertServiceTokenSecret' query type */
export interface IInsertServiceTokenSecretQuery {
  params: IInsertServiceTokenSecretParams;
  result: IInsertServiceTokenSecretResult;
}

const insertServiceTokenSecretIR: any = {"usedParamSet":{"secretHash":true,"tokenId":true},"params":[{"name":"secretHash","required":true,"transform":{"type":"scalar"},"locs":[{"a":66,"b":77}]},{"name":"tokenId","required":true,"transform":{"type":"scalar"},"locs":[{"a":80,"b":88}]}],"statement":"INSERT INTO service_token_secrets (secret_hash, token_id) VALUES (:secretHash!, :tokenId!)"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO service_token_secrets (secret_hash, token_id) VALUES (:secretHash!, :tokenId!)
 * ```
 */
export const insertServiceTokenSecret = new PreparedQuery<IInsertServiceTokenSecretParams,IInsertServiceTokenSecretResult>(insertServiceTokenSecretIR);


/** 'FindServiceToken' parameters type */
export interface IFindServiceTokenParams {
  id?: string | null | void;
  name?: string | null | void;
}

/** 'FindServiceToken' return type */
export interface IFindServiceTokenResult {
  created_at: Date;
  created_by: string;
  description: string;
  expires_at: Date | null;
  id: string;
  last_rotated_at: Date | null;
  last_used_at: Date | null;
  name: string;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoked_reason: string | null;
  scopes: stringArray;
  use_count: string;
}

/** 'FindServiceToken' query type */
export interface IFindServiceTokenQuery {
  params: IFindServiceTokenParams;
  result: IFindServiceTokenResult;
}

const findServiceTokenIR: any = {"usedParamSet":{"id":true,"name":true},"params":[{"name":"id","required":false,"transform":{"type":"scalar"},"locs":[{"a":188,"b":190}]},{"name":"name","required":false,"transform":{"type":"scalar"},"locs":[{"a":202,"b":206}]}],"statement":"SELECT id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,\n  last_used_at, use_count, last_rotated_at\nFROM service_tokens\nWHERE id = :id OR name = :name"};

/**
 * Query generated from SQL:
 * ```
 * SELECT id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
 *   last_used_at, use_count, last_rotated_at
 * FROM service_tokens
 * WHERE id = :id OR name = :name
 * ```
 */
export const findServiceToken = new PreparedQuery<IFindServiceTokenParams,IFindServiceTokenResult>(findServiceTokenIR);


/** 'ListServiceTokens' parameters type */
export interface IListServiceTokensParams {
  cursorCreatedAt?: DateOrString | null | void;
  cursorId?: string | null | void;
  limit: NumberOrString;
  state?: string | null | void;
}

/** 'ListServiceTokens' return type */
export interface IListServiceTokensResult {
  created_at: Date;
  created_by: string;
  description: string;
  expires_at: Date | null;
  id: string;
  last_rotated_at: Date | null;
  last_used_at: Date | null;
  name: string;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoked_reason: string | null;
  scopes: stringArray;
  use_count: string;
}

/** 'ListServiceTokens' query type */
export interface IListServiceTokensQuery {
  params: IListServiceTokensParams;
  result: IListServiceTokensResult;
}

const listServiceTokensIR: any = {"usedParamSet":{"state":true,"cursorCreatedAt":true,"cursorId":true,"limit":true},"params":[{"name":"state","required":false,"transform":{"type":"scalar"},"locs":[{"a":283,"b":288},{"a":315,"b":320},{"a":373,"b":378},{"a":451,"b":456}]},{"name":"cursorCreatedAt","required":false,"transform":{"type":"scalar"},"locs":[{"a":548,"b":563},{"a":609,"b":624}]},{"name":"cursorId","required":false,"transform":{"type":"scalar"},"locs":[{"a":627,"b":635}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":685,"b":691}]}],"statement":"-- state: NULL for all, else ACTIVE, EXPIRED or REVOKED; keyset on (created_at, id), newest first.\nSELECT id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,\n  last_used_at, use_count, last_rotated_at\nFROM service_tokens\nWHERE (:state::text IS NULL\n       OR (:state = 'REVOKED' AND revoked_at IS NOT NULL)\n       OR (:state = 'EXPIRED' AND revoked_at IS NULL AND expires_at <= now())\n       OR (:state = 'ACTIVE' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())))\n  AND (:cursorCreatedAt::timestamptz IS NULL OR (created_at, id) < (:cursorCreatedAt, :cursorId::uuid))\nORDER BY created_at DESC, id DESC\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * -- state: NULL for all, else ACTIVE, EXPIRED or REVOKED; keyset on (created_at, id), newest first.
 * SELECT id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
 *   last_used_at, use_count, last_rotated_at
 * FROM service_tokens
 * WHERE (:state::text IS NULL
 *        OR (:state = 'REVOKED' AND revoked_at IS NOT NULL)
 *        OR (:state = 'EXPIRED' AND revoked_at IS NULL AND expires_at <= now())
 *        OR (:state = 'ACTIVE' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())))
 *   AND (:cursorCreatedAt::timestamptz IS NULL OR (created_at, id) < (:cursorCreatedAt, :cursorId::uuid))
 * ORDER BY created_at DESC, id DESC
 * LIMIT :limit!
 * ```
 */
export const listServiceTokens = new PreparedQuery<IListServiceTokensParams,IListServiceTokensResult>(listServiceTokensIR);


/** 'RevokeServiceToken' parameters type */
export interface IRevokeServiceTokenParams {
  id: string;
  reason: string;
  revokedBy: string;
}

/** 'RevokeServiceToken' return type */
export interface IRevokeServiceTokenResult {
  created_at: Date;
  created_by: string;
  description: string;
  expires_at: Date | null;
  id: string;
  last_rotated_at: Date | null;
  last_used_at: Date | null;
  name: string;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoked_reason: string | null;
  scopes: stringArray;
  use_count: string;
}

/** 'RevokeServiceToken' query type */
export interface IRevokeServiceTokenQuery {
  params: IRevokeServiceTokenParams;
  result: IRevokeServiceTokenResult;
}

const revokeServiceTokenIR: any = {"usedParamSet":{"reason":true,"revokedBy":true,"id":true},"params":[{"name":"reason","required":true,"transform":{"type":"scalar"},"locs":[{"a":133,"b":140}]},{"name":"revokedBy","required":true,"transform":{"type":"scalar"},"locs":[{"a":156,"b":166}]},{"name":"id","required":true,"transform":{"type":"scalar"},"locs":[{"a":179,"b":182}]}],"statement":"-- Only a token not revoked yet: a second revocation changes nothing.\nUPDATE service_tokens\nSET revoked_at = now(), revoked_reason = :reason!, revoked_by = :revokedBy!\nWHERE id = :id! AND revoked_at IS NULL\nRETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,\n  last_used_at, use_count, last_rotated_at"};

/**
 * Query generated from SQL:
 * ```
 * -- Only a token not revoked yet: a second revocation changes nothing.
 * UPDATE service_tokens
 * SET revoked_at = now(), revoked_reason = :reason!, revoked_by = :revokedBy!
 * WHERE id = :id! AND revoked_at IS NULL
 * RETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
 *   last_used_at, use_count, last_rotated_at
 * ```
 */
export const revokeServiceToken = new PreparedQuery<IRevokeServiceTokenParams,IRevokeServiceTokenResult>(revokeServiceTokenIR);


/** 'RevokeAllServiceTokens' parameters type */
export interface IRevokeAllServiceTokensParams {
  reason: string;
  revokedBy: string;
}

/** 'RevokeAllServiceTokens' return type */
export interface IRevokeAllServiceTokensResult {
  id: string;
  name: string;
}

/** 'RevokeAllServiceTokens' query type */
export interface IRevokeAllServiceTokensQuery {
  params: IRevokeAllServiceTokensParams;
  result: IRevokeAllServiceTokensResult;
}

const revokeAllServiceTokensIR: any = {"usedParamSet":{"reason":true,"revokedBy":true},"params":[{"name":"reason","required":true,"transform":{"type":"scalar"},"locs":[{"a":63,"b":70}]},{"name":"revokedBy","required":true,"transform":{"type":"scalar"},"locs":[{"a":86,"b":96}]}],"statement":"UPDATE service_tokens\nSET revoked_at = now(), revoked_reason = :reason!, revoked_by = :revokedBy!\nWHERE revoked_at IS NULL\nRETURNING id, name"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE service_tokens
 * SET revoked_at = now(), revoked_reason = :reason!, revoked_by = :revokedBy!
 * WHERE revoked_at IS NULL
 * RETURNING id, name
 * ```
 */
export const revokeAllServiceTokens = new PreparedQuery<IRevokeAllServiceTokensParams,IRevokeAllServiceTokensResult>(revokeAllServiceTokensIR);


/** 'RetireSecrets' parameters type */
export interface IRetireSecretsParams {
  retiresAt: DateOrString;
  tokenId: string;
}

/** 'RetireSecrets' return type */
export type IRetireSecretsResult = void;

/** 'RetireSecrets' query type */
export interface IRetireSecretsQuery {
  params: IRetireSecretsParams;
  result: IRetireSecretsResult;
}

const retireSecretsIR: any = {"usedParamSet":{"retiresAt":true,"tokenId":true},"params":[{"name":"retiresAt","required":true,"transform":{"type":"scalar"},"locs":[{"a":138,"b":148},{"a":217,"b":227}]},{"name":"tokenId","required":true,"transform":{"type":"scalar"},"locs":[{"a":167,"b":175}]}],"statement":"-- Secrets of the token that would outlive :retiresAt (the current one included) stop then.\nUPDATE service_token_secrets\nSET retires_at = :retiresAt!\nWHERE token_id = :tokenId! AND (retires_at IS NULL OR retires_at > :retiresAt!)"};

/**
 * Query generated from SQL:
 * ```
 * -- Secrets of the token that would outlive :retiresAt (the current one included) stop then.
 * UPDATE service_token_secrets
 * SET retires_at = :retiresAt!
 * WHERE token_id = :tokenId! AND (retires_at IS NULL OR retires_at > :retiresAt!)
 * ```
 */
export const retireSecrets = new PreparedQuery<IRetireSecretsParams,IRetireSecretsResult>(retireSecretsIR);


/** 'MarkServiceTokenRotated' parameters type */
export interface IMarkServiceTokenRotatedParams {
  id: string;
}

/** 'MarkServiceTokenRotated' return type */
export interface IMarkServiceTokenRotatedResult {
  created_at: Date;
  created_by: string;
  description: string;
  expires_at: Date | null;
  id: string;
  last_rotated_at: Date | null;
  last_used_at: Date | null;
  name: string;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoked_reason: string | null;
  scopes: stringArray;
  use_count: string;
}

/** 'MarkServiceTokenRotated' query type */
export interface IMarkServiceTokenRotatedQuery {
  params: IMarkServiceTokenRotatedParams;
  result: IMarkServiceTokenRotatedResult;
}

const markServiceTokenRotatedIR: any = {"usedParamSet":{"id":true},"params":[{"name":"id","required":true,"transform":{"type":"scalar"},"locs":[{"a":61,"b":64}]}],"statement":"UPDATE service_tokens\nSET last_rotated_at = now()\nWHERE id = :id! AND revoked_at IS NULL\nRETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,\n  last_used_at, use_count, last_rotated_at"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE service_tokens
 * SET last_rotated_at = now()
 * WHERE id = :id! AND revoked_at IS NULL
 * RETURNING id, name, description, scopes, created_at, created_by, expires_at, revoked_at, revoked_reason, revoked_by,
 *   last_used_at, use_count, last_rotated_at
 * ```
 */
export const markServiceTokenRotated = new PreparedQuery<IMarkServiceTokenRotatedParams,IMarkServiceTokenRotatedResult>(markServiceTokenRotatedIR);


/** 'FindServiceTokenSecret' parameters type */
export interface IFindServiceTokenSecretParams {
  secretHash: Buffer;
}

/** 'FindServiceTokenSecret' return type */
export interface IFindServiceTokenSecretResult {
  expires_at: Date | null;
  id: string;
  name: string;
  retires_at: Date | null;
  revoked_at: Date | null;
  scopes: stringArray;
  secret_hash: Buffer;
}

/** 'FindServiceTokenSecret' query type */
export interface IFindServiceTokenSecretQuery {
  params: IFindServiceTokenSecretParams;
  result: IFindServiceTokenSecretResult;
}

const findServiceTokenSecretIR: any = {"usedParamSet":{"secretHash":true},"params":[{"name":"secretHash","required":true,"transform":{"type":"scalar"},"locs":[{"a":181,"b":192}]}],"statement":"SELECT s.secret_hash, s.retires_at, t.id, t.name, t.scopes, t.expires_at, t.revoked_at\nFROM service_token_secrets s\nJOIN service_tokens t ON t.id = s.token_id\nWHERE s.secret_hash = :secretHash!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT s.secret_hash, s.retires_at, t.id, t.name, t.scopes, t.expires_at, t.revoked_at
 * FROM service_token_secrets s
 * JOIN service_tokens t ON t.id = s.token_id
 * WHERE s.secret_hash = :secretHash!
 * ```
 */
export const findServiceTokenSecret = new PreparedQuery<IFindServiceTokenSecretParams,IFindServiceTokenSecretResult>(findServiceTokenSecretIR);


/** 'RecordServiceTokenUsage' parameters type */
export interface IRecordServiceTokenUsageParams {
  ids: stringArray;
  lastUsedAts: DateOrStringArray;
  uses: NumberOrStringArray;
}

/** 'RecordServiceTokenUsage' return type */
export type IRecordServiceTokenUsageResult = void;

/** 'RecordServiceTokenUsage' query type */
export interface IRecordServiceTokenUsageQuery {
  params: IRecordServiceTokenUsageParams;
  result: IRecordServiceTokenUsageResult;
}

const recordServiceTokenUsageIR: any = {"usedParamSet":{"ids":true,"uses":true,"lastUsedAts":true},"params":[{"name":"ids","required":true,"transform":{"type":"scalar"},"locs":[{"a":137,"b":141}]},{"name":"uses","required":true,"transform":{"type":"scalar"},"locs":[{"a":152,"b":157}]},{"name":"lastUsedAts","required":true,"transform":{"type":"scalar"},"locs":[{"a":170,"b":182}]}],"statement":"UPDATE service_tokens AS t\nSET use_count = t.use_count + u.uses,\n    last_used_at = GREATEST(t.last_used_at, u.last_used_at)\nFROM unnest(:ids!::uuid[], :uses!::bigint[], :lastUsedAts!::timestamptz[]) AS u(id, uses, last_used_at)\nWHERE t.id = u.id"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE service_tokens AS t
 * SET use_count = t.use_count + u.uses,
 *     last_used_at = GREATEST(t.last_used_at, u.last_used_at)
 * FROM unnest(:ids!::uuid[], :uses!::bigint[], :lastUsedAts!::timestamptz[]) AS u(id, uses, last_used_at)
 * WHERE t.id = u.id
 * ```
 */
export const recordServiceTokenUsage = new PreparedQuery<IRecordServiceTokenUsageParams,IRecordServiceTokenUsageResult>(recordServiceTokenUsageIR);


/** 'ClaimExpiredServiceTokens' parameters type */
export type IClaimExpiredServiceTokensParams = void;

/** 'ClaimExpiredServiceTokens' return type */
export interface IClaimExpiredServiceTokensResult {
  id: string;
  name: string;
}

/** 'ClaimExpiredServiceTokens' query type */
export interface IClaimExpiredServiceTokensQuery {
  params: IClaimExpiredServiceTokensParams;
  result: IClaimExpiredServiceTokensResult;
}

const claimExpiredServiceTokensIR: any = {"usedParamSet":{},"params":[],"statement":"-- Marks tokens that have expired since the last sweep; exactly one replica gets each.\nUPDATE service_tokens\nSET expiry_recorded_at = now()\nWHERE expires_at <= now() AND expiry_recorded_at IS NULL AND revoked_at IS NULL\nRETURNING id, name"};

/**
 * Query generated from SQL:
 * ```
 * -- Marks tokens that have expired since the last sweep; exactly one replica gets each.
 * UPDATE service_tokens
 * SET expiry_recorded_at = now()
 * WHERE expires_at <= now() AND expiry_recorded_at IS NULL AND revoked_at IS NULL
 * RETURNING id, name
 * ```
 */
export const claimExpiredServiceTokens = new PreparedQuery<IClaimExpiredServiceTokensParams,IClaimExpiredServiceTokensResult>(claimExpiredServiceTokensIR);


/** 'NotifyServiceTokenChanged' parameters type */
export interface INotifyServiceTokenChangedParams {
  payload: string;
}

/** 'NotifyServiceTokenChanged' return type */
export interface INotifyServiceTokenChangedResult {
  pg_notify: undefined | null;
}

/** 'NotifyServiceTokenChanged' query type */
export interface INotifyServiceTokenChangedQuery {
  params: INotifyServiceTokenChangedParams;
  result: INotifyServiceTokenChangedResult;
}

const notifyServiceTokenChangedIR: any = {"usedParamSet":{"payload":true},"params":[{"name":"payload","required":true,"transform":{"type":"scalar"},"locs":[{"a":113,"b":121}]}],"statement":"-- Delivered to every replica's listener when the transaction commits.\nSELECT pg_notify('warden_service_tokens', :payload!)"};

/**
 * Query generated from SQL:
 * ```
 * -- Delivered to every replica's listener when the transaction commits.
 * SELECT pg_notify('warden_service_tokens', :payload!)
 * ```
 */
export const notifyServiceTokenChanged = new PreparedQuery<INotifyServiceTokenChangedParams,INotifyServiceTokenChangedResult>(notifyServiceTokenChangedIR);


