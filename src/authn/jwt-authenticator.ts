import { decodeJwt } from "jose";
import { FailureReason, PrincipalKind } from "../gen/warden/v1/event.js";
import type { CredentialAuthenticator, CredentialClaim, Verdict } from "./authenticator.js";
import type { JwtVerification, JwtVerifier, VerifiedJwt } from "./jwt.js";

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_JWT_LENGTH = 16 * 1024;

/** Whether a credential is shaped like a compact JWT Warden would look at. */
export function looksLikeJwt(credential: string): boolean {
  return credential.length <= MAX_JWT_LENGTH && JWT_SHAPE.test(credential);
}

/** One configured issuer: its verifier holds its keys, policy and claim mappings. */
export interface JwtIssuer {
  name: string;
  issuer: string;
  verifier: JwtVerifier;
  principalKind: PrincipalKind;
}

/**
 * JWTs from the configured issuers. The token's `iss` only selects the
 * issuer; everything is then verified against that issuer's keys and policy.
 * Without any issuer configured, a JWT is still claimed, and refused as
 * unsupported rather than malformed.
 */
export class JwtAuthenticator implements CredentialAuthenticator {
  private readonly byIssuer: Map<string, JwtIssuer>;

  constructor(private readonly issuers: readonly JwtIssuer[]) {
    this.byIssuer = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  }

  /** With one issuer, from its verifier's cache; with several, the issuer is known only by decoding. */
  cachedClaim(credential: string): CredentialClaim | undefined {
    if (this.issuers.length !== 1 || !looksLikeJwt(credential)) return undefined;
    return cachedJwtClaim(this.issuers[0]!, credential);
  }

  claim(credential: string): CredentialClaim | undefined {
    if (!looksLikeJwt(credential)) return undefined;
    if (this.issuers.length === 0) return refusal("", FailureReason.UNSUPPORTED_CREDENTIAL);
    // With one issuer, its verifier checks `iss` itself: no decoding on the cached path.
    const issuer = this.issuers.length === 1 ? this.issuers[0]! : this.byIssuer.get(unverifiedIssuer(credential));
    if (issuer === undefined) return refusal("", FailureReason.WRONG_ISSUER);
    const { verifier, name } = issuer;
    const cached = cachedJwtClaim(issuer, credential);
    if (cached !== undefined) return cached;
    return {
      identityProvider: name,
      namedSubject: verifier.unverifiedSubject(credential),
      verify: () => verifier.verify(credential).then((verification) => jwtVerdict(verification, issuer.principalKind)),
    };
  }
}

function cachedJwtClaim(issuer: JwtIssuer, credential: string): CredentialClaim | undefined {
  const cached = issuer.verifier.cached(credential);
  if (cached === undefined) return undefined;
  return {
    identityProvider: issuer.name,
    namedSubject: cached.subject,
    verify: () => acceptedJwt(cached, issuer.principalKind),
  };
}

function unverifiedIssuer(token: string): string {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === "string" ? iss : "";
  } catch {
    return "";
  }
}

/** Refused before any key is looked at: counted against the source, as a forgery would be. */
function refusal(identityProvider: string, reason: FailureReason): CredentialClaim {
  return {
    identityProvider,
    namedSubject: undefined,
    verify: () => ({ ok: false, reason, named: undefined, counts: "source" }),
  };
}

/** A JWT verifier's answer as an authenticator's verdict; `kind` is the principal's, the claims' own by default. */
export function jwtVerdict(verification: JwtVerification, kind?: PrincipalKind): Verdict {
  if (verification.ok) return acceptedJwt(verification.claims, kind);
  const { reason, subject, details } = verification;
  return {
    ok: false,
    reason,
    ...(details === undefined ? {} : { details }),
    named:
      subject === undefined
        ? undefined
        : { subject, kind: kind ?? PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
    counts: failureCounting(reason, subject),
  };
}

/**
 * A subject is known only once the signature verified (a claim check failed
 * after it); only then can the attempt be its holder's, or a guess at it. A
 * token whose issuer is not ours is not a guess at one of our subjects, nor
 * is one whose claims Warden cannot record (its subject stands altered).
 */
function failureCounting(reason: FailureReason, verifiedSubject: string | undefined) {
  if (reason === FailureReason.KEYS_UNAVAILABLE) return "nothing";
  const notAGuess = reason === FailureReason.WRONG_ISSUER || reason === FailureReason.INVALID_CLAIMS;
  return verifiedSubject !== undefined && !notAGuess ? "subject" : "source";
}

export function acceptedJwt(claims: VerifiedJwt, kind: PrincipalKind = claims.kind): Verdict {
  return {
    ok: true,
    principal: {
      subject: claims.subject,
      kind,
      email: claims.email,
      scopes: claims.scopes,
      roles: claims.roles,
      expiresAt: claims.expiresAt,
      tokenId: claims.tokenId,
      serviceTokenName: claims.serviceTokenName,
    },
  };
}
