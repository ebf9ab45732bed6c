/** Types generated for queries found in "sql/queries/signing_keys.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type DateOrString = Date | string;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** 'LockSigningKeys' parameters type */
export type ILockSigningKeysParams = void;

/** 'LockSigningKeys' return type */
export interface ILockSigningKeysResult {
  locked: undefined | null;
}

/** 'LockSigningKeys' query type */
export interface ILockSigningKeysQuery {
  params: ILockSigningKeysParams;
  result: ILockSigningKeysResult;
}

const lockSigningKeysIR: any = {"usedParamSet":{},"params":[],"statement":"-- Rotation is one replica at a time: the others wait here, then see its key.\nSELECT pg_advisory_xact_lock(hashtext('warden_signing_keys')) AS locked"};

/**
 * Query generated from SQL:
 * ```
 * -- Rotation is one replica at a time: the others wait here, then see its key.
 * SELECT pg_advisory_xact_lock(hashtext('warden_signing_keys')) AS locked
 * ```
 */
export const lockSigningKeys = new PreparedQuery<ILockSigningKeysParams,ILockSigningKeysResult>(lockSigningKeysIR);


/** 'ListSigningKeys' parameters type */
export interface IListSigningKeysParams {
  now: DateOrString;
}

/** 'ListSigningKeys' return type */
export interface IListSigningKeysResult {
  algorithm: string;
  key_id: string;
  private_key_encrypted: Buffer;
  public_jwk: Json;
  published_until: Date;
  signs_from: Date;
  signs_until: Date;
}

/** 'ListSigningKeys' query type */
export interface IListSigningKeysQuery {
  params: IListSigningKeysParams;
  result: IListSigningKeysResult;
}

const listSigningKeysIR: any = {"usedParamSet":{"now":true},"params":[{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":187,"b":191}]}],"statement":"-- The keys still published, oldest first.\nSELECT key_id, algorithm, public_jwk, private_key_encrypted, signs_from, signs_until, published_until\nFROM signing_keys\nWHERE published_until > :now!\nORDER BY signs_from"};

/**
 * Query generated from SQL:
 * ```
 * -- The keys still published, oldest first.
 * SELECT key_id, algorithm, public_jwk, private_key_encrypted, signs_from, signs_until, published_until
 * FROM signing_keys
 * WHERE published_until > :now!
 * ORDER BY signs_from
 * ```
 */
export const listSigningKeys = new PreparedQuery<IListSigningKeysParams,IListSigningKeysResult>(listSigningKeysIR);


/** 'InsertSigningKey' parameters type */
export interface IInsertSigningKeyParams {
  algorithm: string;
  keyId: string;
  privateKeyEncrypted: Buffer;
  publicJwk: Json;
  publishedUntil: DateOrString;
  signsFrom: DateOrString;
  signsUntil: DateOrString;
}

/** 'InsertSigningKey' return type */
export type IInsertSigningKeyResult = void;

/** 'InsertSigningKey' query type */
export interface IInsertSigningKeyQuery {
  params: IInsertSigningKeyParams;
  result: IInsertSigningKeyResult;
}

const insertSigningKeyIR: any = {"usedParamSet":{"keyId":true,"algorithm":true,"publicJwk":true,"privateKeyEncrypted":true,"signsFrom":true,"signsUntil":true,"publishedUntil":true},"params":[{"name":"keyId","required":true,"transform":{"type":"scalar"},"locs":[{"a":130,"b":136}]},{"name":"algorithm","required":true,"transform":{"type":"scalar"},"locs":[{"a":139,"b":149}]},{"name":"publicJwk","required":true,"transform":{"type":"scalar"},"locs":[{"a":152,"b":162}]},{"name":"privateKeyEncrypted","required":true,"transform":{"type":"scalar"},"locs":[{"a":165,"b":185}]},{"name":"signsFrom","required":true,"transform":{"type":"scalar"},"locs":[{"a":188,"b":198}]},{"name":"signsUntil","required":true,"transform":{"type":"scalar"},"locs":[{"a":201,"b":212}]},{"name":"publishedUntil","required":true,"transform":{"type":"scalar"},"locs":[{"a":215,"b":230}]}],"statement":"INSERT INTO signing_keys (key_id, algorithm, public_jwk, private_key_encrypted, signs_from, signs_until, published_until)\nVALUES (:keyId!, :algorithm!, :publicJwk!, :privateKeyEncrypted!, :signsFrom!, :signsUntil!, :publishedUntil!)"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO signing_keys (key_id, algorithm, public_jwk, private_key_encrypted, signs_from, signs_until, published_until)
 * VALUES (:keyId!, :algorithm!, :publicJwk!, :privateKeyEncrypted!, :signsFrom!, :signsUntil!, :publishedUntil!)
 * ```
 */
export const insertSigningKey = new PreparedQuery<IInsertSigningKeyParams,IInsertSigningKeyResult>(insertSigningKeyIR);


/** 'DeleteUnpublishedSigningKeys' parameters type */
export interface IDeleteUnpublishedSigningKeysParams {
  now: DateOrString;
}

/** 'DeleteUnpublishedSigningKeys' return type */
export type IDeleteUnpublishedSigningKeysResult = void;

/** 'DeleteUnpublishedSigningKeys' query type */
export interface IDeleteUnpublishedSigningKeysQuery {
  params: IDeleteUnpublishedSigningKeysParams;
  result: IDeleteUnpublishedSigningKeysResult;
}

const deleteUnpublishedSigningKeysIR: any = {"usedParamSet":{"now":true},"params":[{"name":"now","required":true,"transform":{"type":"scalar"},"locs":[{"a":88,"b":92}]}],"statement":"-- Keys whose last token has expired.\nDELETE FROM signing_keys WHERE published_until <= :now!"};

/**
 * Query generated from SQL:
 * ```
 * -- Keys whose last token has expired.
 * DELETE FROM signing_keys WHERE published_until <= :now!
 * ```
 */
export const deleteUnpublishedSigningKeys = new PreparedQuery<IDeleteUnpublishedSigningKeysParams,IDeleteUnpublishedSigningKeysResult>(deleteUnpublishedSigningKeysIR);


/** 'ResealSigningKey' parameters type */
export interface IResealSigningKeyParams {
  keyId: string;
  privateKeyEncrypted: Buffer;
}

/** 'ResealSigningKey' return type */
export type IResealSigningKeyResult = void;

/** 'ResealSigningKey' query type */
export interface IResealSigningKeyQuery {
  params: IResealSigningKeyParams;
  result: IResealSigningKeyResult;
}

const resealSigningKeyIR: any = {"usedParamSet":{"privateKeyEncrypted":true,"keyId":true},"params":[{"name":"privateKeyEncrypted","required":true,"transform":{"type":"scalar"},"locs":[{"a":146,"b":166}]},{"name":"keyId","required":true,"transform":{"type":"scalar"},"locs":[{"a":183,"b":189}]}],"statement":"-- A private key sealed under an earlier WARDEN_EXCHANGE_KEY, sealed again under the current one.\nUPDATE signing_keys SET private_key_encrypted = :privateKeyEncrypted! WHERE key_id = :keyId!"};

/**
 * Query generated from SQL:
 * ```
 * -- A private key sealed under an earlier WARDEN_EXCHANGE_KEY, sealed again under the current one.
 * UPDATE signing_keys SET private_key_encrypted = :privateKeyEncrypted! WHERE key_id = :keyId!
 * ```
 */
export const resealSigningKey = new PreparedQuery<IResealSigningKeyParams,IResealSigningKeyResult>(resealSigningKeyIR);


