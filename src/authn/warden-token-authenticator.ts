import type { KeyObject } from "node:crypto";
import { decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { PrincipalKind } from "../gen/warden/v1/event.js";
import type { CredentialAuthenticator, CredentialClaim } from "./authenticator.js";
import { acceptedJwt, jwtVerdict, looksLikeJwt } from "./jwt-authenticator.js";
import { JwtVerifier, stringList, type VerifiedJwt } from "./jwt.js";

/** The identity source events name for Warden's own tokens, and for the exchanges that issue them. */
export const WARDEN_IDENTITY_PROVIDER = "warden";

/**
 * Tokens Warden issued itself (ExchangeToken), known by their issuer. They
 * are verified against the signing keys held in memory, never the database,
 * and name the principal they were issued for, of whatever kind.
 */
export class WardenTokenAuthenticator implements CredentialAuthenticator {
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly issuer: string,
  ) {}

  cachedClaim(credential: string): CredentialClaim | undefined {
    if (!looksLikeJwt(credential)) return undefined;
    const cached = this.verifier.cached(credential);
    if (cached === undefined) return undefined;
    return {
      identityProvider: WARDEN_IDENTITY_PROVIDER,
      namedSubject: cached.subject,
      verify: () => acceptedJwt(cached),
    };
  }

  claim(credential: string): CredentialClaim | undefined {
    if (!looksLikeJwt(credential)) return undefined;
    const verifier = this.verifier;
    const cached = this.cachedClaim(credential);
    if (cached !== undefined) return cached;
    if (unverifiedIssuer(credential) !== this.issuer) return undefined;
    return {
      identityProvider: WARDEN_IDENTITY_PROVIDER,
      namedSubject: verifier.unverifiedSubject(credential),
      verify: () => verifier.verify(credential).then((verification) => jwtVerdict(verification)),
    };
  }
}

function unverifiedIssuer(token: string): string | undefined {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

/** The principal a Warden token names: its claims are Warden's own, so its `kind` is trusted. */
export function wardenTokenClaims(payload: JWTPayload): VerifiedJwt {
  const kind = typeof payload.kind === "string" ? PrincipalKind[payload.kind as keyof typeof PrincipalKind] : undefined;
  return {
    subject: payload.sub!,
    email: typeof payload.email === "string" ? payload.email : "",
    scopes: stringList(payload.scope),
    roles: stringList(payload.roles),
    expiresAt: new Date(payload.exp! * 1000),
    tokenId: typeof payload.jti === "string" ? payload.jti : "",
    kind: typeof kind === "number" ? kind : PrincipalKind.UNSPECIFIED,
    serviceTokenName: typeof payload.service_token_name === "string" ? payload.service_token_name : "",
  };
}

/**
 * The authenticator of Warden's own tokens over `publicKey`, which looks a
 * signing key up in memory: accepted for Warden's issuer as their audience.
 */
export function wardenTokenAuthenticator(
  publicKey: (keyId: string | undefined) => KeyObject | undefined,
  policy: { issuer: string; algorithms: string[]; clockToleranceSeconds: number },
  now: () => Date,
): WardenTokenAuthenticator {
  const keys: JWTVerifyGetKey = (header) => {
    const key = publicKey(header.kid);
    if (key === undefined) throw new errors.JWKSNoMatchingKey();
    return key;
  };
  const verifier = new JwtVerifier(
    keys,
    { ...policy, audience: [policy.issuer], rolesClaim: "roles" },
    now,
    undefined,
    wardenTokenClaims,
  );
  return new WardenTokenAuthenticator(verifier, policy.issuer);
}
