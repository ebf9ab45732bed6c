import { FailureReason, PrincipalKind } from "../gen/warden/v1/event.js";
import type { CredentialAuthenticator, CredentialClaim, Verdict } from "./authenticator.js";
import type { JwtVerification, JwtVerifier, VerifiedJwt } from "./jwt.js";

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_JWT_LENGTH = 16 * 1024;

/** Whether a credential is shaped like a compact JWT Warden would look at. */
export function looksLikeJwt(credential: string): boolean {
  return credential.length <= MAX_JWT_LENGTH && JWT_SHAPE.test(credential);
}

/**
 * JWTs from the configured issuer. Without one (no JWKS configured), a JWT is
 * still claimed, and refused as unsupported rather than malformed.
 */
export class JwtAuthenticator implements CredentialAuthenticator {
  constructor(private readonly verifier: JwtVerifier | undefined) {}

  claim(credential: string): CredentialClaim | undefined {
    if (!looksLikeJwt(credential)) return undefined;
    const verifier = this.verifier;
    if (verifier === undefined) {
      return {
        namedSubject: undefined,
        verify: () => ({ ok: false, reason: FailureReason.UNSUPPORTED_CREDENTIAL, named: undefined, counts: "source" }),
      };
    }
    const cached = verifier.cached(credential);
    if (cached !== undefined) return { namedSubject: cached.subject, verify: () => acceptedJwt(cached) };
    return {
      namedSubject: verifier.unverifiedSubject(credential),
      verify: () => verifier.verify(credential).then(jwtVerdict),
    };
  }
}

/** A JWT verifier's answer as an authenticator's verdict. */
export function jwtVerdict(verification: JwtVerification): Verdict {
  if (verification.ok) return acceptedJwt(verification.claims);
  const { reason, subject, details } = verification;
  return {
    ok: false,
    reason,
    ...(details === undefined ? {} : { details }),
    named:
      subject === undefined
        ? undefined
        : { subject, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
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

export function acceptedJwt(claims: VerifiedJwt): Verdict {
  return {
    ok: true,
    principal: {
      subject: claims.subject,
      kind: claims.kind,
      email: claims.email,
      scopes: claims.scopes,
      roles: claims.roles,
      expiresAt: claims.expiresAt,
      tokenId: claims.tokenId,
      serviceTokenName: claims.serviceTokenName,
    },
  };
}
