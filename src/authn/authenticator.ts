import type { Principal } from "../gen/warden/v1/auth_service.js";
import {
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
  type AuthenticationEvent,
  type ClientContext,
} from "../gen/warden/v1/event.js";
import { newEventId } from "../events/event.js";
import type { EventSink } from "../events/recorder.js";
import { lockoutKeys, type LockoutKey, type Lockouts, type Refusal } from "../lockout/lockouts.js";
import type { JwtVerification, JwtVerifier } from "./jwt.js";
import { looksLikeServiceToken } from "../tokens/format.js";
import type { ServiceTokenVerifier } from "../tokens/verifier.js";

export interface AuthenticationAttempt {
  credential: string;
  client: ClientContext | undefined;
  sourceService: string;
}

export type AuthenticationResult =
  | { authenticated: true; principal: Principal; eventId: string }
  | { authenticated: false; failureReason: FailureReason; eventId: string; retryAfter?: Date };

type EventBase = Omit<AuthenticationEvent, "type" | "outcome" | "principal" | "failureReason">;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_CREDENTIAL_LENGTH = 16 * 1024;

/**
 * Decides who a credential belongs to and records one AuthenticationEvent per
 * attempt. Invalid credentials are results, not errors.
 */
export class Authenticator {
  constructor(
    private readonly jwt: JwtVerifier | undefined,
    private readonly serviceTokens: ServiceTokenVerifier,
    private readonly events: EventSink,
    /** Absent when lockout is turned off. */
    private readonly lockouts: Lockouts | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async authenticate(attempt: AuthenticationAttempt): Promise<AuthenticationResult> {
    const occurredAt = this.now();
    const eventId = newEventId(occurredAt.getTime());
    const { credential } = attempt;
    const base: EventBase = {
      eventId,
      occurredAt,
      severity: Severity.INFO,
      client: attempt.client,
      sourceService: attempt.sourceService,
      riskScore: 0,
      details: {},
      receivedAt: undefined,
    };

    const ip = attempt.client?.ipAddress;
    const locked = (keys: LockoutKey[], refusal: Refusal): AuthenticationResult => {
      const subject = keys.find((k) => k.kind === "SUBJECT")?.key;
      this.events.record({
        ...base,
        type: EventType.TOKEN_AUTH_FAILURE,
        principal:
          subject === undefined
            ? undefined
            : { subject, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
        outcome: Outcome.FAILURE,
        failureReason: FailureReason.ACCOUNT_LOCKED,
      });
      return {
        authenticated: false,
        failureReason: FailureReason.ACCOUNT_LOCKED,
        eventId,
        ...(refusal.until === undefined ? {} : { retryAfter: refusal.until }),
      };
    };

    // A locked-out source, or subject, is refused before its credential is looked at.
    const sourceKeys = lockoutKeys(undefined, ip);
    const sourceRefusal = await this.lockouts?.check(sourceKeys);
    if (sourceRefusal) return locked(sourceKeys, sourceRefusal);

    if (looksLikeServiceToken(credential)) return this.authenticateServiceToken(credential, base, sourceKeys);

    const isJwt = credential.length <= MAX_CREDENTIAL_LENGTH && JWT_SHAPE.test(credential);
    if (!isJwt || this.jwt === undefined) {
      const failureReason = isJwt ? FailureReason.UNSUPPORTED_CREDENTIAL : FailureReason.MALFORMED_CREDENTIAL;
      this.events.record({
        ...base,
        type: EventType.TOKEN_AUTH_FAILURE,
        outcome: Outcome.FAILURE,
        principal: undefined,
        failureReason,
      });
      void this.lockouts?.countFailure(sourceKeys);
      return { authenticated: false, failureReason, eventId };
    }

    // The subject a JWT names is read before its signature is checked, so that
    // a locked-out subject is refused without one.
    const cached = this.jwt.cached(credential);
    const subject = cached?.subject ?? this.jwt.unverifiedSubject(credential);
    const keys = lockoutKeys(subject, ip);
    const refusal = subject === undefined ? null : await this.lockouts?.check(keys);
    if (refusal) return locked(keys, refusal);
    const verification: JwtVerification =
      cached === undefined ? await this.jwt.verify(credential) : { ok: true, claims: cached };
    if (!verification.ok) {
      const couldNotDecide = verification.reason === FailureReason.KEYS_UNAVAILABLE;
      if (!couldNotDecide) void this.lockouts?.countFailure(keys);
      this.events.record({
        ...base,
        type: EventType.TOKEN_AUTH_FAILURE,
        severity: couldNotDecide ? Severity.WARNING : Severity.INFO,
        outcome: couldNotDecide ? Outcome.ERROR : Outcome.FAILURE,
        principal:
          verification.subject === undefined
            ? undefined
            : { subject: verification.subject, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
        failureReason: verification.reason,
      });
      return { authenticated: false, failureReason: verification.reason, eventId };
    }

    const claims = verification.claims;
    this.lockouts?.rememberSuccess(claims.subject, ip);
    this.events.record({
      ...base,
      type: EventType.TOKEN_AUTH_SUCCESS,
      outcome: Outcome.SUCCESS,
      principal: {
        subject: claims.subject,
        kind: PrincipalKind.USER,
        email: claims.email,
        serviceTokenName: "",
        tokenId: claims.tokenId,
      },
      failureReason: FailureReason.UNSPECIFIED,
    });
    return {
      authenticated: true,
      eventId,
      principal: {
        subject: claims.subject,
        kind: PrincipalKind.USER,
        email: claims.email,
        scopes: claims.scopes,
        roles: claims.roles,
        expiresAt: claims.expiresAt,
        tokenId: claims.tokenId,
        serviceTokenName: "",
      },
    };
  }

  private async authenticateServiceToken(
    credential: string,
    base: EventBase,
    sourceKeys: LockoutKey[],
  ): Promise<AuthenticationResult> {
    const verification = await this.serviceTokens.verify(credential);
    if (!verification.ok) {
      void this.lockouts?.countFailure(sourceKeys);
      this.events.record({
        ...base,
        type: EventType.TOKEN_AUTH_FAILURE,
        outcome: Outcome.FAILURE,
        principal:
          verification.token === undefined
            ? { subject: "", kind: PrincipalKind.SERVICE_TOKEN, email: "", serviceTokenName: "", tokenId: "" }
            : {
                subject: verification.token.tokenId,
                kind: PrincipalKind.SERVICE_TOKEN,
                email: "",
                serviceTokenName: verification.token.name,
                tokenId: verification.token.tokenId,
              },
        failureReason: verification.reason,
      });
      return { authenticated: false, failureReason: verification.reason, eventId: base.eventId };
    }
    const token = verification.token;
    this.events.record({
      ...base,
      type: EventType.TOKEN_AUTH_SUCCESS,
      outcome: Outcome.SUCCESS,
      principal: {
        subject: token.tokenId,
        kind: PrincipalKind.SERVICE_TOKEN,
        email: "",
        serviceTokenName: token.name,
        tokenId: token.tokenId,
      },
      failureReason: FailureReason.UNSPECIFIED,
    });
    return {
      authenticated: true,
      eventId: base.eventId,
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
}
