import { z } from "zod";
import { milliseconds, type SettingValues } from "./settings.js";

/** The process's own settings: how it stops, and what it logs. */
export const processEnvironment = {
  /** How long shutdown waits for in-flight calls, and then for pending events. */
  WARDEN_SHUTDOWN_GRACE_MS: milliseconds(10_000),
  WARDEN_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};

export interface ProcessOptions {
  shutdownGraceMs: number;
  logLevel: string;
}

export function compileProcessOptions(env: SettingValues<typeof processEnvironment>): ProcessOptions {
  return { shutdownGraceMs: env.WARDEN_SHUTDOWN_GRACE_MS, logLevel: env.WARDEN_LOG_LEVEL };
}
