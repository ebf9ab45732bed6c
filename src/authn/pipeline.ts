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
import type { RiskAssessment } from "../gen/warden/v1/risk.js";
import { observedClient, type RiskDetector } from "../risk/detector.js";
import {
  eventPrincipalOf,
  type CredentialAuthenticator,
  type CredentialClaim,
  type PeerIdentity,
  type Refused,
} from "./authenticator.js";

export interface AuthenticationAttempt {
  /** "" when the caller presents only a client certificate (`peer`). */
  credential: string;
  /** The caller's client certificate, when the connection or a trusted proxy proved one. */
  peer?: PeerIdentity;
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
  /** False when the caller only reads the attempt's event and records its own: that one then needs no id. */
  eventIds: boolean;
}

export interface PipelineDuties {
  events: EventSink;
  /** Absent when lockout is turned off. */
  lockouts: Lockouts | undefined;
  /** Absent when risk detection is turned off. */
  risk: RiskDetector | undefined;
  now: () => Date;
}

/**
 * Authenticates any credential through the first authenticator that claims
 * it, and applies once, around its verdict, the duties every attempt owes:
 * the lockout check, risk scoring, one AuthenticationEvent, and failure
 * counting. Refused credentials are results, not errors.
 */
export class AuthenticationPipeline {
  constructor(
    private readonly authenticators: readonly CredentialAuthenticator[],
    private readonly duties: PipelineDuties,
  ) {}

  /** A login or a call (`attempt`): its one event is recorded, and its risk scored. */
  authenticate(attempt: AuthenticationAttempt): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events: this.duties.events, risk: this.duties.risk, eventIds: true });
  }

  /**
   * The credential of a request being authorized. Authorization sees a token
   * at its callers' request rate, which is not a login: nothing is scored for
   * risk (a busy service would read as a velocity anomaly), and the event goes
   * to `events`, for the caller to fold into the decision's own.
   */
  authenticateForAccess(attempt: AuthenticationAttempt, events: EventSink): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events, risk: undefined, eventIds: false });
  }

  /**
   * The caller of a reporting call (LogEvent, CheckLockout), made at its
   * service's own rate: not scored for risk, and only a refusal is recorded,
   * since a success per call would double every event reported.
   */
  authenticateReporter(attempt: AuthenticationAttempt): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events: this.refusalsOnly, risk: undefined, eventIds: true });
  }

  /**
   * Whether a credential verified earlier still does (not revoked, rotated
   * out or expired), with none of an attempt's duties: for the callers of
   * open streams. Undefined when it cannot be decided now.
   */
  async stillValid(credential: string): Promise<boolean | undefined> {
    const claim = this.claim(credential);
    if (claim === undefined) return false;
    const verdict = await claim.verify();
    if (verdict.ok) return true;
    return verdict.counts === "nothing" ? undefined : false;
  }

  private readonly refusalsOnly: EventSink = {
    record: (event) => {
      if (event.outcome !== Outcome.SUCCESS) this.duties.events.record(event);
    },
  };

  private claim(credential: string, peer?: PeerIdentity): CredentialClaim | undefined {
    for (const authenticator of this.authenticators) {
      const cached = authenticator.cachedClaim?.(credential);
      if (cached !== undefined) return cached;
    }
    for (const authenticator of this.authenticators) {
      const claim = authenticator.claim(credential, peer);
      if (claim !== undefined) return claim;
    }
    return undefined;
  }

  private async attempt(attempt: AuthenticationAttempt, duties: AttemptDuties): Promise<AuthenticationResult> {
    const { lockouts } = this.duties;
    const occurredAt = this.duties.now();
    // The attempt's one event, completed by whichever outcome it has.
    const event: AuthenticationEvent = {
      eventId: duties.eventIds ? newEventId(occurredAt.getTime()) : "",
      occurredAt,
      type: EventType.TOKEN_AUTH_FAILURE,
      severity: Severity.INFO,
      outcome: Outcome.FAILURE,
      principal: undefined,
      client: attempt.client,
      sourceService: attempt.sourceService,
      failureReason: FailureReason.UNSPECIFIED,
      riskScore: 0,
      riskSignals: [],
      details: {},
      receivedAt: undefined,
      identityProvider: "",
    };
    const ip = attempt.client?.ipAddress;

    // A locked-out source, or subject, is refused before its credential is looked at.
    const sourceKeys = lockoutKeys(undefined, ip);
    if (lockouts?.mightRefuse && sourceKeys.length > 0) {
      const checking = lockouts.check(sourceKeys, event.details);
      const refusal = checking instanceof Promise ? await checking : checking;
      if (refusal) return this.locked(event, duties, undefined, refusal);
    }

    const claim = this.claim(attempt.credential, attempt.peer);
    if (claim === undefined) {
      return this.refuse(event, duties, sourceKeys, {
        ok: false,
        reason: FailureReason.MALFORMED_CREDENTIAL,
        named: undefined,
        counts: "source",
      });
    }
    event.identityProvider = claim.identityProvider;
    const named = claim.namedSubject;
    if (named !== undefined && lockouts?.mightRefuse) {
      const checking = lockouts.check(lockoutKeys(named, ip), event.details);
      const refusal = checking instanceof Promise ? await checking : checking;
      if (refusal) return this.locked(event, duties, named, refusal);
    }

    // A verdict from memory (a cached token) is used without a turn of the event loop.
    const verifying = claim.verify();
    const verdict = verifying instanceof Promise ? await verifying : verifying;
    if (!verdict.ok) return this.refuse(event, duties, sourceKeys, verdict);
    lockouts?.rememberSuccess(verdict.principal.subject, ip);
    return this.succeed(event, duties, verdict.principal);
  }

  private locked(
    event: AuthenticationEvent,
    { events }: AttemptDuties,
    subject: string | undefined,
    refusal: Refusal,
  ): AuthenticationResult {
    event.principal =
      subject === undefined
        ? undefined
        : { subject, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" };
    event.failureReason = FailureReason.ACCOUNT_LOCKED;
    events.record(event);
    return {
      authenticated: false,
      failureReason: FailureReason.ACCOUNT_LOCKED,
      eventId: event.eventId,
      ...(refusal.until === undefined ? {} : { retryAfter: refusal.until }),
    };
  }

  private refuse(event: AuthenticationEvent, duties: AttemptDuties, sourceKeys: LockoutKey[], refused: Refused) {
    const { lockouts } = this.duties;
    const couldNotDecide = refused.counts === "nothing";
    const subject = refused.named?.subject;
    if (refused.counts === "subject" && subject !== undefined && subject !== "") {
      void lockouts?.countFailure(lockoutKeys(subject, event.client?.ipAddress));
      this.learnFailure(refused.named!, event, duties.risk);
    } else if (refused.counts === "source") {
      void lockouts?.countFailure(sourceKeys);
    }
    if (couldNotDecide) {
      event.severity = Severity.WARNING;
      event.outcome = Outcome.ERROR;
    }
    event.principal = refused.named;
    event.failureReason = refused.reason;
    if (refused.details !== undefined) event.details = { ...event.details, ...refused.details };
    duties.events.record(event);
    return { authenticated: false as const, failureReason: refused.reason, eventId: event.eventId };
  }

  /**
   * A verified credential: scored for risk (and refused above the deny score),
   * learnt from, and recorded.
   */
  private async succeed(
    event: AuthenticationEvent,
    { events, risk: detector }: AttemptDuties,
    principal: Principal,
  ): Promise<AuthenticationResult> {
    const who = eventPrincipalOf(principal);
    event.principal = who;
    if (detector === undefined) {
      event.type = EventType.TOKEN_AUTH_SUCCESS;
      event.outcome = Outcome.SUCCESS;
      events.record(event);
      return { authenticated: true, eventId: event.eventId, principal };
    }
    const occurredAt = event.occurredAt!;
    const observation = detector.observation(who.subject, who.kind, occurredAt, true, observedClient(event.client));
    const scored = detector.assess(observation);
    const risk = scored instanceof Promise ? await scored : scored;
    const denied = detector.denies(risk);
    // A refused attempt must not make its network or user agent familiar.
    const learnt = denied ? { ...observation, success: false } : observation;
    detector.learn(learnt);
    detector.persist(learnt);
    const outcome = denied ? Outcome.FAILURE : Outcome.SUCCESS;
    event.type = denied ? EventType.TOKEN_AUTH_FAILURE : EventType.TOKEN_AUTH_SUCCESS;
    event.outcome = outcome;
    if (denied) event.failureReason = FailureReason.RISK_TOO_HIGH;
    event.riskScore = risk.score;
    if (risk.signals.length > 0) event.riskSignals = risk.signals.map((fired) => fired.signal);
    events.record(event);
    detector.reportIfSuspicious(
      risk,
      { eventId: event.eventId, outcome, principal: who, client: event.client, sourceService: event.sourceService },
      occurredAt,
    );
    return denied
      ? { authenticated: false, failureReason: FailureReason.RISK_TOO_HIGH, eventId: event.eventId, risk }
      : { authenticated: true, eventId: event.eventId, principal, risk };
  }

  /** A failure that could be a guess counts toward the subject's profile (velocity, failures before a success). */
  private learnFailure(named: EventPrincipal, event: AuthenticationEvent, detector: RiskDetector | undefined): void {
    if (detector === undefined) return;
    const observation = detector.observation(
      named.subject,
      named.kind,
      event.occurredAt!,
      false,
      observedClient(event.client),
    );
    detector.learn(observation);
    detector.persist(observation);
  }
}
