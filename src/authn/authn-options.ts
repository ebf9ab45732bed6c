import { z } from "zod";
import type { SettingValues } from "../settings.js";

/** Authentication's own settings, beside the credential kinds' (jwt-options.ts, token-options.ts). */
export const authnEnvironment = {
  /**
   * Longest Authenticate waits for a database read (lockouts, a risk profile,
   * an uncached token) before deciding from what this replica last knew.
   */
  WARDEN_AUTHN_DB_WAIT_MS: z.coerce.number().int().min(10).max(5000).default(150),
};

export interface AuthnOptions {
  databaseWaitMs: number;
}

export function compileAuthnOptions(env: SettingValues<typeof authnEnvironment>): AuthnOptions {
  return { databaseWaitMs: env.WARDEN_AUTHN_DB_WAIT_MS };
}
