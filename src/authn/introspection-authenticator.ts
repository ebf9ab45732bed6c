import { hash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { importPKCS8, SignJWT, type CryptoKey } from "jose";
import { LRUCache } from "lru-cache";
import { FailureReason, type EventPrincipal } from "../gen/warden/v1/event.js";
import type { Logger } from "../log.js";
import type { CredentialAuthenticator, CredentialClaim, Verdict } from "./authenticator.js";
import { unrecordableClaims } from "./claims.js";
import type { IntrospectionOptions } from "./introspection-options.js";
import { claimAt, stringList } from "./jwt.js";

/** An RFC 6750 bearer token; JWTs and Warden's own tokens are claimed by their authenticators first. */
const OPAQUE_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 4096;

const cacheKey = (token: string) => hash("sha256", token, "base64");

/** How the client proves itself to the endpoint: headers and form fields added to each request. */
type ClientCredentials = () => Promise<{ headers: Record<string, string>; form: Record<string, string> }>;

/** RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded. */
function clientSecretBasic(clientId: string, secret: string): ClientCredentials {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  const header = `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString("base64")}`;
  return () => Promise.resolve({ headers: { authorization: header }, form: {} });
}

/** RFC 7523 §2.2: a short-lived JWT signed with the client's key, audience the endpoint. */
async function privateKeyJwt(clientId: string, keyFile: string, algorithm: string, url: string) {
  const key: CryptoKey = await importPKCS8(await readFile(keyFile, "utf8"), algorithm);
  return async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: algorithm })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(url)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign(key);
    return {
      headers: {},
      form: {
        client_id: clientId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      },
    };
  };
}

export async function clientCredentials(options: IntrospectionOptions): Promise<ClientCredentials> {
  const client = options.client;
  return client.method === "client_secret_basic"
    ? clientSecretBasic(client.clientId, client.clientSecret)
    : privateKeyJwt(client.clientId, client.privateKeyFile, client.algorithm, options.url);
}

class EndpointUnavailable extends Error {
  override readonly name = "EndpointUnavailable";
}

/**
 * Opaque access tokens of an external OAuth2 authorization server, checked
 * at its introspection endpoint (RFC 7662). Answers are cached by the
 * token's SHA-256 (the token itself is never kept): an active one until its
 * `exp`, at most the maximum TTL; an inactive one briefly. Concurrent checks
 * of one token share one request. An endpoint that cannot answer decides
 * nothing: an ERROR outcome that counts against no one.
 */
export class IntrospectionAuthenticator implements CredentialAuthenticator {
  private readonly answers: LRUCache<string, Verdict>;
  private readonly inFlight = new Map<string, Promise<Verdict>>();

  constructor(
    private readonly options: IntrospectionOptions,
    private readonly credentials: ClientCredentials,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly fetch: typeof globalThis.fetch = globalThis.fetch,
  ) {
    this.answers = new LRUCache({ max: options.cacheMax, ttl: options.cacheMaxTtlMs });
  }

  claim(credential: string): CredentialClaim | undefined {
    if (credential.length > MAX_TOKEN_LENGTH || !OPAQUE_TOKEN.test(credential)) return undefined;
    const key = cacheKey(credential);
    const identityProvider = this.options.name;
    const cached = this.answers.get(key);
    if (cached !== undefined && (!cached.ok || (cached.principal.expiresAt ?? Infinity) > this.now())) {
      return {
        identityProvider,
        namedSubject: cached.ok ? cached.principal.subject : undefined,
        verify: () => cached,
      };
    }
    return { identityProvider, namedSubject: undefined, verify: () => this.verify(credential, key) };
  }

  private verify(token: string, key: string): Promise<Verdict> {
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.introspect(token, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async introspect(token: string, key: string): Promise<Verdict> {
    let answer: Record<string, unknown>;
    try {
      answer = await this.request(token);
    } catch (error) {
      // The token is not logged: only the endpoint and what went wrong.
      this.log.warn({ err: error, url: this.options.url }, "token introspection failed");
      return refused(FailureReason.INTROSPECTION_UNAVAILABLE, undefined, "nothing");
    }
    const verdict = this.toVerdict(answer);
    if (verdict.ok) {
      const expiresAt = verdict.principal.expiresAt;
      const ttl = Math.min(
        this.options.cacheMaxTtlMs,
        expiresAt === undefined ? Infinity : expiresAt.getTime() - this.now().getTime(),
      );
      if (ttl > 0) this.answers.set(key, verdict, { ttl });
    } else if (verdict.reason === FailureReason.TOKEN_INACTIVE && this.options.inactiveTtlMs > 0) {
      this.answers.set(key, verdict, { ttl: this.options.inactiveTtlMs });
    }
    return verdict;
  }

  private async request(token: string): Promise<Record<string, unknown>> {
    const { headers, form } = await this.credentials();
    let response: Response;
    try {
      response = await this.fetch(this.options.url, {
        method: "POST",
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: { ...headers, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ token, token_type_hint: "access_token", ...form }).toString(),
      });
    } catch (error) {
      throw new EndpointUnavailable("no answer", { cause: error });
    }
    if (!response.ok) throw new EndpointUnavailable(`HTTP ${response.status}`);
    const body: unknown = await response.json().catch(() => undefined);
    if (typeof body !== "object" || body === null || typeof (body as { active?: unknown }).active !== "boolean") {
      throw new EndpointUnavailable("not an introspection response (no boolean active)");
    }
    return body as Record<string, unknown>;
  }

  private toVerdict(answer: Record<string, unknown>): Verdict {
    if (answer.active !== true) return refused(FailureReason.TOKEN_INACTIVE, undefined, "source");
    const subject = [answer.sub, answer.username, answer.client_id].find(
      (value): value is string => typeof value === "string" && value !== "",
    );
    if (subject === undefined) return refused(FailureReason.MISSING_CLAIM, undefined, "source");
    const jti = typeof answer.jti === "string" ? answer.jti : "";
    const unrecordable = unrecordableClaims({ sub: subject, email: answer.email, jti });
    if (unrecordable !== undefined) {
      return {
        ...refused(FailureReason.INVALID_CLAIMS, this.named(unrecordable.subject), "source"),
        details: unrecordable.details,
      };
    }
    const nowSeconds = this.now().getTime() / 1000;
    // The server vouched for the token, so it is its holder's: a refusal counts against its subject.
    if (typeof answer.exp === "number" && answer.exp <= nowSeconds) {
      return refused(FailureReason.EXPIRED, this.named(subject), "subject");
    }
    if (typeof answer.nbf === "number" && answer.nbf > nowSeconds) {
      return refused(FailureReason.NOT_YET_VALID, this.named(subject), "subject");
    }
    return {
      ok: true,
      principal: {
        subject,
        kind: this.options.principalKind,
        email: typeof answer.email === "string" ? answer.email : "",
        scopes: stringList(answer.scope),
        roles: stringList(claimAt(answer, this.options.rolesClaim)),
        expiresAt: typeof answer.exp === "number" ? new Date(answer.exp * 1000) : undefined,
        tokenId: jti,
        serviceTokenName: "",
      },
    };
  }

  private named(subject: string): EventPrincipal {
    return { subject, kind: this.options.principalKind, email: "", serviceTokenName: "", tokenId: "" };
  }
}

function refused(reason: FailureReason, named: EventPrincipal | undefined, counts: "subject" | "source" | "nothing") {
  return { ok: false as const, reason, named, counts };
}
