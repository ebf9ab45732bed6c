import { z } from "zod";
import type { SettingValues } from "../settings.js";

/** The event writer's settings: its queue bound and how it batches. */
export const eventEnvironment = {
  /** Events waiting for commit before LogEvent answers RESOURCE_EXHAUSTED. */
  WARDEN_EVENT_QUEUE_MAX: z.coerce.number().int().min(1).default(50_000),
  /** Events per INSERT. */
  WARDEN_EVENT_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(2000),
  /** How long Authenticate's own events wait to share an INSERT. */
  WARDEN_EVENT_LINGER_MS: z.coerce.number().int().min(0).max(60_000).default(20),
};

export interface EventOptions {
  queueMax: number;
  batchMax: number;
  lingerMs: number;
}

export function compileEventOptions(env: SettingValues<typeof eventEnvironment>): EventOptions {
  return {
    queueMax: env.WARDEN_EVENT_QUEUE_MAX,
    batchMax: env.WARDEN_EVENT_BATCH_MAX,
    lingerMs: env.WARDEN_EVENT_LINGER_MS,
  };
}
