import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { FailureReason } from "../gen/warden/v1/event.js";
import { KeysUnavailableError } from "./jwks.js";

export interface JwtPolicy {
  issuer: string;
  audience: string[];
  algorithms: string[];
  clockToleranceSeconds: number;
  /** Dotted path of the roles claim, e.g. "roles" or "realm_access.roles". */
  rolesClaim: string;
}

export interface VerifiedJwt {
  subject: string;
  email: string;
  scopes: string[];
  roles: string[];
  expiresAt: Date;
  tokenId: string;
}

export type JwtVerification =
  { ok: true; claims: VerifiedJwt } | { ok: false; reason: FailureReason; detail: string; subject?: string };

function stringList(value: unknown): string[] {
  if (typeof value === "string") return value.split(" ").filter((item) => item.length > 0);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return [];
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function failureReason(error: unknown): { reason: FailureReason; detail: string } {
  if (error instanceof KeysUnavailableError) return { reason: FailureReason.KEYS_UNAVAILABLE, detail: error.message };
  if (error instanceof errors.JWTExpired) return { reason: FailureReason.EXPIRED, detail: error.message };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (
      error.reason === "missing" ||
      (error.reason === "invalid" && (error.claim === "sub" || error.claim === "exp"))
    ) {
      return { reason: FailureReason.MISSING_CLAIM, detail: error.message };
    }
    const byClaim: Record<string, FailureReason> = {
      nbf: FailureReason.NOT_YET_VALID,
      iat: FailureReason.NOT_YET_VALID,
      iss: FailureReason.WRONG_ISSUER,
      aud: FailureReason.WRONG_AUDIENCE,
    };
    return { reason: byClaim[error.claim] ?? FailureReason.MALFORMED_CREDENTIAL, detail: error.message };
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return { reason: FailureReason.INVALID_SIGNATURE, detail: error.message };
  if (error instanceof errors.JWKSNoMatchingKey) return { reason: FailureReason.UNKNOWN_KEY, detail: error.message };
  if (error instanceof errors.JOSEAlgNotAllowed)
    return { reason: FailureReason.DISALLOWED_ALGORITHM, detail: error.message };
  return { reason: FailureReason.MALFORMED_CREDENTIAL, detail: error instanceof Error ? error.message : "unparseable" };
}

/** Verifies JWTs with jose against one key source and one policy. */
export class JwtVerifier {
  private readonly allowedAlgorithms: Set<string>;

  // Verified claims by SHA-256 of the token, each kept no longer than the token is valid.
  private readonly verified: LRUCache<string, VerifiedJwt>;

  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly policy: JwtPolicy,
    private readonly now: () => Date = () => new Date(),
    cacheMaxEntries = 10_000,
  ) {
    this.allowedAlgorithms = new Set(policy.algorithms);
    this.verified = new LRUCache({ max: cacheMaxEntries, ttl: 5 * 60_000 });
  }

  /**
   * A token verified before is answered from memory until its `exp`: the
   * signature cannot change, and the claims checked are fixed in the token.
   */
  async verify(token: string): Promise<JwtVerification> {
    const key = createHash("sha256").update(token).digest("base64");
    const cached = this.verified.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return { ok: true, claims: cached };
    const result = await this.verifyOnce(token);
    if (result.ok) {
      const ttl = Math.min(this.verified.ttl, result.claims.expiresAt.getTime() - this.now().getTime());
      if (ttl > 0) this.verified.set(key, result.claims, { ttl });
    }
    return result;
  }

  private async verifyOnce(token: string): Promise<JwtVerification> {
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch (error) {
      return { ok: false, ...failureReason(error) };
    }
    // Checked before any key lookup, so "none" or an HMAC algorithm never reaches a verifier.
    if (algorithm === undefined || !this.allowedAlgorithms.has(algorithm)) {
      return {
        ok: false,
        reason: FailureReason.DISALLOWED_ALGORITHM,
        detail: `algorithm ${algorithm ?? "(missing)"} is not allowed`,
      };
    }
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.policy.issuer,
        audience: this.policy.audience,
        algorithms: this.policy.algorithms,
        clockTolerance: this.policy.clockToleranceSeconds,
        requiredClaims: ["sub", "exp"],
        currentDate: this.now(),
      });
      return {
        ok: true,
        claims: {
          subject: payload.sub!,
          email: typeof payload.email === "string" ? payload.email : "",
          scopes: [...stringList(payload.scope), ...stringList(payload.scp)],
          roles: stringList(claimAt(payload, this.policy.rolesClaim)),
          expiresAt: new Date(payload.exp! * 1000),
          tokenId: typeof payload.jti === "string" ? payload.jti : "",
        },
      };
    } catch (error) {
      const subject =
        error instanceof errors.JWTClaimValidationFailed && typeof error.payload.sub === "string"
          ? error.payload.sub
          : undefined;
      return { ok: false, ...failureReason(error), ...(subject === undefined ? {} : { subject }) };
    }
  }
}
