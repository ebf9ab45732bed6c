import type { IGetRiskProfilesResult, principal_kind } from "../../sql/queries/risk.queries.js";

const HOUR_MS = 3_600_000;

/** How many networks and user agents a profile remembers (the most recently seen). */
export const PROFILE_LIMITS = { networks: 64, userAgents: 32 } as const;

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

/** One authentication attempt, as the detector sees it. */
export interface Observation {
  subject: string;
  kind: principal_kind;
  at: Date;
  success: boolean;
  /** From networkOf(). */
  network: string | null;
  userAgent: string | null;
  location: GeoPoint | null;
  country: string | null;
}

/**
 * Values (networks, user agents) with the epoch second each was last seen,
 * most recently seen first, ties by value: the order risk_remember keeps.
 * A flat array, not a Map: a replica caches tens of thousands of profiles,
 * and a Map's hash table costs twice the heap of the few entries most hold.
 */
export class SeenValues {
  /**
   * value, seconds, value, seconds, … in bySeen order. Never grown in place:
   * a grown array keeps spare room, which every cached profile would pay for.
   */
  private constructor(private slots: (string | number)[]) {}

  static none(): SeenValues {
    return new SeenValues([]);
  }

  /** A stored profile's JSON object (value → epoch seconds), its `keep` most recent. */
  static fromStored(stored: Record<string, number>, keep: number): SeenValues {
    const pairs = bySeen(new Map(Object.entries(stored))).slice(0, keep);
    const slots = new Array<string | number>(pairs.length * 2);
    pairs.forEach(([value, seconds], i) => {
      slots[i * 2] = value;
      slots[i * 2 + 1] = seconds;
    });
    return new SeenValues(slots);
  }

  get size(): number {
    return this.slots.length / 2;
  }

  /** Epoch seconds `value` was last seen, if it is remembered. */
  lastSeen(value: string): number | undefined {
    for (let i = 0; i < this.slots.length; i += 2) if (this.slots[i] === value) return this.slots[i + 1] as number;
    return undefined;
  }

  /** How many values were seen at or after `seconds`. */
  countSince(seconds: number): number {
    let count = 0;
    while (count < this.size && (this.slots[count * 2 + 1] as number) >= seconds) count += 1;
    return count;
  }

  /** Remembers `value` as seen at `atSeconds` (or later, if it was), keeping the `keep` most recent. */
  remember(value: string, atSeconds: number, keep: number): void {
    const slots = this.slots;
    let from = 0;
    while (from < slots.length && slots[from] !== value) from += 2;
    const known = from < slots.length;
    const seconds = known ? Math.max(atSeconds, slots[from + 1] as number) : atSeconds;
    // Where it goes: after every value seen later, or as late with a smaller value.
    let to = 0;
    while (to < from) {
      const otherSeconds = slots[to + 1] as number;
      if (otherSeconds < seconds || (otherSeconds === seconds && (slots[to] as string) > value)) break;
      to += 2;
    }
    if (known) {
      // Seen again, never earlier: it moves towards the front, in place.
      slots.copyWithin(to + 2, to, from);
      slots[to] = value;
      slots[to + 1] = seconds;
      return;
    }
    if (to >= keep * 2) return;
    const next = new Array<string | number>(Math.min(slots.length + 2, keep * 2));
    for (let i = 0; i < to; i += 1) next[i] = slots[i]!;
    next[to] = value;
    next[to + 1] = seconds;
    for (let i = to + 2; i < next.length; i += 1) next[i] = slots[i - 2]!;
    this.slots = next;
  }

  /** [value, epoch seconds] pairs, most recently seen first. */
  entries(): [string, number][] {
    const pairs: [string, number][] = [];
    for (let i = 0; i < this.slots.length; i += 2) pairs.push([this.slots[i] as string, this.slots[i + 1] as number]);
    return pairs;
  }
}

/**
 * What has been learnt about one subject. applyObservation() and the SQL
 * function risk_observe_subjects (sql/migrations/0012_risk_observe_subjects.sql,
 * fed by detector.ts's bySubject) must update it the same way: replicas cache
 * this copy, PostgreSQL keeps the shared one. Times are epoch milliseconds, not
 * Dates, which take seven times the heap.
 */
export interface Profile {
  subject: string;
  kind: principal_kind;
  firstSeenMs: number;
  lastSeenMs: number | null;
  successes: number;
  /** Successes per hour of day, UTC. */
  hourCounts: number[];
  networks: SeenValues;
  userAgents: SeenValues;
  recentFailures: number;
  lastFailureMs: number | null;
  /** Start (epoch ms) of the clock hour velocityCurrent counts. */
  velocityHour: number | null;
  velocityCurrent: number;
  velocityPrevious: number;
  lastLocation: GeoPoint | null;
  lastLocatedMs: number | null;
  lastCountry: string | null;
}

export function emptyProfile(subject: string, kind: principal_kind, at: Date): Profile {
  return {
    subject,
    kind,
    firstSeenMs: at.getTime(),
    lastSeenMs: null,
    successes: 0,
    hourCounts: Array<number>(24).fill(0),
    networks: SeenValues.none(),
    userAgents: SeenValues.none(),
    recentFailures: 0,
    lastFailureMs: null,
    velocityHour: null,
    velocityCurrent: 0,
    velocityPrevious: 0,
    lastLocation: null,
    lastLocatedMs: null,
    lastCountry: null,
  };
}

const epochMs = (at: Date | null): number | null => (at === null ? null : at.getTime());

export function profileFromRow(row: IGetRiskProfilesResult): Profile {
  return {
    subject: row.subject,
    kind: row.kind,
    firstSeenMs: row.first_seen_at.getTime(),
    lastSeenMs: epochMs(row.last_seen_at),
    successes: row.successes,
    // A parsed array keeps the spare room it grew with; a copy is its exact size.
    hourCounts: row.hour_counts.slice(),
    networks: SeenValues.fromStored(row.networks as Record<string, number>, PROFILE_LIMITS.networks),
    userAgents: SeenValues.fromStored(row.user_agents as Record<string, number>, PROFILE_LIMITS.userAgents),
    recentFailures: row.recent_failures,
    lastFailureMs: epochMs(row.last_failure_at),
    velocityHour: epochMs(row.velocity_hour),
    velocityCurrent: row.velocity_current,
    velocityPrevious: row.velocity_previous,
    lastLocation:
      row.last_latitude === null || row.last_longitude === null
        ? null
        : { latitude: row.last_latitude, longitude: row.last_longitude },
    lastLocatedMs: epochMs(row.last_located_at),
    lastCountry: row.last_country,
  };
}

/** Most recently seen first, ties by value: the order risk_remember keeps. */
export function bySeen(seen: Map<string, number>): [string, number][] {
  return [...seen].sort(([a, at], [b, bt]) => bt - at || (a < b ? -1 : a > b ? 1 : 0));
}

const later = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/** Learns from `count` identical consecutive attempts, the last at `o.at`. Mutates and returns `p`. */
export function applyObservation(p: Profile, o: Observation, count = 1): Profile {
  const atMs = o.at.getTime();
  if (atMs < p.firstSeenMs) p.firstSeenMs = atMs;

  const hour = Math.floor(atMs / HOUR_MS) * HOUR_MS;
  if (p.velocityHour === null || hour > p.velocityHour + HOUR_MS) {
    p.velocityHour = hour;
    p.velocityPrevious = 0;
    p.velocityCurrent = count;
  } else if (hour === p.velocityHour + HOUR_MS) {
    p.velocityHour = hour;
    p.velocityPrevious = p.velocityCurrent;
    p.velocityCurrent = count;
  } else if (hour === p.velocityHour) {
    p.velocityCurrent += count;
  } else if (hour === p.velocityHour - HOUR_MS) {
    p.velocityPrevious += count;
  }

  if (!o.success) {
    p.recentFailures += count;
    p.lastFailureMs = later(p.lastFailureMs, atMs);
    return p;
  }
  if (o.country !== null && (p.lastSeenMs === null || atMs >= p.lastSeenMs)) p.lastCountry = o.country;
  if (o.location !== null && (p.lastLocatedMs === null || atMs >= p.lastLocatedMs)) {
    p.lastLocation = o.location;
    p.lastLocatedMs = atMs;
  }
  p.successes += count;
  p.lastSeenMs = later(p.lastSeenMs, atMs);
  p.hourCounts[o.at.getUTCHours()]! += count;
  p.recentFailures = 0;
  const atSeconds = Math.floor(atMs / 1000);
  if (o.network !== null) p.networks.remember(o.network, atSeconds, PROFILE_LIMITS.networks);
  if (o.userAgent !== null) p.userAgents.remember(o.userAgent, atSeconds, PROFILE_LIMITS.userAgents);
  return p;
}

/** Attempts in the hour before `at`, estimated from the current and previous clock hours. */
export function attemptsInLastHour(p: Profile, at: Date): number {
  if (p.velocityHour === null) return 0;
  const atMs = at.getTime();
  const hour = Math.floor(atMs / HOUR_MS) * HOUR_MS;
  const remaining = 1 - (atMs - hour) / HOUR_MS;
  if (hour === p.velocityHour) return p.velocityCurrent + p.velocityPrevious * remaining;
  if (hour === p.velocityHour + HOUR_MS) return p.velocityCurrent * remaining;
  return 0;
}
