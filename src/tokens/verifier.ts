import { timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { findServiceTokenSecret } from "../../sql/queries/service_tokens.queries.js";
import { DatabaseWait } from "../db/database-wait.js";
import { classifyDatabaseError, isTransient } from "../db/errors.js";
import type { Db } from "../db/pool.js";
import { UnavailableError } from "../errors.js";
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
  /**
   * How long after the notifications stop a cached token is still answered
   * when the database cannot be asked (0: never).
   */
  outageWindowMs: number;
  /** Bounds how long a lookup waits for the database. */
  databaseWait: DatabaseWait;
}

interface CachedToken extends VerifiedServiceToken {
  secretHash: Buffer;
}

/**
 * Verifies service tokens. Malformed strings are refused before any I/O; a
 * token verified once is served from an in-process LRU until it expires, its
 * secret retires, or a notification says it changed. The cache is trusted
 * while this replica is listening for those notifications. When they stop,
 * each cached token is checked with the database again; only if the database
 * cannot answer in time, and for at most the outage window after the
 * notifications stopped, is the cached verification still used.
 */
export class ServiceTokenVerifier {
  private readonly cache: LRUCache<string, CachedToken>;
  private cacheTrusted = false;
  /** Epoch milliseconds when the notifications stopped; undefined while they flow or before they first did. */
  private distrustedSince: number | undefined;
  // Bumped by every invalidation, so a lookup that raced with one is not cached.
  private generation = 0;
  private readonly invalidationListeners: (() => void)[] = [];
  /** Database lookups made, for metrics and for tests that prove the fast paths. */
  lookups = 0;
  /** Calls answered from the cache because the database could not be asked (the outage window). */
  outageAnswers = 0;

  constructor(
    private readonly db: Db,
    private readonly usage: UsageRecorder,
    private readonly options: ServiceTokenCacheOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.cache = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs, ttlAutopurge: false });
  }

  /**
   * Called by the change listener. Listening again: notifications may have
   * been missed, so the cache starts afresh. Lost: the cache is kept, for the
   * outage window only, but no longer trusted.
   */
  setCacheTrusted(trusted: boolean): void {
    this.generation += 1;
    if (trusted) {
      this.cache.clear();
      this.distrustedSince = undefined;
      // What changed while no notification could arrive is learnt by checking again.
      for (const listener of this.invalidationListeners) listener();
    } else if (this.cacheTrusted) {
      this.distrustedSince = this.now().getTime();
    }
    this.cacheTrusted = trusted;
  }

  /** Forgets a changed token (by id), or everything for ALL_TOKENS, then tells the listeners. */
  invalidate(tokenId: string): void {
    this.generation += 1;
    if (tokenId === ALL_TOKENS) {
      this.cache.clear();
    } else {
      for (const [hash, cached] of this.cache.entries()) {
        if (cached.tokenId === tokenId) this.cache.delete(hash);
      }
    }
    for (const listener of this.invalidationListeners) listener();
  }

  /** Runs `listener` after every invalidation, and when notifications resume, e.g. to recheck open streams at once. */
  onInvalidate(listener: () => void): void {
    this.invalidationListeners.push(listener);
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
    const found = this.cache.get(key);
    const cached = found !== undefined && timingSafeEqual(found.secretHash, secretHash) ? found : undefined;
    if (cached !== undefined && this.cacheTrusted) {
      this.usage.record(cached.tokenId, now);
      return { ok: true, token: cached };
    }
    if (cached === undefined && !isWellFormedServiceToken(credential)) {
      return { ok: false, reason: FailureReason.MALFORMED_CREDENTIAL };
    }
    return this.lookUp(secretHash, key, now, cached);
  }

  /** The database's answer; `cached`, the token as last verified, is what an outage falls back on. */
  private async lookUp(
    secretHash: Buffer,
    key: string,
    now: Date,
    cached: CachedToken | undefined,
  ): Promise<ServiceTokenVerification> {
    this.lookups += 1;
    const generation = this.generation;
    const lookup = () => findServiceTokenSecret.run({ secretHash }, this.db);
    let row;
    try {
      if (cached === undefined) {
        // Nothing to fall back on: wait for the database as long as any call does, unless it is known to be hung.
        if (this.options.databaseWait.hung) throw new UnavailableError("database not answering");
        [row] = await lookup();
      } else {
        const answer = await this.options.databaseWait.answer(lookup);
        if (!answer.answered) {
          return this.answerInOutage(cached, now, new UnavailableError("database did not answer in time"));
        }
        [row] = answer.value;
      }
    } catch (error) {
      return this.answerInOutage(cached, now, classifyDatabaseError(error));
    }
    if (row === undefined || !timingSafeEqual(row.secret_hash, secretHash)) {
      this.cache.delete(key);
      return { ok: false, reason: FailureReason.UNKNOWN_TOKEN };
    }
    const known = { tokenId: row.id, name: row.name };
    const refusal =
      row.revoked_at !== null
        ? FailureReason.TOKEN_REVOKED
        : row.expires_at !== null && row.expires_at <= now
          ? FailureReason.EXPIRED
          : row.retires_at !== null && row.retires_at <= now
            ? FailureReason.TOKEN_ROTATED_OUT
            : undefined;
    if (refusal !== undefined) {
      this.cache.delete(key);
      return { ok: false, reason: refusal, token: known };
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

  /**
   * The database could not be asked: a token verified before the
   * notifications stopped is still answered within the outage window;
   * anything else, or an error that is not an outage, fails with `error`.
   */
  private answerInOutage(cached: CachedToken | undefined, now: Date, error: unknown): ServiceTokenVerification {
    const since = this.distrustedSince;
    const inWindow = since !== undefined && now.getTime() - since < this.options.outageWindowMs;
    if (cached === undefined || !inWindow || !isTransient(error)) {
      throw error;
    }
    this.outageAnswers += 1;
    this.usage.record(cached.tokenId, now);
    return { ok: true, token: cached };
  }
}
