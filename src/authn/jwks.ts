import { readFile } from "node:fs/promises";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { Logger } from "../log.js";

/** The signing keys could not be obtained, so no JWT can be checked right now. */
export class KeysUnavailableError extends Error {
  override readonly name = "KeysUnavailableError";
}

export interface RemoteJwksOptions {
  /** Keys older than this are refreshed in the background while still in use. */
  cacheMaxAgeMs: number;
  /** Minimum time between fetches prompted by an unknown `kid`. */
  cooldownMs: number;
  /** Bound on one fetch of the key set. */
  timeoutMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

function parseKeySet(body: unknown, source: string): JSONWebKeySet {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new Error(`${source} is not a JWKS (no "keys" array)`);
  }
  return body as JSONWebKeySet;
}

/** Keys from a local JWKS file, read once at start-up. */
export async function fileKeyResolver(file: string): Promise<JWTVerifyGetKey> {
  const keySet = parseKeySet(JSON.parse(await readFile(file, "utf8")), file);
  return createLocalJWKSet(keySet);
}

/**
 * Keys from an identity provider's JWKS URL. Unlike jose's remote key set it
 * keeps serving the last good keys when the provider is briefly unreachable,
 * refreshes stale keys without making a request wait, and refetches on an
 * unknown `kid` at most once per cooldown.
 */
export class RemoteJwks {
  private keys: JWTVerifyGetKey | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(
    private readonly url: string,
    private readonly options: RemoteJwksOptions,
    private readonly log: Logger,
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    if (this.keys === undefined) {
      await this.refresh();
    } else if (this.now() - this.fetchedAt > this.options.cacheMaxAgeMs && this.inFlight === undefined) {
      this.refresh().catch(() => undefined);
    }
    const keys = this.keys;
    if (keys === undefined) throw new KeysUnavailableError(`no signing keys available from ${this.url}`);
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.now() - this.lastAttemptAt < this.options.cooldownMs) {
        throw error;
      }
      // A kid we have not seen may be a freshly rotated key.
      await this.refresh().catch(() => undefined);
      return this.keys!(header, token);
    }
  };

  private refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = this.now();
    try {
      const response = await this.fetch(this.url, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: { accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.keys = createLocalJWKSet(parseKeySet(await response.json(), this.url));
      this.fetchedAt = this.now();
    } catch (error) {
      this.log.warn({ err: error, url: this.url, keepingCachedKeys: this.keys !== undefined }, "JWKS fetch failed");
      if (this.keys === undefined) {
        throw new KeysUnavailableError(`could not fetch signing keys from ${this.url}`, { cause: error });
      }
    }
  }
}

/**
 * Keys found through OpenID Connect discovery: `<issuer>/.well-known/openid-configuration`
 * names the `jwks_uri`, whose keys are then kept as RemoteJwks keeps them. The
 * document is read on first use, not at start-up, so a provider that is down
 * when Warden starts makes its tokens KEYS_UNAVAILABLE rather than stopping
 * Warden; a failed read is retried at most once per cooldown.
 */
export class DiscoveredJwks {
  private jwks: RemoteJwks | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<RemoteJwks> | undefined;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(
    private readonly issuer: string,
    private readonly options: RemoteJwksOptions,
    private readonly log: Logger,
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  get discoveryUrl(): string {
    return `${this.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  }

  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    const jwks = this.jwks ?? (await this.discover());
    return jwks.resolve(header, token);
  };

  private discover(): Promise<RemoteJwks> {
    if (this.inFlight === undefined && this.now() - this.lastAttemptAt < this.options.cooldownMs) {
      return Promise.reject(new KeysUnavailableError(`discovery at ${this.discoveryUrl} failed; retrying later`));
    }
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<RemoteJwks> {
    this.lastAttemptAt = this.now();
    try {
      const response = await this.fetch(this.discoveryUrl, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: { accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
      if (document.issuer !== this.issuer) throw new Error(`the document names issuer ${String(document.issuer)}`);
      if (typeof document.jwks_uri !== "string" || !/^https?:\/\//.test(document.jwks_uri)) {
        throw new Error("the document has no http(s) jwks_uri");
      }
      this.jwks = new RemoteJwks(document.jwks_uri, this.options, this.log);
      return this.jwks;
    } catch (error) {
      this.log.warn({ err: error, url: this.discoveryUrl }, "OIDC discovery failed");
      throw new KeysUnavailableError(`could not discover signing keys at ${this.discoveryUrl}`, { cause: error });
    }
  }
}
