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
 * What has been learnt about one subject. applyObservation() and the SQL
 * function risk_observe_subjects (sql/migrations/0012_risk_observe_subjects.sql,
 * fed by detector.ts's bySubject) must update it the same way: replicas cache
 * this copy, PostgreSQL keeps the shared one.
 */
export interface Profile {
  subject: string;
  kind: principal_kind;
  firstSeenAt: Date;
  lastSeenAt: Date | null;
  successes: number;
  /** Successes per hour of day, UTC. */
  hourCounts: number[];
  /** Value → epoch seconds last seen. */
  networks: Map<string, number>;
  userAgents: Map<string, number>;
  recentFailures: number;
  lastFailureAt: Date | null;
  /** Start (epoch ms) of the clock hour velocityCurrent counts. */
  velocityHour: number | null;
  velocityCurrent: number;
  velocityPrevious: number;
  lastLocation: GeoPoint | null;
  lastLocatedAt: Date | null;
  lastCountry: string | null;
}

export function emptyProfile(subject: string, kind: principal_kind, at: Date): Profile {
  return {
    subject,
    kind,
    firstSeenAt: at,
    lastSeenAt: null,
    successes: 0,
    hourCounts: Array<number>(24).fill(0),
    networks: new Map(),
    userAgents: new Map(),
    recentFailures: 0,
    lastFailureAt: null,
    velocityHour: null,
    velocityCurrent: 0,
    velocityPrevious: 0,
    lastLocation: null,
    lastLocatedAt: null,
    lastCountry: null,
  };
}

function seenMap(value: unknown): Map<string, number> {
  return new Map(Object.entries(value as Record<string, number>));
}

export function profileFromRow(row: IGetRiskProfilesResult): Profile {
  return {
    subject: row.subject,
    kind: row.kind,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    successes: row.successes,
    hourCounts: row.hour_counts,
    networks: seenMap(row.networks),
    userAgents: seenMap(row.user_agents),
    recentFailures: row.recent_failures,
    lastFailureAt: row.last_failure_at,
    velocityHour: row.velocity_hour?.getTime() ?? null,
    velocityCurrent: row.velocity_current,
    velocityPrevious: row.velocity_previous,
    lastLocation:
      row.last_latitude === null || row.last_longitude === null
        ? null
        : { latitude: row.last_latitude, longitude: row.last_longitude },
    lastLocatedAt: row.last_located_at,
    lastCountry: row.last_country,
  };
}

/** Most recently seen first, ties by value: the order risk_remember keeps. */
export function bySeen(seen: Map<string, number>): [string, number][] {
  return [...seen].sort(([a, at], [b, bt]) => bt - at || (a < b ? -1 : a > b ? 1 : 0));
}

function remember(
  seen: Map<string, number>,
  value: string | null,
  atSeconds: number,
  keep: number,
): Map<string, number> {
  if (value === null) return seen;
  seen.set(value, Math.max(seen.get(value) ?? 0, atSeconds));
  return seen.size <= keep ? seen : new Map(bySeen(seen).slice(0, keep));
}

const later = (a: Date | null, b: Date): Date => (a === null || b > a ? b : a);

/** Learns from `count` identical consecutive attempts, the last at `o.at`. Mutates and returns `p`. */
export function applyObservation(p: Profile, o: Observation, count = 1): Profile {
  const atMs = o.at.getTime();
  if (o.at < p.firstSeenAt) p.firstSeenAt = o.at;

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
    p.lastFailureAt = later(p.lastFailureAt, o.at);
    return p;
  }
  if (o.country !== null && (p.lastSeenAt === null || o.at >= p.lastSeenAt)) p.lastCountry = o.country;
  if (o.location !== null && (p.lastLocatedAt === null || o.at >= p.lastLocatedAt)) {
    p.lastLocation = o.location;
    p.lastLocatedAt = o.at;
  }
  p.successes += count;
  p.lastSeenAt = later(p.lastSeenAt, o.at);
  p.hourCounts[o.at.getUTCHours()]! += count;
  p.recentFailures = 0;
  const atSeconds = Math.floor(atMs / 1000);
  p.networks = remember(p.networks, o.network, atSeconds, PROFILE_LIMITS.networks);
  p.userAgents = remember(p.userAgents, o.userAgent, atSeconds, PROFILE_LIMITS.userAgents);
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
