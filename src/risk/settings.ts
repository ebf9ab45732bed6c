import type { risk_signal } from "../../sql/queries/events.queries.js";

export type RiskSignalName = risk_signal;

/** Detection rules; defaults in DEFAULT_RISK_SETTINGS, overrides from WARDEN_RISK_* (risk-options.ts). */
export interface RiskSettings {
  /** What each signal adds to the score when it fires. */
  points: Record<RiskSignalName, number>;
  /**
   * Novelty signals (new network, new user agent, rare hour) score
   * points × successes / coldStartSuccesses until a subject has this many
   * successful authentications, so a new subject's first logins are not all alarms.
   */
  coldStartSuccesses: number;
  dormantDays: number;
  /** Attempts (successes and failures) per hour above which HIGH_VELOCITY fires. */
  velocityPerHour: number;
  /** Failures since the last success, the latest within failureWindowSeconds, that make FAILURES_BEFORE_SUCCESS. */
  failuresBeforeSuccess: number;
  failureWindowSeconds: number;
  travelKmh: number;
  /** Shorter hops are within the error of a located address and never count as travel. */
  travelMinKm: number;
  /** Distinct networks within networkWindowSeconds, this one included, that make MANY_NETWORKS for a person... */
  manyNetworks: number;
  /** ...and TOKEN_MANY_NETWORKS for a service token. */
  tokenNetworks: number;
  networkWindowSeconds: number;
  /** An hour of day (with its neighbours) holding less than this share of a subject's successes is rare. */
  rareHourShare: number;
  /** A score at or above this records SUSPICIOUS_ACTIVITY (WARNING; CRITICAL from 75). */
  suspiciousScore: number;
  /** A score at or above this refuses the authentication with RISK_TOO_HIGH; undefined never. */
  denyScore: number | undefined;
  /** Profiles cached per replica, and for how long before they are re-read. */
  cacheMax: number;
  cacheTtlMs: number;
  /** How often learnt observations are written. */
  flushIntervalMs: number;
  /** A MaxMind (GeoIP2/GeoLite2 City or Country) database to locate addresses callers did not locate. */
  geoipFile: string | undefined;
}

export const DEFAULT_RISK_POINTS: Record<RiskSignalName, number> = {
  NEW_NETWORK: 15,
  NEW_USER_AGENT: 10,
  AUTOMATION_USER_AGENT: 25,
  RARE_HOUR: 10,
  DORMANT_ACCOUNT: 20,
  HIGH_VELOCITY: 25,
  FAILURES_BEFORE_SUCCESS: 25,
  IMPOSSIBLE_TRAVEL: 50,
  MANY_NETWORKS: 30,
  TOKEN_MANY_NETWORKS: 40,
};

export const DEFAULT_RISK_SETTINGS: RiskSettings = {
  points: DEFAULT_RISK_POINTS,
  coldStartSuccesses: 5,
  dormantDays: 90,
  velocityPerHour: 100,
  failuresBeforeSuccess: 3,
  failureWindowSeconds: 900,
  travelKmh: 900,
  travelMinKm: 100,
  manyNetworks: 4,
  tokenNetworks: 5,
  networkWindowSeconds: 3600,
  rareHourShare: 0.05,
  suspiciousScore: 50,
  denyScore: undefined,
  cacheMax: 50_000,
  cacheTtlMs: 60_000,
  flushIntervalMs: 250,
  geoipFile: undefined,
};
