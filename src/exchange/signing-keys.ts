import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import {
  deleteUnpublishedSigningKeys,
  insertSigningKey,
  listSigningKeys,
  lockSigningKeys,
  resealSigningKey,
  type IListSigningKeysResult,
} from "../../sql/queries/signing_keys.queries.js";
import { withTransaction, type Pool } from "../db/pool.js";
import type { ExchangeOptions, SigningAlgorithm } from "./exchange-options.js";

/** Leeway verifiers give `exp`; a key stays published this much past its last token's expiry. */
export const EXCHANGE_CLOCK_TOLERANCE_MS = 5_000;
/** The longest a new key is published before it signs. */
const MAX_PUBLICATION_LEAD_MS = 5 * 60_000;
const SEALED_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SigningKey {
  keyId: string;
  algorithm: SigningAlgorithm;
  publicJwk: JWK;
  publicKey: KeyObject;
  /** Present while the key may still sign. */
  privateKey: KeyObject | undefined;
  signsFrom: Date;
  signsUntil: Date;
  publishedUntil: Date;
}

/** The private key in PKCS#8, sealed with AES-256-GCM and bound to its key id. */
function seal(encryptionKey: Buffer, keyId: string, privateKey: KeyObject): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey, iv);
  cipher.setAAD(Buffer.from(keyId));
  const sealed = Buffer.concat([cipher.update(privateKey.export({ format: "der", type: "pkcs8" })), cipher.final()]);
  return Buffer.concat([Buffer.from([SEALED_VERSION]), iv, cipher.getAuthTag(), sealed]);
}

/**
 * The private key, opened with the current encryption key or else an old
 * one (GCM's tag tells which fits); `current` says whether it was the current.
 */
function unseal(options: ExchangeOptions, keyId: string, sealed: Buffer): { privateKey: KeyObject; current: boolean } {
  if (sealed[0] !== SEALED_VERSION) throw new Error(`signing key ${keyId}: unknown sealing version ${sealed[0]}`);
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  for (const encryptionKey of [options.encryptionKey, ...options.oldEncryptionKeys]) {
    const decipher = createDecipheriv("aes-256-gcm", encryptionKey, iv);
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(tag);
    let der: Buffer;
    try {
      der = Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      continue;
    }
    return {
      privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }),
      current: encryptionKey === options.encryptionKey,
    };
  }
  throw new Error(
    `WARDEN_EXCHANGE_KEY does not decrypt signing key ${keyId}: neither it nor WARDEN_EXCHANGE_OLD_KEYS is the key the signing keys were stored under`,
  );
}

function generate(algorithm: SigningAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  return algorithm === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
}

/**
 * The keys Warden signs its own tokens with, kept in PostgreSQL. Each key
 * signs for one rotation period and is written a lead time before it starts,
 * so every replica (and any verifier refetching the JWKS) knows it before the
 * first token it signs; it stays published until its last token has expired.
 * Replicas rotate one at a time under an advisory lock and all follow the
 * table, so they agree on the keys. Verification reads only memory.
 */
export class SigningKeys {
  private keys: SigningKey[] = [];
  private byId = new Map<string, SigningKey>();
  /** How long before it signs a new key is written. */
  readonly publicationLeadMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly options: ExchangeOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.publicationLeadMs = Math.min(options.rotationMs / 2, MAX_PUBLICATION_LEAD_MS);
  }

  /** How often each replica rotates when due and reloads: well within the lead, so no replica misses a key. */
  get refreshIntervalMs(): number {
    return Math.max(250, Math.min(this.publicationLeadMs / 4, 60_000));
  }

  /** Rotates when due, then reloads. Throws when a key cannot be decrypted: a wrong WARDEN_EXCHANGE_KEY. */
  async refresh(): Promise<void> {
    await this.rotate();
    await this.reload();
  }

  /**
   * Writes the next key once the newest one signs for less than the lead
   * time, drops keys whose last token has expired, and seals again under
   * WARDEN_EXCHANGE_KEY any key still sealed under an old one. One replica
   * at a time.
   */
  async rotate(): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      await lockSigningKeys.run(undefined, client);
      const now = this.now();
      await deleteUnpublishedSigningKeys.run({ now }, client);
      const stored = await listSigningKeys.run({ now }, client);
      // Every key is opened first: a replica whose WARDEN_EXCHANGE_KEY differs from
      // the others' (and is not among their old keys) must not write keys they cannot open.
      for (const row of stored) {
        const { privateKey, current } = unseal(this.options, row.key_id, row.private_key_encrypted);
        if (current) continue;
        const resealed = seal(this.options.encryptionKey, row.key_id, privateKey);
        await resealSigningKey.run({ keyId: row.key_id, privateKeyEncrypted: resealed }, client);
      }
      const newest = stored.at(-1);
      let signsUntil = newest?.signs_until;
      while (signsUntil === undefined || signsUntil.getTime() < now.getTime() + this.publicationLeadMs) {
        const signsFrom = signsUntil === undefined || signsUntil <= now ? now : signsUntil;
        signsUntil = new Date(signsFrom.getTime() + this.options.rotationMs);
        await this.insert(client, signsFrom, signsUntil);
      }
    });
  }

  /** Reads the published keys; private keys are decrypted only for keys that may still sign. */
  async reload(): Promise<void> {
    const now = this.now();
    const rows = await listSigningKeys.run({ now }, this.pool);
    this.keys = rows.map((row) => this.toKey(row, now));
    this.byId = new Map(this.keys.map((key) => [key.keyId, key]));
  }

  /** The key to sign with now: the newest whose period has begun; undefined when none is current. */
  signing(): SigningKey | undefined {
    const now = this.now();
    return this.keys.findLast((key) => key.signsFrom <= now && now < key.signsUntil && key.privateKey !== undefined);
  }

  /** A published key by its id; from memory. */
  publicKey(keyId: string | undefined): KeyObject | undefined {
    const key = keyId === undefined ? undefined : this.byId.get(keyId);
    return key !== undefined && key.publishedUntil > this.now() ? key.publicKey : undefined;
  }

  /** The JWKS served at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    const now = this.now();
    return { keys: this.keys.filter((key) => key.publishedUntil > now).map((key) => key.publicJwk) };
  }

  private async insert(db: Parameters<typeof insertSigningKey.run>[1], signsFrom: Date, signsUntil: Date) {
    const { algorithm, encryptionKey, maxLifetimeMs } = this.options;
    const { publicKey, privateKey } = generate(algorithm);
    const exported = publicKey.export({ format: "jwk" });
    const keyId = await calculateJwkThumbprint(exported);
    const publicJwk = { ...exported, kid: keyId, alg: algorithm, use: "sig" };
    await insertSigningKey.run(
      {
        keyId,
        algorithm,
        publicJwk,
        privateKeyEncrypted: seal(encryptionKey, keyId, privateKey),
        signsFrom,
        signsUntil,
        publishedUntil: new Date(signsUntil.getTime() + maxLifetimeMs + EXCHANGE_CLOCK_TOLERANCE_MS),
      },
      db,
    );
  }

  private toKey(row: IListSigningKeysResult, now: Date): SigningKey {
    const publicJwk = row.public_jwk as JWK;
    return {
      keyId: row.key_id,
      algorithm: row.algorithm as SigningAlgorithm,
      publicJwk,
      publicKey: createPublicKey({ key: publicJwk, format: "jwk" }),
      privateKey:
        row.signs_until > now ? unseal(this.options, row.key_id, row.private_key_encrypted).privateKey : undefined,
      signsFrom: row.signs_from,
      signsUntil: row.signs_until,
      publishedUntil: row.published_until,
    };
  }
}
