import { timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { findServiceTokenSecret } from "../../sql/queries/service_tokens.queries.js";
import { classifyDatabaseError } from "../db/errors.js";
import type { Db } from "../db/pool.js";
import { FailureReason } from "../gen/warden/v1/event.js";
import { hashServiceToken, isWellFormedServiceToken } from "./format.js";
import { ALL_TOKENS } from "./tokens.js";
import type { UsageRecorder } from "./usage.js";

export interface VerifiedServiceToken {
  tokenId: string;
  name: string;
  scopes: string[];
  expiresAt: Date | undefined;
}

export type ServiceTokenVerification =
  | { ok: true; token: VerifiedServiceToken }
  | { ok: false; reason: FailureReason; token?: { tokenId: string; name: string } };

export interface ServiceTokenCacheOptions {
  /** Verified tokens kept in memory. */
  maxEntries: number;
  /** Longest a verification is reused; expiry and rotation-out cut it shorter. */
  ttlMs: number;
}

interface CachedToken extends VerifiedServiceToken {
  secretHash: Buffer;
}

/**
 * Verifies service tokens. Malformed strings are refused before any I/O; a
 * token verified once is served from an in-process LRU until it expires, its
 * secret retires, or a notification says it changed. The cache is only
 * trusted while this replica is listening for those notifications.
 */
export class ServiceTokenVerifier {
  private readonly cache: LRUCache<string, CachedToken>;
  private cacheTrusted = false;
  // Bumped by every invalidation, so a lookup that raced with one is not cached.
  private generation = 0;
  /** Database lookups made, for metrics and for tests that prove the fast paths. */
  lookups = 0;

  constructor(
    private readonly db: Db,
    private readonly usage: UsageRecorder,
    options: ServiceTokenCacheOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.cache = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs, ttlAutopurge: false });
  }

  /** Called by the change listener: trust the cache only while notifications can arrive. */
  setCacheTrusted(trusted: boolean): void {
    this.generation += 1;
    this.cache.clear();
    this.cacheTrusted = trusted;
  }

  /** Forgets a changed token (by id), or everything for ALL_TOKENS. */
  invalidate(tokenId: string): void {
    this.generation += 1;
    if (tokenId === ALL_TOKENS) {
      this.cache.clear();
      return;
    }
    for (const [hash, cached] of this.cache.entries()) {
      if (cached.tokenId === tokenId) this.cache.delete(hash);
    }
  }

  /**
   * Synchronous for a token in the cache, which is looked up first: the hash
   * matching a verified token's proves the token well-formed, so only a miss
   * pays for the shape and checksum check before the database lookup.
   */
  verify(credential: string): ServiceTokenVerification | Promise<ServiceTokenVerification> {
    const secretHash = hashServiceToken(credential);
    const key = secretHash.toString("base64");
    const now = this.now();
    const cached = this.cacheTrusted ? this.cache.get(key) : undefined;
    if (cached !== undefined && timingSafeEqual(cached.secretHash, secretHash)) {
      this.usage.record(cached.tokenId, now);
      return { ok: true, token: cached };
    }
    if (!isWellFormedServiceToken(credential)) return { ok: false, reason: FailureReason.MALFORMED_CREDENTIAL };
    return this.lookUp(secretHash, key, now);
  }

  private async lookUp(secretHash: Buffer, key: string, now: Date): Promise<ServiceTokenVerification> {
    this.lookups += 1;
    const generation = this.generation;
    let row;
    try {
      [row] = await findServiceTokenSecret.run({ secretHash }, this.db);
    } catch (error) {
      throw classifyDatabaseError(error);
    }
    if (row === undefined || !timingSafeEqual(row.secret_hash, secretHash)) {
      return { ok: false, reason: FailureReason.UNKNOWN_TOKEN };
    }
    const known = { tokenId: row.id, name: row.name };
    if (row.revoked_at !== null) return { ok: false, reason: FailureReason.TOKEN_REVOKED, token: known };
    if (row.expires_at !== null && row.expires_at <= now)
      return { ok: false, reason: FailureReason.EXPIRED, token: known };
    if (row.retires_at !== null && row.retires_at <= now) {
      return { ok: false, reason: FailureReason.TOKEN_ROTATED_OUT, token: known };
    }

    const token: CachedToken = {
      ...known,
      scopes: row.scopes,
      expiresAt: row.expires_at ?? undefined,
      secretHash,
    };
    if (this.cacheTrusted && generation === this.generation) {
      const ends = [row.expires_at, row.retires_at].filter((end): end is Date => end !== null);
      const ttl = Math.min(this.cache.ttl, ...ends.map((end) => end.getTime() - now.getTime()));
      this.cache.set(key, token, { ttl });
    }
    this.usage.record(token.tokenId, now);
    return { ok: true, token };
  }
}
