import { z } from "zod";
import type { SettingValues } from "../../settings.js";

/**
 * The edge's settings: each with its environment variable and default here,
 * and one compile step from the validated environment to the options the
 * edge takes. config.ts only composes such schemas.
 */
export const edgeEnvironment = {
  /** Bound on a unary call when the caller sets no deadline, or a longer one. */
  WARDEN_RPC_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  /** Longest a server stream stays open; it then ends with DEADLINE_EXCEEDED and may be reopened. */
  WARDEN_STREAM_MAX_LIFETIME_MS: z.coerce.number().int().min(1).default(3_600_000),
  /** How long a stream waits on a client that reads nothing before ending with RESOURCE_EXHAUSTED. */
  WARDEN_STREAM_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  /** How often an open stream's caller credential is checked again (revocation, rotation, expiry). */
  WARDEN_STREAM_RECHECK_MS: z.coerce.number().int().min(10).max(60_000).default(250),
};

export interface EdgeOptions {
  defaultTimeoutMs: number;
  streamMaxLifetimeMs: number;
  streamDrainTimeoutMs: number;
  credentialRecheckMs: number;
}

export function compileEdgeOptions(env: SettingValues<typeof edgeEnvironment>): EdgeOptions {
  return {
    defaultTimeoutMs: env.WARDEN_RPC_TIMEOUT_MS,
    streamMaxLifetimeMs: env.WARDEN_STREAM_MAX_LIFETIME_MS,
    streamDrainTimeoutMs: env.WARDEN_STREAM_DRAIN_TIMEOUT_MS,
    credentialRecheckMs: env.WARDEN_STREAM_RECHECK_MS,
  };
}
