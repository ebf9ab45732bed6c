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
}

export interface PipelineDuties {
  events: EventSink;
  /** Absent when lockout is turned off. */
  lockouts: Lockouts | undefined;
  /** Absent when risk detection is turned off. */
  risk: RiskDetector | undefined;
  now: () => Date;
}

type EventBase = Omit<AuthenticationEvent, "type" | "outcome" | "principal" | "failureReason">;

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
    return this.attempt(attempt, { events: this.duties.events, risk: this.duties.risk });
  }

  /**
   * The credential of a request being authorized. Authorization sees a token
   * at its callers' request rate, which is not a login: nothing is scored for
   * risk (a busy service would read as a velocity anomaly), and the event goes
   * to `events`, for the caller to fold into the decision's own.
   */
  authenticateForAccess(attempt: AuthenticationAttempt, events: EventSink): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events, risk: undefined });
  }

  /**
   * The caller of a reporting call (LogEvent, CheckLockout), made at its
   * service's own rate: not scored for risk, and only a refusal is recorded,
   * since a success per call would double every event reported.
   */
  authenticateReporter(attempt: AuthenticationAttempt): Promise<AuthenticationResult> {
    return this.attempt(attempt, { events: this.refusalsOnly, risk: undefined });
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
      const claim = authenticator.claim(credential, peer);
      if (claim !== undefined) return claim;
    }
    return undefined;
  }

  private async attempt(attempt: AuthenticationAttempt, duties: AttemptDuties): Promise<AuthenticationResult> {
    const { lockouts } = this.duties;
    const occurredAt = this.duties.now();
    const base: EventBase = {
      eventId: newEventId(occurredAt.getTime()),
      occurredAt,
      severity: Severity.INFO,
      client: attempt.client,
      sourceService: attempt.sourceService,
      riskScore: 0,
      riskSignals: [],
      details: {},
      receivedAt: undefined,
      identityProvider: "",
    };
    const ip = attempt.client?.ipAddress;

    // A locked-out source, or subject, is refused before its credential is looked at.
    const sourceKeys = lockoutKeys(undefined, ip);
    const sourceRefusal = await lockouts?.check(sourceKeys);
    if (sourceRefusal) return this.locked(base, duties, undefined, sourceRefusal);

    const claim = this.claim(attempt.credential, attempt.peer);
    if (claim === undefined) {
      return this.refuse(base, duties, sourceKeys, {
        ok: false,
        reason: FailureReason.MALFORMED_CREDENTIAL,
        named: undefined,
        counts: "source",
      });
    }
    base.identityProvider = claim.identityProvider;
    const named = claim.namedSubject;
    if (named !== undefined) {
      const refusal = await lockouts?.check(lockoutKeys(named, ip));
      if (refusal) return this.locked(base, duties, named, refusal);
    }

    const verdict = await claim.verify();
    if (!verdict.ok) return this.refuse(base, duties, sourceKeys, verdict);
    lockouts?.rememberSuccess(verdict.principal.subject, ip);
    return this.succeed(base, duties, verdict.principal);
  }

  private locked(
    base: EventBase,
    { events }: AttemptDuties,
    subject: string | undefined,
    refusal: Refusal,
  ): AuthenticationResult {
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
      eventId: base.eventId,
      ...(refusal.until === undefined ? {} : { retryAfter: refusal.until }),
    };
  }

  private refuse(base: EventBase, duties: AttemptDuties, sourceKeys: LockoutKey[], refused: Refused) {
    const { lockouts } = this.duties;
    const couldNotDecide = refused.counts === "nothing";
    const subject = refused.named?.subject;
    if (refused.counts === "subject" && subject !== undefined && subject !== "") {
      void lockouts?.countFailure(lockoutKeys(subject, base.client?.ipAddress));
      this.learnFailure(refused.named!, base, duties.risk);
    } else if (refused.counts === "source") {
      void lockouts?.countFailure(sourceKeys);
    }
    duties.events.record({
      ...base,
      type: EventType.TOKEN_AUTH_FAILURE,
      severity: couldNotDecide ? Severity.WARNING : Severity.INFO,
      outcome: couldNotDecide ? Outcome.ERROR : Outcome.FAILURE,
      principal: refused.named,
      failureReason: refused.reason,
      ...(refused.details === undefined ? {} : { details: refused.details }),
    });
    return { authenticated: false as const, failureReason: refused.reason, eventId: base.eventId };
  }

  /**
   * A verified credential: scored for risk (and refused above the deny score),
   * learnt from, and recorded.
   */
  private async succeed(
    base: EventBase,
    { events, risk: detector }: AttemptDuties,
    principal: Principal,
  ): Promise<AuthenticationResult> {
    const who = eventPrincipalOf(principal);
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

  /** A failure that could be a guess counts toward the subject's profile (velocity, failures before a success). */
  private learnFailure(named: EventPrincipal, base: EventBase, detector: RiskDetector | undefined): void {
    if (detector === undefined) return;
    const observation = detector.observation(
      named.subject,
      named.kind,
      base.occurredAt!,
      false,
      observedClient(base.client),
    );
    detector.learn(observation);
    detector.persist(observation);
  }
}
