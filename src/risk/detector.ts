import { LRUCache } from "lru-cache";
import {
  getRiskProfiles,
  latestAssessment,
  observeRiskSubjects,
  recentRiskyEvents,
  type IObserveRiskSubjectsParams,
} from "../../sql/queries/risk.queries.js";
import { nullable } from "../db/arrays.js";
import { Backoff, writeIsolatingRefusals, type IsolatedWrite } from "../db/batches.js";
import { DatabaseWait } from "../db/database-wait.js";
import { classifyDatabaseError } from "../db/errors.js";
import type { Db } from "../db/pool.js";
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import { EVENT_LIMITS, newEventId, type EventRecord } from "../events/event.js";
import type { EventSink } from "../events/recorder.js";
import {
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
  type ClientContext,
  type EventPrincipal,
} from "../gen/warden/v1/event.js";
import { RiskSignal, type RiskAssessment } from "../gen/warden/v1/risk.js";
import type { GetRiskProfileResponse } from "../gen/warden/v1/risk_service.js";
import type { Logger } from "../log.js";
import type { RejectedRows } from "../ops/metrics.js";
import { boundedText } from "../validate.js";
import { assess, riskLevel } from "./assess.js";
import type { Locator } from "./geoip.js";
import { networkOf } from "./network.js";
import {
  applyObservation,
  attemptsInLastHour,
  bySeen,
  emptyProfile,
  PROFILE_LIMITS,
  profileFromRow,
  type GeoPoint,
  type Observation,
  type Profile,
  type SeenValues,
} from "./profile.js";
import type { RiskSettings, RiskSignalName } from "./settings.js";

/** Identical consecutive observations of one subject, written as one row. */
interface Run {
  observation: Observation;
  count: number;
  /** The earliest attempt of the run (observation.at is the latest). */
  firstAt: Date;
}

const HOUR_MS = 3_600_000;
const RUNS_PER_STATEMENT = 5000;
const MAX_PARALLEL_READS = 2;
const MACHINE_KINDS = new Set<PrincipalKind | string | null>([
  PrincipalKind.SERVICE_TOKEN,
  PrincipalKind.WORKLOAD,
  "SERVICE_TOKEN",
  "WORKLOAD",
]);
/** Runs waiting to be written beyond this are dropped (and logged) rather than held in memory. */
const MAX_PENDING_RUNS = 100_000;
export const RECENT_LIMIT = { default: 20, max: 100 } as const;

/**
 * A subject's pending runs since its outcome, kind or clock hour last changed.
 * Within a segment the order of runs does not change the profile they write
 * (counts add up, times and networks keep their latest, a success resets
 * failures to the same 0), so a repeated observation joins its earlier run
 * even with others in between: one row per thing observed, not per change.
 */
interface Segment {
  success: boolean;
  kind: Observation["kind"];
  hour: number;
  /** Runs without a location (those are kept apart, in order), by what they observed. */
  runs: Map<string, Run>;
  /** The segment's latest run: once it is being written, so are all the others. */
  last: Run;
}

function observed(o: Observation): string {
  return JSON.stringify([o.network, o.userAgent, o.country]);
}

/** Database labels of fired signals, for the stored event. */
export function signalLabels(assessment: RiskAssessment): RiskSignalName[] {
  return assessment.signals.map((fired) => RiskSignal[fired.signal] as RiskSignalName);
}

export interface ObservedClient {
  ip: string | null;
  userAgent: string | null;
  location: GeoPoint | null;
  country: string | null;
}

export function observedClient(client: ClientContext | undefined): ObservedClient {
  return {
    ip: client?.ipAddress || null,
    userAgent: client?.userAgent || null,
    location: client?.location ?? null,
    country: client?.country || null,
  };
}

/** Reported event types the detector learns from: true for successes. */
const REPORTED_LOGINS: Partial<Record<EventRecord["type"], boolean>> = {
  LOGIN_SUCCESS: true,
  TOKEN_AUTH_SUCCESS: true,
  LOGIN_FAILURE: false,
  TOKEN_AUTH_FAILURE: false,
};

export interface ReportedAttempt {
  observation: Observation;
  assessment: RiskAssessment | undefined;
  record: EventRecord;
}

/** Who and what an assessed attempt was, for the SUSPICIOUS_ACTIVITY event it may cause. */
export interface AssessedAttempt {
  eventId: string;
  outcome: Outcome;
  principal: EventPrincipal;
  client: ClientContext | undefined;
  sourceService: string;
}

/**
 * Scores authentications against each subject's behaviour profile and learns
 * from them. Profiles are cached per replica (read once, then updated in
 * memory as attempts arrive) and the same observations are written to
 * PostgreSQL in batches, off the request path, where every replica's add up.
 */
export class RiskDetector {
  private readonly profiles: LRUCache<string, Profile>;
  private readonly loading = new Map<string, Promise<void>>();
  private readonly readsInFlight = new Set<Promise<void>>();
  private queuedReads: Observation[] = [];
  private nextRead: Promise<void> | undefined;
  private pending: Run[] = [];
  /** Each subject's latest pending segment, whose runs a matching observation extends. */
  private readonly segments = new Map<string, Segment>();
  private readonly writing = new Set<string>();
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  /** Spaces out the timer's writes while the database cannot take them. */
  private readonly backoff = new Backoff(1000, 30_000);
  /** Profile reads made, for metrics and for tests that prove the cached path. */
  profileReads = 0;

  constructor(
    private readonly db: Db,
    readonly settings: RiskSettings,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly rejected: RejectedRows,
    private readonly locate: Locator | undefined = undefined,
    /** Bounds how long Authenticate waits for a profile that is not cached. */
    private readonly databaseWait = new DatabaseWait(150),
  ) {
    this.profiles = new LRUCache({ max: settings.cacheMax, ttl: settings.cacheTtlMs, ttlAutopurge: false });
    this.timer = setInterval(() => {
      if (this.backoff.due()) void this.flush();
    }, settings.flushIntervalMs);
    this.timer.unref();
  }

  /** An attempt as the detector sees it; the place comes from the caller, else from the GeoIP database. */
  observation(
    subject: string,
    kind: PrincipalKind | "USER" | "SERVICE_TOKEN" | "WORKLOAD" | null,
    at: Date,
    success: boolean,
    client: ObservedClient,
  ): Observation {
    let { location, country } = client;
    if (location === null && country === null && client.ip !== null && this.locate !== undefined) {
      const place = this.locate(client.ip);
      location = place?.location ?? null;
      country = place?.country ?? null;
    }
    return {
      subject,
      // A workload is scored as a machine, as a service token is: many networks, no person's habits.
      kind: MACHINE_KINDS.has(kind) ? "SERVICE_TOKEN" : "USER",
      at,
      success,
      network: client.ip === null ? null : networkOf(client.ip),
      userAgent: client.userAgent,
      location,
      country,
    };
  }

  /**
   * Scores a successful authentication against the subject's profile.
   * Synchronous when the profile is cached; otherwise it is read once, or,
   * when the database does not answer within the wait, scored without history.
   */
  assess(o: Observation): RiskAssessment | Promise<RiskAssessment> {
    const cached = this.profiles.get(o.subject);
    if (cached !== undefined) return assess(cached, o, this.settings);
    return this.databaseWait.answer(() => this.load([o])).then(() => assess(this.profileOf(o), o, this.settings));
  }

  /**
   * Learns from an attempt in this replica's cached profile, if it holds one
   * (a failure is not worth a read). The shared profile learns it through persist().
   */
  learn(o: Observation): void {
    const cached = this.profiles.get(o.subject);
    if (cached !== undefined) applyObservation(cached, o);
  }

  /** Queues an observation to be written to the shared profile. */
  persist(o: Observation): void {
    const hour = Math.floor(o.at.getTime() / HOUR_MS);
    let segment = this.segments.get(o.subject);
    if (segment !== undefined && (segment.success !== o.success || segment.kind !== o.kind || segment.hour !== hour)) {
      segment = undefined;
    }
    const key = observed(o);
    const run = o.location === null ? segment?.runs.get(key) : undefined;
    if (run !== undefined) {
      run.count += 1;
      if (o.at > run.observation.at) run.observation = { ...run.observation, at: o.at };
      if (o.at < run.firstAt) run.firstAt = o.at;
      return;
    }
    if (this.pending.length >= MAX_PENDING_RUNS) {
      this.log.error({ subject: o.subject }, "risk observation queue full: dropped an observation");
      return;
    }
    const fresh = { observation: o, count: 1, firstAt: o.at };
    this.pending.push(fresh);
    if (segment === undefined) {
      segment = { success: o.success, kind: o.kind, hour, runs: new Map(), last: fresh };
      this.segments.set(o.subject, segment);
    }
    segment.last = fresh;
    if (o.location === null) segment.runs.set(key, fresh);
    if (this.pending.length >= RUNS_PER_STATEMENT) void this.flush();
  }

  /**
   * Scores callers' reported logins in order, as Authenticate's are: a
   * success gets Warden's signals and the higher of the two scores. Learnt in
   * memory now; returns what persistReported() writes once the events are stored.
   */
  async assessReported(records: EventRecord[]): Promise<(ReportedAttempt | undefined)[]> {
    const observations = records.map((record) => {
      const success = REPORTED_LOGINS[record.type];
      if (success === undefined || record.subject === null || record.outcome === "ERROR") return undefined;
      return this.observation(record.subject, record.principalKind, record.occurredAt, success, {
        ip: record.clientIp,
        userAgent: record.userAgent,
        location:
          record.clientLatitude === null || record.clientLongitude === null
            ? null
            : { latitude: record.clientLatitude, longitude: record.clientLongitude },
        country: record.clientCountry,
      });
    });
    // One read for every subject of the batch that is not cached, then scoring in order.
    await this.load(observations.filter((o): o is Observation => o?.success === true));
    return observations.map((observation, index) => {
      if (observation === undefined) return undefined;
      const record = records[index]!;
      let assessment: RiskAssessment | undefined;
      if (observation.success) {
        assessment = assess(this.profileOf(observation), observation, this.settings);
        record.riskScore = Math.max(record.riskScore, assessment.score);
        record.riskSignals = signalLabels(assessment);
      }
      this.learn(observation);
      return { observation, assessment, record };
    });
  }

  /** Writes what assessReported() learnt from the events that were stored (not duplicates). */
  persistReported(attempts: (ReportedAttempt | undefined)[], stored: boolean[]): void {
    attempts.forEach((attempt, index) => {
      if (attempt === undefined || !stored[index]) return;
      this.persist(attempt.observation);
      if (attempt.assessment === undefined) return;
      const r = attempt.record;
      this.reportIfSuspicious(
        { ...attempt.assessment, score: r.riskScore },
        {
          eventId: r.eventId,
          outcome: Outcome.SUCCESS,
          principal: {
            subject: r.subject ?? "",
            kind: r.principalKind === null ? PrincipalKind.UNSPECIFIED : PrincipalKind[r.principalKind],
            email: r.email ?? "",
            serviceTokenName: r.serviceTokenName ?? "",
            tokenId: r.tokenId ?? "",
          },
          client: {
            ipAddress: r.clientIp ?? "",
            userAgent: r.userAgent ?? "",
            requestId: r.requestId ?? "",
            location: attempt.observation.location ?? undefined,
            country: r.clientCountry ?? "",
          },
          sourceService: r.sourceService ?? "",
        },
        r.occurredAt,
      );
    });
  }

  /** Records SUSPICIOUS_ACTIVITY when the score reaches the threshold. */
  reportIfSuspicious(assessment: RiskAssessment, attempt: AssessedAttempt, at: Date): void {
    if (assessment.score < this.settings.suspiciousScore) return;
    this.events.record({
      eventId: newEventId(at.getTime()),
      occurredAt: at,
      receivedAt: undefined,
      identityProvider: "",
      type: EventType.SUSPICIOUS_ACTIVITY,
      severity: assessment.score >= 75 ? Severity.CRITICAL : Severity.WARNING,
      outcome: attempt.outcome,
      principal: attempt.principal,
      client: attempt.client,
      sourceService: attempt.sourceService,
      failureReason: FailureReason.UNSPECIFIED,
      riskScore: assessment.score,
      riskSignals: assessment.signals.map((fired) => fired.signal),
      details: {
        trigger_event_id: attempt.eventId,
        ...Object.fromEntries(assessment.signals.map((fired) => [RiskSignal[fired.signal], fired.detail])),
      },
    });
  }

  /** Whether this score refuses the authentication. */
  denies(assessment: RiskAssessment): boolean {
    return this.settings.denyScore !== undefined && assessment.score >= this.settings.denyScore;
  }

  /**
   * What is known about a subject, read from the shared profile after this
   * replica's observations are written. `db` is the caller's: its reads stop
   * when the call does, while the flush before them is this replica's own.
   */
  async riskProfile(
    subject: string,
    recentLimit: number,
    now: Date,
    db: Db = this.db,
  ): Promise<GetRiskProfileResponse> {
    if (subject === "") throw new InvalidArgumentError("subject", "required");
    // A stored profile's subject is at most 256 characters (risk_profiles CHECK), as an event's is.
    boundedText(subject, "subject", EVENT_LIMITS.text.subject);
    if (recentLimit > RECENT_LIMIT.max) throw new InvalidArgumentError("recent_limit", `at most ${RECENT_LIMIT.max}`);
    await this.flush();
    try {
      const [row] = await getRiskProfiles.run({ subjects: [subject] }, db);
      if (row === undefined) throw new NotFoundError(`no risk profile for subject ${JSON.stringify(subject)}`);
      const p = profileFromRow(row);
      const [latest] = await latestAssessment.run({ subject }, db);
      const recent = await recentRiskyEvents.run(
        { subject, limit: recentLimit === 0 ? RECENT_LIMIT.default : recentLimit },
        db,
      );
      const seen = (values: SeenValues) =>
        values.entries().map(([value, at]) => ({ value, lastSeenAt: new Date(at * 1000) }));
      const date = (ms: number | null) => (ms === null ? undefined : new Date(ms));
      const score = latest?.risk_score ?? 0;
      return {
        profile: {
          subject: p.subject,
          kind: PrincipalKind[p.kind],
          firstSeenAt: new Date(p.firstSeenMs),
          lastSeenAt: date(p.lastSeenMs),
          successes: p.successes,
          recentFailures: p.recentFailures,
          eventsLastHour: attemptsInLastHour(p, now),
          networks: seen(p.networks),
          userAgents: seen(p.userAgents),
          hourCounts: p.hourCounts,
          lastLocation: p.lastLocation ?? undefined,
          lastCountry: p.lastCountry ?? "",
          lastLocatedAt: date(p.lastLocatedMs),
        },
        current: {
          score,
          level: riskLevel(score),
          // Points are not stored per event; the signals are.
          signals: (latest?.risk_signals ?? []).map((label) => ({
            signal: RiskSignal[label as RiskSignalName],
            points: this.settings.points[label as RiskSignalName],
            detail: "",
          })),
        },
        currentAssessedAt: latest?.occurred_at,
        recent: recent.map((event) => ({
          eventId: event.event_id,
          occurredAt: event.occurred_at,
          type: EventType[event.type],
          riskScore: event.risk_score,
          riskSignals: event.risk_signals.map((label) => RiskSignal[label as RiskSignalName]),
        })),
      };
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  }

  get pendingRuns(): number {
    return this.pending.length;
  }

  /** Writes every queued observation. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  /** The cached profile, or (when it could not be read) a transient empty one. */
  private profileOf(o: Observation): Profile {
    return this.profiles.get(o.subject) ?? emptyProfile(o.subject, o.kind, o.at);
  }

  /** Caches the profiles of these attempts' subjects, reading the missing ones in one query. */
  private load(observations: Observation[]): Promise<unknown> {
    const missing = new Map<string, Observation>();
    const waits: Promise<void>[] = [];
    for (const o of observations) {
      if (this.profiles.has(o.subject) || missing.has(o.subject)) continue;
      const loading = this.loading.get(o.subject);
      if (loading === undefined) missing.set(o.subject, o);
      else waits.push(loading);
    }
    if (missing.size > 0) {
      const reading = this.scheduleRead([...missing.values()]).finally(() => {
        for (const subject of missing.keys()) this.loading.delete(subject);
      });
      for (const subject of missing.keys()) this.loading.set(subject, reading);
      waits.push(reading);
    }
    return Promise.all(waits);
  }

  /**
   * At most MAX_PARALLEL_READS reads run at once; misses arriving meanwhile
   * wait for one to finish and then go together in a single query, so under
   * load each read serves many calls while an idle server adds no delay.
   */
  private scheduleRead(observations: Observation[]): Promise<void> {
    if (this.readsInFlight.size < MAX_PARALLEL_READS) {
      const reading = this.read(observations).finally(() => this.readsInFlight.delete(reading));
      this.readsInFlight.add(reading);
      return reading;
    }
    this.queuedReads.push(...observations);
    this.nextRead ??= Promise.race(this.readsInFlight).then(() => {
      const batch = this.queuedReads;
      this.queuedReads = [];
      this.nextRead = undefined;
      return this.scheduleRead(batch);
    });
    return this.nextRead;
  }

  private async read(observations: Observation[]): Promise<void> {
    // Observations of these subjects not yet written would be missing from what is read.
    const unwritten = () => observations.some((o) => this.segments.has(o.subject) || this.writing.has(o.subject));
    for (let round = 0; round < 2 && unwritten(); round += 1) await this.flush();
    this.profileReads += 1;
    let rows;
    try {
      rows = await getRiskProfiles.run({ subjects: observations.map((o) => o.subject) }, this.db);
    } catch (error) {
      // Scored without history (novelty is damped to nothing) rather than refused; not cached.
      this.log.warn({ err: error }, "could not read risk profiles; scoring without history");
      return;
    }
    const found = new Map(rows.map((row) => [row.subject, row]));
    for (const o of observations) {
      const row = found.get(o.subject);
      this.profiles.set(o.subject, row === undefined ? emptyProfile(o.subject, o.kind, o.at) : profileFromRow(row));
    }
  }

  private async write(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, RUNS_PER_STATEMENT);
      for (const run of batch) {
        const subject = run.observation.subject;
        if (this.segments.get(subject)?.last === run) this.segments.delete(subject);
        this.writing.add(subject);
      }
      let written: IsolatedWrite<SubjectRuns>;
      try {
        written = await writeIsolatingRefusals(
          bySubject(batch),
          async (rows) => {
            await observeRiskSubjects.run(columns(rows), this.db);
          },
          {
            writer: "risk_observations",
            keyOf: (row) => row.subject,
            rejected: this.rejected,
            log: this.log,
          },
        );
      } finally {
        this.writing.clear();
      }
      if (written.deferred.length > 0) {
        // The deferred subjects' runs go back as they were, in order.
        const deferred = new Set(written.deferred.map((row) => row.subject));
        const retry = batch.filter((run) => deferred.has(run.observation.subject));
        this.pending.unshift(...retry.slice(0, MAX_PENDING_RUNS - this.pending.length));
        this.backoff.failed();
        this.log.warn(
          { err: written.error, runs: retry.length, retryInMs: this.backoff.currentMs },
          "could not write risk observations; will retry",
        );
        return;
      }
      this.backoff.succeeded();
    }
  }
}

/** What one subject's runs in a flush do to its profile, given the stored row (risk_observe_subjects applies it). */
interface SubjectRuns {
  subject: string;
  kind: Observation["kind"];
  firstAt: Date;
  successes: number;
  /** Failures after the last success; all of them without one. */
  failuresAfter: number;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  /** Successes per hour of day, UTC. */
  hours: number[];
  /** Attempts per clock hour (start, epoch ms). */
  clockHours: Map<number, number>;
  networks: Map<string, number>;
  userAgents: Map<string, number>;
  /** The last success whose place or country could become the profile's: not older than an earlier one of the batch. */
  place: { location: GeoPoint; at: Date } | null;
  country: { country: string; at: Date } | null;
  /** The latest success so far, and the latest located one (epoch ms). */
  seenUntil: number;
  locatedUntil: number;
}

/**
 * The `keep` most recently seen, as risk_remember keeps them: nothing else of
 * the batch could stay in the profile, and a new subject's row takes it as is.
 */
function kept(seen: Map<string, number>, keep: number): Record<string, number> {
  return Object.fromEntries(seen.size <= keep ? seen : bySeen(seen).slice(0, keep));
}

function remembered(seen: Map<string, number>, value: string | null, atSeconds: number): void {
  if (value !== null) seen.set(value, Math.max(seen.get(value) ?? 0, atSeconds));
}

/**
 * Folds each subject's runs, in arrival order, into one row: applying it to
 * any stored profile gives what applying the runs one by one would
 * (applyObservation's rules: counts add up, times keep their latest, a
 * success resets failures, the velocity window keeps its last two hours).
 */
function bySubject(runs: Run[]): SubjectRuns[] {
  const subjects = new Map<string, SubjectRuns>();
  for (const run of runs) {
    const o = run.observation;
    let s = subjects.get(o.subject);
    if (s === undefined) {
      s = {
        subject: o.subject,
        kind: o.kind,
        firstAt: run.firstAt,
        successes: 0,
        failuresAfter: 0,
        lastSuccessAt: null,
        lastFailureAt: null,
        hours: Array<number>(24).fill(0),
        clockHours: new Map(),
        networks: new Map(),
        userAgents: new Map(),
        place: null,
        country: null,
        seenUntil: Number.NEGATIVE_INFINITY,
        locatedUntil: Number.NEGATIVE_INFINITY,
      };
      subjects.set(o.subject, s);
    }
    const atMs = o.at.getTime();
    if (run.firstAt < s.firstAt) s.firstAt = run.firstAt;
    const hour = Math.floor(atMs / HOUR_MS) * HOUR_MS;
    s.clockHours.set(hour, (s.clockHours.get(hour) ?? 0) + run.count);
    if (!o.success) {
      s.failuresAfter += run.count;
      if (s.lastFailureAt === null || o.at > s.lastFailureAt) s.lastFailureAt = o.at;
      continue;
    }
    if (o.country !== null && atMs >= s.seenUntil) s.country = { country: o.country, at: o.at };
    if (o.location !== null && atMs >= s.locatedUntil) {
      s.place = { location: o.location, at: o.at };
      s.locatedUntil = atMs;
    }
    s.seenUntil = Math.max(s.seenUntil, atMs);
    s.successes += run.count;
    s.failuresAfter = 0;
    if (s.lastSuccessAt === null || o.at > s.lastSuccessAt) s.lastSuccessAt = o.at;
    s.hours[o.at.getUTCHours()]! += run.count;
    const atSeconds = Math.floor(atMs / 1000);
    remembered(s.networks, o.network, atSeconds);
    remembered(s.userAgents, o.userAgent, atSeconds);
  }
  return [...subjects.values()];
}

function columns(rows: SubjectRuns[]): IObserveRiskSubjectsParams {
  const velocity = rows.map((s) => {
    const latest = Math.max(...s.clockHours.keys());
    return {
      hour: new Date(latest),
      current: s.clockHours.get(latest)!,
      previous: s.clockHours.get(latest - HOUR_MS) ?? 0,
    };
  });
  return {
    subjects: rows.map((s) => s.subject),
    kinds: rows.map((s) => s.kind),
    firstAts: rows.map((s) => s.firstAt),
    successes: rows.map((s) => s.successes),
    failuresAfter: rows.map((s) => s.failuresAfter),
    lastSuccessAts: nullable(rows.map((s) => s.lastSuccessAt)),
    lastFailureAts: nullable(rows.map((s) => s.lastFailureAt)),
    hourCounts: rows.map((s) => `{${s.hours.join(",")}}`),
    velocityHours: velocity.map((v) => v.hour),
    velocityCurrent: velocity.map((v) => v.current),
    velocityPrevious: velocity.map((v) => v.previous),
    networks: rows.map((s) => kept(s.networks, PROFILE_LIMITS.networks)),
    userAgents: rows.map((s) => kept(s.userAgents, PROFILE_LIMITS.userAgents)),
    latitudes: nullable(rows.map((s) => s.place?.location.latitude ?? null)),
    longitudes: nullable(rows.map((s) => s.place?.location.longitude ?? null)),
    locatedAts: nullable(rows.map((s) => s.place?.at ?? null)),
    countries: nullable(rows.map((s) => s.country?.country ?? null)),
    countryAts: nullable(rows.map((s) => s.country?.at ?? null)),
    keepNetworks: PROFILE_LIMITS.networks,
    keepUserAgents: PROFILE_LIMITS.userAgents,
  };
}
