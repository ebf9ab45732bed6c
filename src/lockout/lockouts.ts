import {
  admitAttempt,
  countFailures,
  findLockouts,
  forgetFailures,
  listActiveLockouts,
  notifyLockoutsChanged,
  writeLockoutPolicy,
  type ICountFailuresResult,
  type IListActiveLockoutsResult,
} from "../../sql/queries/lockouts.queries.js";
import type { Db } from "../db/pool.js";
import { newEventId } from "../events/event.js";
import type { EventSink } from "../events/recorder.js";
import { AuthenticationEvent, EventType, Outcome, PrincipalKind, Severity } from "../gen/warden/v1/event.js";
import type { Logger } from "../log.js";
import type { LockoutKeyKind, LockoutPolicies, LockoutPolicy } from "./policy.js";

export interface LockoutKey {
  kind: LockoutKeyKind;
  key: string;
}

/** The keys an attempt by `subject` from `ip` counts against; either may be unknown. */
export function lockoutKeys(subject: string | undefined, ip: string | undefined): LockoutKey[] {
  const keys: LockoutKey[] = [];
  if (subject !== undefined && subject !== "") keys.push({ kind: "SUBJECT", key: subject });
  if (ip !== undefined && ip !== "") keys.push({ kind: "IP", key: ip });
  if (keys.length === 2) keys.push({ kind: "SUBJECT_IP", key: `${subject}|${ip}` });
  return keys;
}

/** Why an attempt is refused; `until` is absent for a permanent lockout. */
export interface Refusal {
  until: Date | undefined;
  permanent: boolean;
}

/** The parts of a stored event that lockout counts. */
export interface ReportedEvent {
  type: string;
  outcome: string;
  subject: string | null;
  clientIp: string | null;
}

interface LockoutChange {
  kind: LockoutKeyKind;
  key: string;
  /** Epoch milliseconds; null for a permanent lockout. */
  until: number | null;
  permanent: boolean;
}

/** Failures waiting to be counted beyond this are dropped (and logged) rather than held in memory. */
const MAX_PENDING_FAILURES = 100_000;
const FAILURES_PER_STATEMENT = 5000;

const mapKey = (kind: LockoutKeyKind, key: string) => `${kind}\u0000${key}`;

/**
 * Lockout of subjects and client addresses that keep failing. Counters live
 * in PostgreSQL and are updated in one statement per batch of failures, so
 * every replica counts the same attempts. Each replica keeps the active
 * lockouts in memory, loaded when its listener connects and kept current by
 * notifications, so deciding whether a key is locked costs no database round
 * trip; while the listener is down, the database is asked instead.
 */
export class Lockouts {
  private readonly active = new Map<string, { until: number; permanent: boolean }>();
  private viewTrusted = false;
  /** Failures waiting to be counted: Warden's own, and those settling an admitted attempt. */
  private readonly pendingFailures = { own: [] as LockoutKey[], settling: [] as LockoutKey[] };
  private counting: Promise<void> | undefined;
  /** Writes still running, which shutdown waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly policies: LockoutPolicies,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Makes the configured policies the ones every replica counts by. */
  async writePolicies(): Promise<void> {
    for (const [keyKind, policy] of Object.entries(this.policies) as [LockoutKeyKind, LockoutPolicy][]) {
      await writeLockoutPolicy.run({ keyKind, ...policy }, this.db);
    }
  }

  /**
   * The listener is connected: (re)write the policies, in case the database
   * was away at start-up, and load what is locked now; notifications keep the
   * view current from here.
   */
  async listening(): Promise<void> {
    await this.writePolicies();
    const rows = await listActiveLockouts.run({ now: this.now() }, this.db);
    this.active.clear();
    for (const row of rows) this.remember(row);
    this.viewTrusted = true;
  }

  /** Notifications may be missed until `listening` runs again. */
  lost(): void {
    this.viewTrusted = false;
  }

  changed(payload: string): void {
    const change = JSON.parse(payload) as LockoutChange;
    this.active.set(mapKey(change.kind, change.key), {
      until: change.until ?? Number.POSITIVE_INFINITY,
      permanent: change.permanent,
    });
  }

  /**
   * The strictest active lockout among `keys`, or null when none is locked
   * out. From memory while notifications flow; from the database otherwise.
   */
  async check(keys: LockoutKey[]): Promise<Refusal | null> {
    if (keys.length === 0) return null;
    if (!this.viewTrusted) {
      // Lockout is a second line of defence: with the database away too, the
      // last known lockouts still apply and nothing else stops the caller.
      try {
        const rows = await findLockouts.run({ ...this.columns(keys), now: this.now() }, this.db);
        for (const row of rows) this.remember(row);
      } catch (error) {
        this.log.warn({ err: error }, "lockout: could not read lockouts; using the last known ones");
      }
    }
    const now = this.now().getTime();
    let refusal: Refusal | null = null;
    for (const { kind, key } of keys) {
      const lock = this.active.get(mapKey(kind, key));
      if (lock === undefined || (!lock.permanent && lock.until <= now)) continue;
      refusal = stricter(refusal, {
        until: lock.permanent ? undefined : new Date(lock.until),
        permanent: lock.permanent,
      });
    }
    return refusal;
  }

  /**
   * For a service about to check a password itself (CheckLockout): refuses
   * the attempt, or admits it and holds it as pending until the service
   * reports the outcome through LogEvent. Parallel attempts queue on the
   * counters' rows, so exactly max_failures are admitted, on any replica.
   */
  async admit(keys: LockoutKey[]): Promise<Refusal | null> {
    const [row] = await admitAttempt.run({ ...this.columns(keys), now: this.now() }, this.db);
    if (row === undefined || row.admitted) return null;
    return { until: row.permanent ? undefined : (row.lockedUntil ?? undefined), permanent: row.permanent };
  }

  /**
   * Counts a failed attempt against its keys without making the caller wait:
   * failures that arrive while a count is being written go out together in
   * the next statement. `settles`: the failure reports an attempt admitted
   * by `admit`, which it releases.
   */
  countFailure(keys: LockoutKey[], settles = false): void {
    if (keys.length === 0) return;
    const queue = settles ? this.pendingFailures.settling : this.pendingFailures.own;
    const waiting = this.pendingFailures.own.length + this.pendingFailures.settling.length;
    if (waiting + keys.length > MAX_PENDING_FAILURES) {
      this.log.warn({ waiting }, "lockout: too many failures waiting; one not counted");
      return;
    }
    queue.push(...keys);
    this.counting ??= this.track(
      this.countPending().finally(() => {
        this.counting = undefined;
      }),
    );
  }

  /**
   * Counts what other services report through LogEvent about their own
   * password checks: failed logins count against their keys, and a
   * successful login forgets the subject's failures.
   */
  countReported(events: ReportedEvent[]): void {
    const keysOf = (e: ReportedEvent) => lockoutKeys(e.subject ?? undefined, e.clientIp ?? undefined);
    for (const event of events) {
      if (event.outcome === "FAILURE" && (event.type === "LOGIN_FAILURE" || event.type === "TOKEN_AUTH_FAILURE")) {
        this.countFailure(keysOf(event), true);
      }
    }
    const succeeded = events.filter((e) => e.type === "LOGIN_SUCCESS" && e.outcome === "SUCCESS").flatMap(keysOf);
    if (succeeded.length > 0) {
      this.track(forgetFailures.run(this.columns(succeeded), this.db)).catch((error: unknown) =>
        this.log.warn({ err: error }, "lockout: could not forget failures after a successful login"),
      );
    }
  }

  /** Resolves once every count started so far is written (or has failed). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async countPending(): Promise<void> {
    // Failures counted in the same tick join the first statement.
    await Promise.resolve();
    for (;;) {
      const settles = this.pendingFailures.settling.length > 0;
      const queue = settles ? this.pendingFailures.settling : this.pendingFailures.own;
      if (queue.length === 0) return;
      const batch = queue.splice(0, FAILURES_PER_STATEMENT);
      try {
        await this.announce(await countFailures.run({ ...this.columns(batch), now: this.now(), settles }, this.db));
      } catch (error) {
        this.log.warn({ err: error, failures: batch.length }, "lockout: could not count failed attempts");
      }
    }
  }

  /** Records ACCOUNT_LOCKED and tells every replica, this one first, about the keys just locked out. */
  private async announce(rows: ICountFailuresResult[]): Promise<void> {
    const locked = rows.filter((row) => row.newlyLocked);
    if (locked.length === 0) return;
    for (const row of locked) {
      this.remember({ key_kind: row.keyKind, key: row.key, locked_until: row.lockedUntil, permanent: row.permanent });
      this.events.record(lockedEvent(row, this.now()));
    }
    const payloads = locked.map((row) =>
      JSON.stringify({
        kind: row.keyKind,
        key: row.key,
        until: row.lockedUntil?.getTime() ?? null,
        permanent: row.permanent,
      } satisfies LockoutChange),
    );
    await notifyLockoutsChanged.run({ payloads }, this.db);
  }

  private remember(row: IListActiveLockoutsResult): void {
    this.active.set(mapKey(row.key_kind, row.key), {
      until: row.locked_until?.getTime() ?? Number.POSITIVE_INFINITY,
      permanent: row.permanent,
    });
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  private columns(keys: LockoutKey[]) {
    return { kinds: keys.map((k) => k.kind), keys: keys.map((k) => k.key) };
  }
}

function lockedEvent(row: ICountFailuresResult, at: Date): AuthenticationEvent {
  // A SUBJECT_IP key is `subject|ip`; an address never holds "|", a subject may.
  const cut = row.key.lastIndexOf("|");
  const [subject, ip] =
    row.keyKind === "SUBJECT_IP"
      ? [row.key.slice(0, cut), row.key.slice(cut + 1)]
      : row.keyKind === "SUBJECT"
        ? [row.key, undefined]
        : [undefined, row.key];
  return AuthenticationEvent.fromPartial({
    eventId: newEventId(at.getTime()),
    occurredAt: at,
    type: EventType.ACCOUNT_LOCKED,
    severity: Severity.WARNING,
    outcome: Outcome.SUCCESS,
    ...(subject === undefined ? {} : { principal: { subject, kind: PrincipalKind.USER } }),
    ...(ip === undefined ? {} : { client: { ipAddress: ip } }),
    sourceService: "warden",
    details: {
      key_kind: row.keyKind,
      locked_until: row.lockedUntil?.toISOString() ?? "",
      permanent: String(row.permanent),
      lockouts: String(row.lockouts),
    },
  });
}

/** The stricter of two refusals: permanent wins, then the later end. */
function stricter(a: Refusal | null, b: Refusal): Refusal {
  if (a === null || b.permanent) return b;
  if (a.permanent) return a;
  return a.until! >= b.until! ? a : b;
}
