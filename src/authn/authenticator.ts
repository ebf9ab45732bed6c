import type { Principal } from "../gen/warden/v1/auth_service.js";
import {
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
  type AuthenticationEvent,
  type ClientContext,
  type EventPrincipal,
} from "../gen/warden/v1/event.js";
import { newEventId } from "../events/event.js";
import type { EventSink } from "../events/recorder.js";
import { lockoutKeys, type LockoutKey, type Lockouts, type Refusal } from "../lockout/lockouts.js";
import type { JwtVerification, JwtVerifier } from "./jwt.js";
import { looksLikeServiceToken } from "../tokens/format.js";
import type { ServiceTokenVerifier } from "../tokens/verifier.js";
import type { RiskAssessment } from "../gen/warden/v1/risk.js";
import { observedClient, type RiskDetector } from "../risk/detector.js";

export interface AuthenticationAttempt {
  credential: string;
  client: ClientContext | undefined;
  sourceService: string;
}

export type AuthenticationResult =
  | { authenticated: true; principal: Principal; eventId: string; risk?: RiskAssessment }
  | { authenticated: false; failureReason: FailureReason; eventId: string; retryAfter?: Date; risk?: RiskAssessment };

/** What one attempt owes besides verification: where its event goes, and who scores its risk. */
interface AttemptDuties {
  events: EventSink;
  risk: RiskDetector | undefined;
}

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
    /** Absent when risk detection is turned off. */
    private readonly risk: RiskDetector | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Authenticates for a login or a call (`attempt`): the one event it
   * produces is recorded, and the risk of the attempt is scored.
   */
  authenticate(attempt: AuthenticationAttempt): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events: this.events, risk: this.risk });
  }

  /**
   * Authenticates the credential of a request being authorized. Authorization
   * sees a token at its callers' request rate, which is not a login: nothing
   * is scored for risk (a busy service would read as a velocity anomaly), and
   * the event goes to `events`, for the caller to fold into the decision's own.
   */
  authenticateForAccess(attempt: AuthenticationAttempt, events: EventSink): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events, risk: undefined });
  }

  /**
   * Authenticates the caller of a reporting call (LogEvent, CheckLockout),
   * which a service makes at its own request rate: not scored for risk, and
   * only a refusal is recorded, since a success per call would double every
   * event reported.
   */
  authenticateReporter(attempt: AuthenticationAttempt): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events: this.refusalsOnly, risk: undefined });
  }

  private readonly refusalsOnly: EventSink = {
    record: (event) => {
      if (event.outcome !== Outcome.SUCCESS) this.events.record(event);
    },
  };

  private async attempt(attempt: AuthenticationAttempt, duties: AttemptDuties): Promise<AuthenticationResult> {
    const { events } = duties;
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
      riskSignals: [],
      details: {},
      receivedAt: undefined,
    };

    const ip = attempt.client?.ipAddress;
    const locked = (keys: LockoutKey[], refusal: Refusal): AuthenticationResult => {
      const subject = keys.find((k) => k.kind === "SUBJECT")?.key;
      events.record({
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

    if (looksLikeServiceToken(credential)) return this.authenticateServiceToken(credential, base, sourceKeys, duties);

    const isJwt = credential.length <= MAX_CREDENTIAL_LENGTH && JWT_SHAPE.test(credential);
    if (!isJwt || this.jwt === undefined) {
      const failureReason = isJwt ? FailureReason.UNSUPPORTED_CREDENTIAL : FailureReason.MALFORMED_CREDENTIAL;
      events.record({
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
      if (!couldNotDecide) {
        void this.lockouts?.countFailure(keys);
        this.learnFailure(verification.subject, PrincipalKind.USER, base, duties.risk);
      }
      events.record({
        ...base,
        type: EventType.TOKEN_AUTH_FAILURE,
        severity: couldNotDecide ? Severity.WARNING : Severity.INFO,
        outcome: couldNotDecide ? Outcome.ERROR : Outcome.FAILURE,
        principal:
          verification.subject === undefined
            ? undefined
            : { subject: verification.subject, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
        failureReason: verification.reason,
        ...(verification.details === undefined ? {} : { details: verification.details }),
      });
      return { authenticated: false, failureReason: verification.reason, eventId };
    }

    const claims = verification.claims;
    this.lockouts?.rememberSuccess(claims.subject, ip);
    return this.succeed(
      base,
      duties,
      {
        subject: claims.subject,
        kind: PrincipalKind.USER,
        email: claims.email,
        serviceTokenName: "",
        tokenId: claims.tokenId,
      },
      {
        subject: claims.subject,
        kind: PrincipalKind.USER,
        email: claims.email,
        scopes: claims.scopes,
        roles: claims.roles,
        expiresAt: claims.expiresAt,
        tokenId: claims.tokenId,
        serviceTokenName: "",
      },
    );
  }

  /**
   * A verified credential: scored for risk (and refused above the deny score),
   * learnt from, and recorded.
   */
  private async succeed(
    base: EventBase,
    { events, risk: detector }: AttemptDuties,
    who: EventPrincipal,
    principal: Principal,
  ): Promise<AuthenticationResult> {
    if (detector === undefined) {
      events.record({
        ...base,
        type: EventType.TOKEN_AUTH_SUCCESS,
        outcome: Outcome.SUCCESS,
        principal: who,
        failureReason: FailureReason.UNSPECIFIED,
      });
      return { authenticated: true, eventId: base.eventId, principal };
    }
    const observation = detector.observation(
      who.subject,
      who.kind,
      base.occurredAt!,
      true,
      observedClient(base.client),
    );
    const scored = detector.assess(observation);
    const risk = scored instanceof Promise ? await scored : scored;
    const denied = detector.denies(risk);
    // A refused attempt must not make its network or user agent familiar.
    const learnt = denied ? { ...observation, success: false } : observation;
    detector.learn(learnt);
    detector.persist(learnt);
    const outcome = denied ? Outcome.FAILURE : Outcome.SUCCESS;
    events.record({
      ...base,
      type: denied ? EventType.TOKEN_AUTH_FAILURE : EventType.TOKEN_AUTH_SUCCESS,
      outcome,
      principal: who,
      failureReason: denied ? FailureReason.RISK_TOO_HIGH : FailureReason.UNSPECIFIED,
      riskScore: risk.score,
      riskSignals: risk.signals.map((fired) => fired.signal),
    });
    detector.reportIfSuspicious(
      risk,
      { eventId: base.eventId, outcome, principal: who, client: base.client, sourceService: base.sourceService },
      base.occurredAt!,
    );
    return denied
      ? { authenticated: false, failureReason: FailureReason.RISK_TOO_HIGH, eventId: base.eventId, risk }
      : { authenticated: true, eventId: base.eventId, principal, risk };
  }

  /** A verification failure counts toward the subject's profile (velocity, failures before a success). */
  private learnFailure(
    subject: string | undefined,
    kind: PrincipalKind,
    base: EventBase,
    detector: RiskDetector | undefined,
  ): void {
    if (detector === undefined || subject === undefined || subject === "") return;
    const observation = detector.observation(subject, kind, base.occurredAt!, false, observedClient(base.client));
    detector.learn(observation);
    detector.persist(observation);
  }

  private async authenticateServiceToken(
    credential: string,
    base: EventBase,
    sourceKeys: LockoutKey[],
    duties: AttemptDuties,
  ): Promise<AuthenticationResult> {
    const { events } = duties;
    const verification = await this.serviceTokens.verify(credential);
    if (!verification.ok) {
      void this.lockouts?.countFailure(sourceKeys);
      this.learnFailure(verification.token?.tokenId, PrincipalKind.SERVICE_TOKEN, base, duties.risk);
      events.record({
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
    return this.succeed(
      base,
      duties,
      {
        subject: token.tokenId,
        kind: PrincipalKind.SERVICE_TOKEN,
        email: "",
        serviceTokenName: token.name,
        tokenId: token.tokenId,
      },
      {
        subject: token.tokenId,
        kind: PrincipalKind.SERVICE_TOKEN,
        email: "",
        scopes: token.scopes,
        roles: [],
        expiresAt: token.expiresAt,
        tokenId: token.tokenId,
        serviceTokenName: token.name,
      },
    );
  }
}
