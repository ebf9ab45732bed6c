import type { X509Certificate } from "node:crypto";
import type { Principal } from "../gen/warden/v1/auth_service.js";
import type { EventPrincipal, FailureReason } from "../gen/warden/v1/event.js";

/**
 * One kind of credential. The pipeline (pipeline.ts) asks each authenticator
 * in turn whether a credential is its kind; the first that claims it verifies
 * it, and the pipeline applies the duties every attempt owes (lockout, risk,
 * the event) around the verdict. A new credential kind is one file
 * implementing this, plus one line in main.ts.
 */
export interface CredentialAuthenticator {
  /**
   * The credential's claim, or undefined when it is not this authenticator's
   * kind ("not mine"). Cheap and free of I/O: every authenticator is asked.
   * `credential` is "" when the caller presented only a certificate.
   */
  claim(credential: string, peer?: PeerIdentity): CredentialClaim | undefined;
  /**
   * The claim of a credential this authenticator verified before and still
   * holds in memory, else undefined. The pipeline asks every authenticator
   * this first, so a credential answered from memory pays for no other
   * authenticator's "not mine" (such as decoding a JWT to read its issuer).
   */
  cachedClaim?(credential: string): CredentialClaim | undefined;
}

/** What the connection (or the proxy in front of it) proved about the caller. */
export interface PeerIdentity {
  /** The client certificate, verified by TLS (mTLS) or forwarded by a trusted proxy. */
  certificate: X509Certificate;
  /** Verified by Warden's own TLS handshake; a forwarded certificate must be checked against the CA. */
  verifiedByTls: boolean;
}

export interface CredentialClaim {
  /** The identity source answering, named on the event: a provider's name, "service_token", "x509"… */
  identityProvider: string;
  /**
   * The subject the credential names before it is verified, so that a
   * locked-out subject is refused without verifying; undefined when the
   * credential names none worth checking.
   */
  namedSubject: string | undefined;
  verify(): Verdict | Promise<Verdict>;
}

export type Verdict = Accepted | Refused;

export interface Accepted {
  ok: true;
  principal: Principal;
}

/**
 * What a refused attempt counts against. Lockout exists to stop guessing, so
 * an attempt counts against a subject only when it could be a guess at that
 * subject's credential:
 * - "subject": a verified credential refused for what it says (an expired or
 *   wrong-audience JWT): its subject and source address;
 * - "source": anything that cannot be pinned on a subject, such as a forged
 *   signature (signatures are not guessed) or an unknown token: the source
 *   address, and stuffing detection, only;
 * - "nothing": Warden could not decide (keys unavailable), so no one is blamed.
 */
export type FailureCounting = "subject" | "source" | "nothing";

export interface Refused {
  ok: false;
  reason: FailureReason;
  /** Who the credential names, as far as it can be told; recorded on the event. */
  named: EventPrincipal | undefined;
  counts: FailureCounting;
  /** What the event should carry besides the reason, e.g. which claims could not be recorded. */
  details?: Record<string, string>;
}

/** The event's view of a verified principal. */
export function eventPrincipalOf(principal: Principal): EventPrincipal {
  return {
    subject: principal.subject,
    kind: principal.kind,
    email: principal.email,
    serviceTokenName: principal.serviceTokenName,
    tokenId: principal.tokenId,
  };
}
