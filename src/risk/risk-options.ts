import { z } from "zod";
import { flag, optionalText, seconds, settingList, type SettingValues } from "../settings.js";
import { DEFAULT_RISK_SETTINGS, type RiskSettings, type RiskSignalName } from "./settings.js";

/** Risk scoring's settings, as overrides of DEFAULT_RISK_SETTINGS. */
export const riskEnvironment = {
  WARDEN_RISK_ENABLED: flag.default(true),
  /** Points per signal, e.g. `impossible_travel=80,new_network=0`. */
  WARDEN_RISK_POINTS: settingList(
    z
      .object(
        Object.fromEntries(
          Object.keys(DEFAULT_RISK_SETTINGS.points).map((signal) => [
            signal.toLowerCase(),
            z.coerce.number().int().min(0).max(100),
          ]),
        ),
      )
      .partial()
      .strict(),
  ).transform(
    (o): RiskSettings["points"] =>
      Object.fromEntries(
        Object.entries(DEFAULT_RISK_SETTINGS.points).map(([signal, points]) => [
          signal,
          o[signal.toLowerCase()] ?? points,
        ]),
      ) as Record<RiskSignalName, number>,
  ),
  /** Signal thresholds, e.g. `velocity_per_hour=50,dormant_days=60`. */
  WARDEN_RISK_RULES: settingList(
    z
      .object({
        cold_start_successes: z.coerce.number().int().min(1).max(10_000),
        dormant_days: z.coerce.number().min(1).max(3650),
        velocity_per_hour: z.coerce.number().int().min(1),
        failures_before_success: z.coerce.number().int().min(1),
        failure_window: seconds,
        travel_kmh: z.coerce.number().min(1),
        travel_min_km: z.coerce.number().min(0),
        many_networks: z.coerce.number().int().min(2).max(64),
        token_networks: z.coerce.number().int().min(2).max(64),
        network_window: seconds,
        rare_hour_share: z.coerce.number().min(0).max(1),
      })
      .partial()
      .strict(),
  ),
  WARDEN_RISK_SUSPICIOUS_SCORE: z.coerce.number().int().min(1).max(100).default(DEFAULT_RISK_SETTINGS.suspiciousScore),
  /** Unset: never refuse on score. */
  WARDEN_RISK_DENY_SCORE: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number().int().min(1).max(100).optional()),
  WARDEN_RISK_CACHE_MAX: z.coerce.number().int().min(1).default(DEFAULT_RISK_SETTINGS.cacheMax),
  WARDEN_RISK_CACHE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_RISK_SETTINGS.cacheTtlMs / 1000),
  /** A MaxMind database to locate addresses callers did not locate. */
  WARDEN_GEOIP_FILE: optionalText,
};

/** Undefined when risk scoring is turned off. */
export function compileRiskOptions(env: SettingValues<typeof riskEnvironment>): RiskSettings | undefined {
  if (!env.WARDEN_RISK_ENABLED) return undefined;
  const d = DEFAULT_RISK_SETTINGS;
  const r = env.WARDEN_RISK_RULES;
  return {
    ...d,
    points: env.WARDEN_RISK_POINTS,
    coldStartSuccesses: r.cold_start_successes ?? d.coldStartSuccesses,
    dormantDays: r.dormant_days ?? d.dormantDays,
    velocityPerHour: r.velocity_per_hour ?? d.velocityPerHour,
    failuresBeforeSuccess: r.failures_before_success ?? d.failuresBeforeSuccess,
    failureWindowSeconds: r.failure_window ?? d.failureWindowSeconds,
    travelKmh: r.travel_kmh ?? d.travelKmh,
    travelMinKm: r.travel_min_km ?? d.travelMinKm,
    manyNetworks: r.many_networks ?? d.manyNetworks,
    tokenNetworks: r.token_networks ?? d.tokenNetworks,
    networkWindowSeconds: r.network_window ?? d.networkWindowSeconds,
    rareHourShare: r.rare_hour_share ?? d.rareHourShare,
    suspiciousScore: env.WARDEN_RISK_SUSPICIOUS_SCORE,
    denyScore: env.WARDEN_RISK_DENY_SCORE,
    cacheMax: env.WARDEN_RISK_CACHE_MAX,
    cacheTtlMs: env.WARDEN_RISK_CACHE_TTL_SECONDS * 1000,
    geoipFile: env.WARDEN_GEOIP_FILE,
  };
}
