import { PrincipalKind } from "../gen/warden/v1/event.js";
import { looksLikeServiceToken } from "../tokens/format.js";
import type { ServiceTokenVerification, ServiceTokenVerifier } from "../tokens/verifier.js";
import type { CredentialAuthenticator, CredentialClaim, Verdict } from "./authenticator.js";

/** Warden's own service tokens (`wdn_…`), verified against their hashes in PostgreSQL. */
export class ServiceTokenAuthenticator implements CredentialAuthenticator {
  constructor(private readonly verifier: ServiceTokenVerifier) {}

  claim(credential: string): CredentialClaim | undefined {
    if (!looksLikeServiceToken(credential)) return undefined;
    // Lockout is by source only: a token names no subject before it is found.
    return {
      identityProvider: "service_token",
      namedSubject: undefined,
      verify: () => {
        const verification = this.verifier.verify(credential);
        return verification instanceof Promise ? verification.then(toVerdict) : toVerdict(verification);
      },
    };
  }
}

function toVerdict(verification: ServiceTokenVerification): Verdict {
  if (!verification.ok) {
    const known = verification.token;
    return {
      ok: false,
      reason: verification.reason,
      named:
        known === undefined
          ? { subject: "", kind: PrincipalKind.SERVICE_TOKEN, email: "", serviceTokenName: "", tokenId: "" }
          : {
              subject: known.tokenId,
              kind: PrincipalKind.SERVICE_TOKEN,
              email: "",
              serviceTokenName: known.name,
              tokenId: known.tokenId,
            },
      // A token id with a wrong secret, or a retired one, is counted by source
      // so that guessing cannot lock out the service that holds the real one.
      counts: "source",
    };
  }
  const token = verification.token;
  return {
    ok: true,
    principal: {
      subject: token.tokenId,
      kind: PrincipalKind.SERVICE_TOKEN,
      email: "",
      scopes: token.scopes,
      roles: [],
      expiresAt: token.expiresAt,
      tokenId: token.tokenId,
      serviceTokenName: token.name,
    },
  };
}
