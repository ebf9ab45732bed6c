import {
  admitAttempt,
  countFailures,
  findLockouts,
  isFamiliar,
  listActiveLockouts,
  listLockouts,
  notifyLockoutsChanged,
  unlock,
  writeLockoutPolicy,
  writeSuccesses,
  type ICountFailuresResult,
  type IListActiveLockoutsResult,
} from "../../sql/queries/lockouts.queries.js";
import { LRUCache } from "lru-cache";
import { hostname } from "node:os";
import { Backoff, writeIsolatingRefusals } from "../db/batches.js";
import { DatabaseWait } from "../db/database-wait.js";
import { decodePageToken, encodePageToken } from "../db/page-token.js";
import { withTransaction, type Db, type Pool } from "../db/pool.js";
import { EVENT_LIMITS, newEventId } from "../events/event.js";
import type { EventSink } from "../events/recorder.js";
import { AuthenticationEvent, EventType, Outcome, PrincipalKind, Severity } from "../gen/warden/v1/event.js";
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import {
  LockoutKeyKind as ProtoKeyKind,
  type ListLockoutsRequest,
  type ListLockoutsResponse,
  Lockout,
} from "../gen/warden/v1/lockout_service.js";
import type { Logger } from "../log.js";
import type { RejectedRows } from "../ops/metrics.js";
import { boundedText } from "../validate.js";
import { recordAudit, type Actor } from "../audit/audit.js";
import type { LockoutKeyKind, LockoutPolicy, LockoutSettings } from "./policy.js";

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

/** A successful login's part to write: keys whose failures it forgets, a network it makes familiar, or both. */
interface QueuedSuccess {
  keys: LockoutKey[];
  network: { subject: string; ip: string } | undefined;
  written: () => void;
}

interface QueuedCount {
  keys: LockoutKey[];
  settles: boolean;
  /** Earlier tries the database could not serve. */
  attempts: number;
  counted: () => void;
}

interface LockoutChange {
  kind: LockoutKeyKind;
  key: string;
  /** Epoch milliseconds; null for a permanent lockout, or (with permanent false) a lifted one. */
  until: number | null;
  permanent: boolean;
}

/**
 * The mark an attempt's event `details` carry when its lockout decision came
 * from this replica's last known lockouts because the database did not answer
 * in time.
 */
export const LAST_KNOWN_LOCKOUTS = { lockout_view: "last_known" } as const;

/** Who changes configuration: the environment a replica started with. */
const CONFIGURATION_ACTOR = { principal: `config:${hostname()}` };

/** Failures waiting to be counted beyond this are dropped (and logged) rather than held in memory. */
const MAX_PENDING_FAILURES = 100_000;
const FAILURES_PER_STATEMENT = 5000;
/** Tries at counting a failure while the database cannot serve it (about 3 s of back-off), before it is dropped. */
const MAX_COUNT_ATTEMPTS = 5;

/** Proto and database name the key kinds alike; this fails to compile if either side gains one. */
const KEY_KINDS: Record<Exclude<keyof typeof ProtoKeyKind, "UNSPECIFIED" | "UNRECOGNIZED">, LockoutKeyKind> = {
  SUBJECT: "SUBJECT",
  IP: "IP",
  SUBJECT_IP: "SUBJECT_IP",
};

function keyKind(kind: ProtoKeyKind, field: string): LockoutKeyKind {
  const name = ProtoKeyKind[kind] as keyof typeof KEY_KINDS | undefined;
  const dbKind = name === undefined ? undefined : KEY_KINDS[name];
  if (dbKind === undefined) throw new InvalidArgumentError(field, "must be SUBJECT, IP or SUBJECT_IP");
  return dbKind;
}

function toLockout(row: {
  key_kind: LockoutKeyKind;
  key: string;
  locked_until: Date | null;
  permanent: boolean;
  lockouts: number;
}): Lockout {
  return {
    kind: ProtoKeyKind[row.key_kind],
    key: row.key,
    lockedUntil: row.permanent ? undefined : (row.locked_until ?? undefined),
    permanent: row.permanent,
    lockouts: row.lockouts,
  };
}

const MAX_PAGE_SIZE = 1000;
/** Well above the longest key Warden makes (a 256-character subject, "|" and an address). */
const MAX_KEY_LENGTH = 1024;
/** The reason becomes a detail of the ACCOUNT_UNLOCKED event. */
const MAX_REASON_LENGTH = EVENT_LIMITS.maxDetailValueLength;

function decodeCursor(token: string): { kind: LockoutKeyKind; key: string } {
  const [kind, key] = decodePageToken(token, 2, "ListLockouts") as [string, string];
  // A stored key holds no NUL, so a token whose key does is not one of ours.
  if (!Object.values(KEY_KINDS).includes(kind as LockoutKeyKind) || key.includes("\u0000")) {
    throw new InvalidArgumentError("page_token", "not a token returned by ListLockouts");
  }
  return { kind: kind as LockoutKeyKind, key };
}

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
  private policiesWritten = false;
  /** Failures waiting to be counted, in arrival order. */
  private readonly queuedCounts: QueuedCount[] = [];
  private queuedKeys = 0;
  private counting: Promise<void> | undefined;
  /** Successful logins' forgets and networks still to be written, in arrival order. */
  private readonly queuedSuccesses: QueuedSuccess[] = [];
  /** Each key with a forget not yet written, and the latest such forget, which later counts and admissions wait for. */
  private readonly forgetsOf = new Map<string, { written: Promise<void>; seq: number }>();
  private writingSuccesses: Promise<void> | undefined;
  /** Ends the successes' current linger early. */
  private wakeSuccesses: (() => void) | undefined;
  /** Successes queued, and taken into statements, so far: a queued success's seq is its place in that count. */
  private queuedSeq = 0;
  private takenSeq = 0;
  /** The last queued success something waits for (a count, an admission, shutdown): until it is taken, no linger. */
  private awaitedSeq = 0;
  /** Networks remembered lately, not written again for an hour. */
  private readonly rememberedLately = new LRUCache<string, true>({ max: 100_000, ttl: 3_600_000 });
  /** Spaces out the retries of counts the database could not serve. */
  private readonly backoff = new Backoff();
  /** Writes still running, which shutdown waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Pool,
    private readonly settings: LockoutSettings,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly rejected: RejectedRows,
    private readonly now: () => Date = () => new Date(),
    /** Bounds the reads Authenticate waits for (the lockouts themselves, familiar networks). */
    private readonly databaseWait = new DatabaseWait(150),
  ) {}

  /** Writes the configured policies; a change from what the database held is audited, as a configuration change. */
  async writePolicies(): Promise<void> {
    await withTransaction(this.db, async (client) => {
      for (const [keyKind, policy] of Object.entries(this.settings.keys) as [LockoutKeyKind, LockoutPolicy][]) {
        const [changed] = await writeLockoutPolicy.run({ keyKind, ...policy }, client);
        if (changed === undefined) continue;
        await recordAudit(client, CONFIGURATION_ACTOR, {
          action: "configuration.lockout_policy",
          target: `lockout_policy:${keyKind}`,
          ...(changed.before === null ? {} : { before: changed.before }),
          after: changed.after,
        });
      }
    });
    this.policiesWritten = true;
  }

  /**
   * The listener is connected: write the policies if the database was away
   * at start-up, and load what is locked now; notifications keep the
   * view current from here.
   */
  async listening(): Promise<void> {
    if (!this.policiesWritten) await this.writePolicies();
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
    const key = mapKey(change.kind, change.key);
    if (change.until === null && !change.permanent) {
      this.active.delete(key);
      return;
    }
    this.active.set(key, {
      until: change.until ?? Number.POSITIVE_INFINITY,
      permanent: change.permanent,
    });
  }

  /**
   * False while this replica's view is current and nothing is locked out:
   * then no check can refuse, and an attempt need not build its keys.
   */
  get mightRefuse(): boolean {
    return !this.viewTrusted || this.active.size > 0;
  }

  /**
   * The strictest active lockout among `keys`, or null when none is locked
   * out. From memory while notifications flow, and then synchronously unless
   * a subject's lockout needs its familiar networks read; from the database
   * otherwise, waiting for it at most the authentication wait. When it does
   * not answer in time, the last known lockouts decide and `details` (the
   * attempt's event details) is marked with LAST_KNOWN_LOCKOUTS.
   */
  check(keys: LockoutKey[], details?: Record<string, string>): Refusal | null | Promise<Refusal | null> {
    if (keys.length === 0) return null;
    return this.viewTrusted ? this.decide(keys, details) : this.readThenDecide(keys, details);
  }

  private async readThenDecide(keys: LockoutKey[], details?: Record<string, string>): Promise<Refusal | null> {
    if (!(await this.readLockouts(keys))) Object.assign(details ?? {}, LAST_KNOWN_LOCKOUTS);
    return this.decide(keys, details);
  }

  private decide(keys: LockoutKey[], details?: Record<string, string>): Refusal | null | Promise<Refusal | null> {
    const now = this.now().getTime();
    let refusal: Refusal | null = null;
    let subjectRefusal: Refusal | null = null;
    for (const { kind, key } of keys) {
      const lock = this.active.get(mapKey(kind, key));
      if (lock === undefined) continue;
      if (!lock.permanent && lock.until <= now) {
        // Expired: forget it, so the map holds only lockouts in force.
        this.active.delete(mapKey(kind, key));
        continue;
      }
      const found = { until: lock.permanent ? undefined : new Date(lock.until), permanent: lock.permanent };
      if (kind === "SUBJECT") subjectRefusal = found;
      else refusal = stricter(refusal, found);
    }
    if (subjectRefusal === null) return refusal;
    // Smart lockout: the subject's own lockout does not apply from a familiar network.
    const subject = keys.find((k) => k.kind === "SUBJECT")!.key;
    const ip = keys.find((k) => k.kind === "IP")?.key;
    if (ip === undefined) return stricter(refusal, subjectRefusal);
    const lockedSubject = subjectRefusal;
    return this.familiar(subject, ip, details).then((familiar) =>
      familiar ? refusal : stricter(refusal, lockedSubject),
    );
  }

  /**
   * Refreshes the view of `keys` from the database; false when it did not
   * answer within the wait. Lockout is a second line of defence: with the
   * database away, the last known lockouts still apply and nothing else stops
   * the caller.
   */
  private async readLockouts(keys: LockoutKey[]): Promise<boolean> {
    try {
      const read = await this.databaseWait.answer(() =>
        findLockouts.run({ ...this.columns(keys), now: this.now() }, this.db),
      );
      if (!read.answered) return false;
      for (const row of read.value) this.remember(row);
      return true;
    } catch (error) {
      this.log.warn({ err: error }, "lockout: could not read lockouts; using the last known ones");
      return false;
    }
  }

  /**
   * For a service about to check a password itself (CheckLockout): refuses
   * the attempt, or admits it and holds it as pending until the service
   * reports the outcome through LogEvent. Parallel attempts queue on the
   * counters' rows, so exactly max_failures are admitted, on any replica.
   */
  async admit(keys: LockoutKey[]): Promise<Refusal | null> {
    await this.forgotten(keys);
    const [row] = await admitAttempt.run(
      { ...this.columns(keys), now: this.now(), familiarSince: this.familiarSince() },
      this.db,
    );
    if (row === undefined || row.admitted) return null;
    return { until: row.permanent ? undefined : (row.lockedUntil ?? undefined), permanent: row.permanent };
  }

  /**
   * Counts a failed attempt against its keys. Failures that arrive while a
   * count is being written go out together in the next statement; the
   * promise resolves once this one is counted (it never rejects: a counting
   * error is logged). `settles`: the failure reports an attempt admitted by
   * `admit`, which it releases.
   */
  countFailure(keys: LockoutKey[], settles = false): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    if (this.queuedKeys + keys.length > MAX_PENDING_FAILURES) {
      this.log.warn({ waiting: this.queuedKeys }, "lockout: too many failures waiting; one not counted");
      return Promise.resolve();
    }
    const queue = () =>
      new Promise<void>((resolve) => {
        this.queuedCounts.push({ keys, settles, attempts: 0, counted: resolve });
        this.queuedKeys += keys.length;
        this.startCounting();
      });
    // A failure reported after a success on the same key counts after that success's forget, not before it.
    const forgotten = this.forgotten(keys);
    return forgotten === undefined ? queue() : forgotten.then(queue);
  }

  /** Resolves once every forget queued so far on any of `keys` is written; undefined when none is waiting. */
  private forgotten(keys: LockoutKey[]): Promise<void> | undefined {
    if (this.forgetsOf.size === 0) return undefined;
    const waits = new Set<Promise<void>>();
    for (const { kind, key } of keys) {
      const forget = this.forgetsOf.get(mapKey(kind, key));
      if (forget === undefined) continue;
      waits.add(forget.written);
      this.awaitSuccess(forget.seq);
    }
    return waits.size === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }

  private startCounting(): void {
    this.counting ??= this.track(
      this.countQueued().finally(() => {
        this.counting = undefined;
        // Failures queued after the last statement, before this run ended.
        if (this.queuedCounts.length > 0) this.startCounting();
      }),
    );
  }

  /**
   * Counts what other services report through LogEvent about their own
   * password checks: failed logins count against their keys, and a
   * successful login forgets the subject's failures. Resolves once the
   * failures are counted, so a reported failure is enforced before its
   * answer. A success's forget is written after the answer: its event is
   * committed either way, and a forget lost in a crash leaves failures
   * counted (a lockout sooner, never later) and an admission pending until it
   * lapses. This replica's counts and admissions of the same keys wait for it.
   */
  async countReported(events: ReportedEvent[]): Promise<void> {
    const keysOf = (e: ReportedEvent) => lockoutKeys(e.subject ?? undefined, e.clientIp ?? undefined);
    const failed = events.filter(
      (e) => e.outcome === "FAILURE" && (e.type === "LOGIN_FAILURE" || e.type === "TOKEN_AUTH_FAILURE"),
    );
    const successes = events.filter((e) => e.type === "LOGIN_SUCCESS" && e.outcome === "SUCCESS");
    for (const e of successes) this.rememberSuccess(e.subject ?? "", e.clientIp ?? undefined);
    const succeeded = successes.flatMap(keysOf);
    if (succeeded.length > 0) this.forget(succeeded);
    await Promise.all(failed.map((event) => this.countFailure(keysOf(event), true)));
  }

  /**
   * Forgets the failures of successful logins' keys. Logins reported while a
   * statement is in flight go out together in the next, so concurrent
   * LogEvent calls share one.
   */
  private forget(keys: LockoutKey[]): void {
    const written = this.queueSuccess(keys, undefined);
    const forget = { written, seq: this.queuedSeq };
    const mapped = keys.map(({ kind, key }) => mapKey(kind, key));
    for (const key of mapped) this.forgetsOf.set(key, forget);
    void written.then(() => {
      for (const key of mapped) if (this.forgetsOf.get(key) === forget) this.forgetsOf.delete(key);
    });
  }

  /** Resolves (never rejects) once the statement carrying it is written or has failed. */
  private queueSuccess(keys: LockoutKey[], network: QueuedSuccess["network"]): Promise<void> {
    const written = new Promise<void>((resolve) => {
      this.queuedSuccesses.push({ keys, network, written: resolve });
    });
    this.queuedSeq += 1;
    this.startWritingSuccesses();
    return written;
  }

  private startWritingSuccesses(): void {
    this.writingSuccesses ??= this.track(
      this.writeQueuedSuccesses().finally(() => {
        this.writingSuccesses = undefined;
        // Logins queued after the last statement, before this run ended.
        if (this.queuedSuccesses.length > 0) this.startWritingSuccesses();
      }),
    );
  }

  /**
   * Forgets and networks go out in one statement per batch: a login reported
   * through LogEvent needs both, and one round trip costs this replica about
   * as much CPU as the rest of the report.
   */
  private async writeQueuedSuccesses(): Promise<void> {
    // Logins reported in the same tick join the first statement.
    await Promise.resolve();
    while (this.queuedSuccesses.length > 0) {
      await this.lingerForSuccesses();
      const batch = this.queuedSuccesses.splice(0, FAILURES_PER_STATEMENT);
      this.takenSeq += batch.length;
      const written = await writeIsolatingRefusals(
        batch,
        async (rows) => {
          const networks = rows.flatMap((row) => (row.network === undefined ? [] : [row.network]));
          await writeSuccesses.run(
            {
              ...this.columns(rows.flatMap((row) => row.keys)),
              subjects: networks.map((n) => n.subject),
              ips: networks.map((n) => n.ip),
              now: this.now(),
            },
            this.db,
          );
        },
        {
          writer: "familiar_networks",
          keyOf: ({ keys, network }) =>
            network === undefined
              ? keys.map((k) => `${k.kind}:${k.key}`).join(",")
              : `${network.subject}|${network.ip}`,
          rejected: this.rejected,
          log: this.log,
        },
      );
      if (written.deferred.length > 0) {
        // Networks forgotten, so the next login from them remembers them again; forgets are not retried
        // (the failures stay counted, the admissions lapse).
        for (const { network } of written.deferred) {
          if (network !== undefined) this.rememberedLately.delete(`${network.subject}|${network.ip}`);
        }
        this.log.warn({ err: written.error }, "lockout: could not write successful logins' forgets and networks");
      }
      for (const queued of batch) queued.written();
    }
  }

  /** Something waits for the queued success `seq`: if it is still queued, its statement goes out now. */
  private awaitSuccess(seq: number): void {
    if (seq <= this.takenSeq) return;
    this.awaitedSeq = Math.max(this.awaitedSeq, seq);
    this.wakeSuccesses?.();
  }

  private async lingerForSuccesses(): Promise<void> {
    const lingerMs = this.settings.successLingerMs;
    const full = this.queuedSuccesses.length >= FAILURES_PER_STATEMENT;
    if (lingerMs === 0 || full || this.awaitedSeq > this.takenSeq) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wakeSuccesses?.(), lingerMs);
      this.wakeSuccesses = () => {
        clearTimeout(timer);
        this.wakeSuccesses = undefined;
        resolve();
      };
    });
  }

  /** `db`: the caller's, cancelled when it goes away. */
  async list(request: ListLockoutsRequest, db: Db = this.db): Promise<ListLockoutsResponse> {
    if (request.pageSize > MAX_PAGE_SIZE) throw new InvalidArgumentError("page_size", `at most ${MAX_PAGE_SIZE}`);
    const limit = request.pageSize === 0 ? 100 : request.pageSize;
    const cursor = request.pageToken === "" ? undefined : decodeCursor(request.pageToken);
    const rows = await listLockouts.run(
      {
        now: this.now(),
        kind: request.kind === ProtoKeyKind.UNSPECIFIED ? null : keyKind(request.kind, "kind"),
        cursorKind: cursor?.kind ?? null,
        cursorKey: cursor?.key ?? null,
        limit: limit + 1,
      },
      db,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      lockouts: page.map(toLockout),
      nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.key_kind, last.key]) : "",
    };
  }

  /** Lifts a lockout everywhere and records who did it and why. */
  async unlock(kind: ProtoKeyKind, key: string, reason: string, actor: Actor): Promise<Lockout> {
    const dbKind = keyKind(kind, "kind");
    if (key === "") throw new InvalidArgumentError("key", "required");
    boundedText(key, "key", MAX_KEY_LENGTH);
    if (reason.trim() === "") throw new InvalidArgumentError("reason", "required");
    boundedText(reason, "reason", MAX_REASON_LENGTH);
    const row = await withTransaction(this.db, async (client) => {
      const [unlocked] = await unlock.run({ kind: dbKind, key, now: this.now() }, client);
      if (unlocked === undefined) throw new NotFoundError(`no ${dbKind} lockout in force for ${key}`);
      await recordAudit(client, actor, {
        action: "lockout.unlock",
        target: `lockout:${dbKind}:${key}`,
        before: Lockout.toJSON(toLockout(unlocked)),
        after: { reason },
      });
      return unlocked;
    });
    const change: LockoutChange = { kind: dbKind, key, until: null, permanent: false };
    this.changed(JSON.stringify(change));
    await notifyLockoutsChanged.run({ payloads: [JSON.stringify(change)] }, this.db);
    this.events.record(
      lockoutEvent(EventType.ACCOUNT_UNLOCKED, dbKind, key, this.now(), {
        actor: actor.principal,
        reason,
      }),
    );
    return toLockout(row);
  }

  /**
   * A successful login from `ip`: its network becomes familiar to `subject`
   * (smart lockout). Written in the background, in batches, and at most once
   * an hour per subject and address, so Authenticate pays nothing for it.
   */
  rememberSuccess(subject: string, ip: string | undefined): void {
    if (this.settings.familiarDays === 0 || ip === undefined || ip === "" || subject === "") return;
    const key = `${subject}|${ip}`;
    if (this.rememberedLately.has(key) || this.queuedSuccesses.length >= MAX_PENDING_FAILURES) return;
    this.rememberedLately.set(key, true);
    void this.queueSuccess([], { subject, ip });
  }

  /** Resolves once every count and success queued so far is written (or has failed); lingering ones go out now. */
  async settled(): Promise<void> {
    this.awaitSuccess(this.queuedSeq);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private familiarSince(): Date | null {
    const days = this.settings.familiarDays;
    return days === 0 ? null : new Date(this.now().getTime() - days * 86_400_000);
  }

  /** Whether `ip` is familiar to `subject`; not, when the database cannot say in time (the lockout applies). */
  private async familiar(subject: string, ip: string, details: Record<string, string> | undefined): Promise<boolean> {
    const since = this.familiarSince();
    if (since === null) return false;
    try {
      const read = await this.databaseWait.answer(() => isFamiliar.run({ subject, ip, since }, this.db));
      if (read.answered) return read.value[0]?.familiar ?? false;
      Object.assign(details ?? {}, LAST_KNOWN_LOCKOUTS);
      return false;
    } catch (error) {
      this.log.warn({ err: error }, "lockout: could not tell whether a network is familiar");
      return false;
    }
  }

  private async countQueued(): Promise<void> {
    // Failures counted in the same tick join the first statement.
    await Promise.resolve();
    while (this.queuedCounts.length > 0) {
      await this.backoff.wait();
      // One statement per run of failures that settle admissions, or that do not.
      const settles = this.queuedCounts[0]!.settles;
      const batch: QueuedCount[] = [];
      let size = 0;
      while (this.queuedCounts[0]?.settles === settles && size < FAILURES_PER_STATEMENT) {
        const next = this.queuedCounts.shift()!;
        batch.push(next);
        size += next.keys.length;
      }
      this.queuedKeys -= size;
      await this.count(batch, settles);
      for (const queued of batch) queued.counted();
    }
  }

  /**
   * Counts a batch of failures and checks their addresses for credential
   * stuffing, in one statement; a key the database refuses costs only itself.
   * Keys it could not serve now are queued again, a few times, with back-off.
   */
  private async count(batch: QueuedCount[], settles: boolean): Promise<void> {
    const counted: ICountFailuresResult[] = [];
    const written = await writeIsolatingRefusals(
      batch.flatMap((queued) => queued.keys.map((key) => ({ key, attempts: queued.attempts }))),
      async (rows) => {
        const keys = rows.map((row) => row.key);
        counted.push(
          ...(await countFailures.run(
            { ...this.columns(keys), ...this.stuffingColumns(keys), now: this.now(), settles },
            this.db,
          )),
        );
      },
      {
        writer: "lockout_failures",
        keyOf: ({ key }) => `${key.kind}:${key.key}`,
        rejected: this.rejected,
        log: this.log,
      },
    );
    if (written.deferred.length === 0) this.backoff.succeeded();
    else {
      this.backoff.failed();
      const retry = written.deferred.filter((row) => row.attempts + 1 < MAX_COUNT_ATTEMPTS);
      this.log.warn(
        { err: written.error, failures: written.deferred.length, dropped: written.deferred.length - retry.length },
        "lockout: could not count failed attempts",
      );
      if (retry.length > 0) {
        this.queuedCounts.unshift({
          keys: retry.map((row) => row.key),
          settles,
          attempts: retry[0]!.attempts + 1,
          counted: () => undefined,
        });
        this.queuedKeys += retry.length;
      }
    }
    // Credential stuffing: an address failing for many different subjects within the window is locked out.
    for (const row of counted) {
      if (!row.stuffing) continue;
      this.events.record(
        lockoutEvent(EventType.BRUTE_FORCE_DETECTED, "IP", row.key, this.now(), {
          distinct_subjects: String(row.subjects),
          window_seconds: String(this.settings.stuffing.windowSeconds),
          locked_until: row.lockedUntil?.toISOString() ?? "",
        }),
      );
    }
    try {
      await this.announce(counted);
    } catch (error) {
      this.log.warn({ err: error }, "lockout: could not announce lockouts");
    }
  }

  /** The (address, subject) pairs stuffing detection records, none when it is off. */
  private stuffingColumns(keys: LockoutKey[]) {
    const { distinctSubjects, windowSeconds, waitSeconds } = this.settings.stuffing;
    const pairs =
      distinctSubjects === 0 ? [] : keys.filter((k) => k.kind === "SUBJECT_IP").map((k) => splitSubjectIp(k.key));
    return {
      ips: pairs.map(([, ip]) => ip),
      subjects: pairs.map(([subject]) => subject),
      windowSeconds,
      threshold: distinctSubjects,
      waitSeconds,
    };
  }

  /** Records ACCOUNT_LOCKED and tells every replica, this one first, about the keys just locked out. */
  private async announce(rows: ICountFailuresResult[]): Promise<void> {
    const locked = rows.filter((row) => row.newlyLocked);
    if (locked.length === 0) return;
    for (const row of locked) {
      this.remember({ key_kind: row.keyKind, key: row.key, locked_until: row.lockedUntil, permanent: row.permanent });
      this.events.record(
        lockoutEvent(EventType.ACCOUNT_LOCKED, row.keyKind, row.key, this.now(), {
          locked_until: row.lockedUntil?.toISOString() ?? "",
          permanent: String(row.permanent),
          lockouts: String(row.lockouts),
        }),
      );
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

/** A SUBJECT_IP key is `subject|ip`; an address never holds "|", a subject may. */
function splitSubjectIp(key: string): [string, string] {
  const cut = key.lastIndexOf("|");
  return [key.slice(0, cut), key.slice(cut + 1)];
}

function lockoutEvent(
  type: EventType,
  kind: LockoutKeyKind,
  key: string,
  at: Date,
  details: Record<string, string>,
): AuthenticationEvent {
  const [subject, ip] = kind === "SUBJECT_IP" ? splitSubjectIp(key) : kind === "SUBJECT" ? [key] : [undefined, key];
  return AuthenticationEvent.fromPartial({
    eventId: newEventId(at.getTime()),
    occurredAt: at,
    type,
    severity: Severity.WARNING,
    outcome: Outcome.SUCCESS,
    ...(subject === undefined ? {} : { principal: { subject, kind: PrincipalKind.USER } }),
    ...(ip === undefined ? {} : { client: { ipAddress: ip } }),
    sourceService: "warden",
    details: { key_kind: kind, ...details },
  });
}

/** The stricter of two refusals: permanent wins, then the later end. */
function stricter(a: Refusal | null, b: Refusal): Refusal {
  if (a === null || b.permanent) return b;
  if (a.permanent) return a;
  return a.until! >= b.until! ? a : b;
}
