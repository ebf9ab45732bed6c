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
import type { JwtVerifier } from "./jwt.js";
import { looksLikeServiceToken } from "../tokens/format.js";
import type { ServiceTokenVerifier } from "../tokens/verifier.js";

export interface AuthenticationAttempt {
  credential: string;
  client: ClientContext | undefined;
  sourceService: string;
}

export type AuthenticationResult =
  | { authenticated: true; principal: Principal; eventId: string }
  | { authenticated: false; failureReason: FailureReason; eventId: string };

type EventBase = Omit<AuthenticationEvent, "type" | "outcome" | "principal" | "failureReason">;

/** Where Authenticate's own events go; they are written without waiting for the commit. */
export interface EventSink {
  record(event: AuthenticationEvent): void;
}

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

    if (looksLikeServiceToken(credential)) return this.authenticateServiceToken(credential, base);

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
      return { authenticated: false, failureReason, eventId };
    }

    const verification = await this.jwt.verify(credential);
    if (!verification.ok) {
      const couldNotDecide = verification.reason === FailureReason.KEYS_UNAVAILABLE;
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

  private async authenticateServiceToken(credential: string, base: EventBase): Promise<AuthenticationResult> {
    const verification = await this.serviceTokens.verify(credential);
    if (!verification.ok) {
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
