import type { lockout_key_kind, lockout_wait_strategy } from "../../sql/queries/lockouts.queries.js";

export type LockoutKeyKind = lockout_key_kind;

/** How failures on one kind of key (a subject, an IP, a subject from one IP) turn into lockouts. */
export interface LockoutPolicy {
  maxFailures: number;
  /** Counted failures older than this are forgotten. */
  failureResetSeconds: number;
  /** The first lockout's wait, and the step by which later ones grow. */
  waitIncrementSeconds: number;
  waitStrategy: lockout_wait_strategy;
  maxWaitSeconds: number;
  /** Two failures closer together than this lock for quickLoginWaitSeconds; 0 turns the check off. */
  quickLoginCheckSeconds: number;
  quickLoginWaitSeconds: number;
  /** Temporary lockouts after which the next is permanent; 0 never. */
  maxTemporaryLockouts: number;
}

export type LockoutPolicies = Record<LockoutKeyKind, LockoutPolicy>;

/** One address failing for many different subjects: credential stuffing. */
export interface StuffingPolicy {
  /** Distinct subjects an address may fail for within the window; 0 turns detection off. */
  distinctSubjects: number;
  windowSeconds: number;
  /** How long a detected address is locked out. */
  waitSeconds: number;
}

export interface LockoutSettings {
  keys: LockoutPolicies;
  stuffing: StuffingPolicy;
  /**
   * Smart lockout: for this many days after a subject logs in from a network
   * (an IPv4 /24, an IPv6 /64), the subject's own lockout does not apply there;
   * 0 turns it off.
   */
  familiarDays: number;
  /**
   * How long successful logins' forgets and networks wait for company before
   * their statement, unless a failure or an admission on one of their keys
   * waits for them. Nobody else does, and most of a statement's cost to
   * PostgreSQL is the same however few logins it carries.
   */
  successLingerMs: number;
}

export const DEFAULT_STUFFING_POLICY: StuffingPolicy = { distinctSubjects: 20, windowSeconds: 600, waitSeconds: 3600 };

/** The defaults; the README's lockout table mirrors them. */
export const DEFAULT_LOCKOUT_POLICIES: LockoutPolicies = {
  // PCI DSS 8.3.4: at most 10 attempts, then at least 30 minutes.
  SUBJECT: {
    maxFailures: 10,
    failureResetSeconds: 12 * 3600,
    waitIncrementSeconds: 30 * 60,
    waitStrategy: "LINEAR",
    maxWaitSeconds: 24 * 3600,
    quickLoginCheckSeconds: 0,
    quickLoginWaitSeconds: 60,
    maxTemporaryLockouts: 0,
  },
  // One source guessing at one account: locked sooner, and for longer each time.
  SUBJECT_IP: {
    maxFailures: 5,
    failureResetSeconds: 12 * 3600,
    waitIncrementSeconds: 60,
    waitStrategy: "MULTIPLE",
    maxWaitSeconds: 30 * 60,
    quickLoginCheckSeconds: 0,
    quickLoginWaitSeconds: 60,
    maxTemporaryLockouts: 0,
  },
  // A gateway or NAT carries many users; only sustained failure locks it.
  IP: {
    maxFailures: 100,
    failureResetSeconds: 3600,
    waitIncrementSeconds: 60,
    waitStrategy: "MULTIPLE",
    maxWaitSeconds: 3600,
    quickLoginCheckSeconds: 0,
    quickLoginWaitSeconds: 60,
    maxTemporaryLockouts: 0,
  },
};
