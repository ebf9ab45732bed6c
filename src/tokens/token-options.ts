import { z } from "zod";
import { milliseconds, type SettingValues } from "../settings.js";

/** The service-token cache's settings. */
export const tokenEnvironment = {
  /** Verified service tokens kept in memory. */
  WARDEN_TOKEN_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
  /** Longest a verification is reused; expiry, rotation and revocation end it sooner. */
  WARDEN_TOKEN_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(300),
  /** How often the notification connection proves it is alive; the cache is distrusted when it is not. */
  WARDEN_NOTIFY_HEARTBEAT_MS: milliseconds(2000),
  /**
   * How long after losing its notifications a replica still answers cached
   * tokens when the database cannot be asked; 0: not at all.
   */
  WARDEN_TOKEN_OUTAGE_WINDOW_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
};

export interface TokenOptions {
  cacheMax: number;
  cacheTtlMs: number;
  notifyHeartbeatMs: number;
  outageWindowMs: number;
}

export function compileTokenOptions(env: SettingValues<typeof tokenEnvironment>): TokenOptions {
  return {
    cacheMax: env.WARDEN_TOKEN_CACHE_MAX,
    cacheTtlMs: env.WARDEN_TOKEN_CACHE_TTL_SECONDS * 1000,
    notifyHeartbeatMs: env.WARDEN_NOTIFY_HEARTBEAT_MS,
    outageWindowMs: env.WARDEN_TOKEN_OUTAGE_WINDOW_MS,
  };
}
