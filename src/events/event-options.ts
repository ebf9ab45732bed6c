import { z } from "zod";
import { optionalText, type SettingValues } from "../settings.js";

/** The event writer's settings: its queue bound, how it batches, and its crash spool. */
export const eventEnvironment = {
  /** Events waiting for commit before LogEvent answers RESOURCE_EXHAUSTED. */
  WARDEN_EVENT_QUEUE_MAX: z.coerce.number().int().min(1).default(50_000),
  /**
   * How long the oldest awaited write may wait for its batch, and the oldest admitted one-event report for its answer
   * (risk, its batch, lockout counting), before LogEvent and LogEvents answer RESOURCE_EXHAUSTED; 0: no bound.
   */
  WARDEN_EVENT_ADMIT_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /**
   * How late the event loop may run before LogEvent and LogEvents answer RESOURCE_EXHAUSTED, before any work; 0: not
   * checked. A safety net by default: 300 concurrent reports, with their client in the same process on a busy
   * machine, ran the loop 107 ms behind (test/events.test.ts), so a tight bound refuses legitimate bursts unless a
   * deployment has measured its own.
   */
  WARDEN_EVENT_ADMIT_LAG_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /** Events per INSERT. */
  WARDEN_EVENT_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(2000),
  /** How long Authenticate's own events wait to share an INSERT. */
  WARDEN_EVENT_LINGER_MS: z.coerce.number().int().min(0).max(60_000).default(20),
  /** Folder of this replica's own crash spool for Authenticate's events; unset: no spool. */
  WARDEN_EVENT_SPOOL_DIR: optionalText,
  /** "batch": fdatasync each spooled batch (survives a machine crash); "none": survives a process crash. */
  WARDEN_EVENT_SPOOL_SYNC: z.enum(["batch", "none"]).default("none"),
};

export interface SpoolSettings {
  /** Folder of this replica's own spool files; each replica needs its own. */
  dir: string;
  /** "batch": fdatasync each written batch (survives a machine crash); "none": the OS writes it back (survives a process crash). */
  sync: "batch" | "none";
}

export interface EventOptions {
  queueMax: number;
  admitWaitMs: number;
  admitLagMs: number;
  batchMax: number;
  lingerMs: number;
  /** Absent (no spool) unless a folder is configured. */
  spool: SpoolSettings | undefined;
}

export function compileEventOptions(env: SettingValues<typeof eventEnvironment>): EventOptions {
  return {
    queueMax: env.WARDEN_EVENT_QUEUE_MAX,
    admitWaitMs: env.WARDEN_EVENT_ADMIT_WAIT_MS,
    admitLagMs: env.WARDEN_EVENT_ADMIT_LAG_MS,
    batchMax: env.WARDEN_EVENT_BATCH_MAX,
    lingerMs: env.WARDEN_EVENT_LINGER_MS,
    spool:
      env.WARDEN_EVENT_SPOOL_DIR === undefined
        ? undefined
        : { dir: env.WARDEN_EVENT_SPOOL_DIR, sync: env.WARDEN_EVENT_SPOOL_SYNC },
  };
}
