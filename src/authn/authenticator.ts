import { v7 as uuidv7 } from "uuid";
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
import type { JwtVerifier } from "./jwt.js";

export interface AuthenticationAttempt {
  credential: string;
  client: ClientContext | undefined;
  sourceService: string;
}

export type AuthenticationResult =
  | { authenticated: true; principal: Principal; eventId: string }
  | { authenticated: false; failureReason: FailureReason; eventId: string };

/** Where Authenticate's own events go; they are written without waiting for the commit. */
export interface EventSink {
  record(event: AuthenticationEvent): void;
}

/** Service-token format (see the service-token issue): a fixed prefix scanners recognise. */
const SERVICE_TOKEN_PREFIX = "wdn_";
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_CREDENTIAL_LENGTH = 16 * 1024;

/**
 * Decides who a credential belongs to and records one AuthenticationEvent per
 * attempt. Invalid credentials are results, not errors.
 */
export class Authenticator {
  constructor(
    private readonly jwt: JwtVerifier | undefined,
    private readonly events: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async authenticate(attempt: AuthenticationAttempt): Promise<AuthenticationResult> {
    const eventId = uuidv7();
    const { credential } = attempt;
    const base = {
      eventId,
      occurredAt: this.now(),
      severity: Severity.INFO,
      client: attempt.client,
      sourceService: attempt.sourceService,
      riskScore: 0,
      details: {},
      receivedAt: undefined,
    };

    const isJwt = credential.length <= MAX_CREDENTIAL_LENGTH && JWT_SHAPE.test(credential);
    if (!isJwt || this.jwt === undefined) {
      const failureReason =
        credential.startsWith(SERVICE_TOKEN_PREFIX) || (isJwt && this.jwt === undefined)
          ? FailureReason.UNSUPPORTED_CREDENTIAL
          : FailureReason.MALFORMED_CREDENTIAL;
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
}
