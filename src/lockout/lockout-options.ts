import { z } from "zod";
import type { lockout_wait_strategy } from "../../sql/queries/lockouts.queries.js";
import { flag, seconds, settingList, type SettingValues } from "../settings.js";
import {
  DEFAULT_LOCKOUT_POLICIES,
  DEFAULT_STUFFING_POLICY,
  type LockoutPolicy,
  type LockoutSettings,
  type StuffingPolicy,
} from "./policy.js";

const policyOverrides = z
  .object({
    max_failures: z.coerce.number().int().min(1).max(1_000_000),
    failure_reset: seconds,
    wait_increment: seconds,
    wait_strategy: z.enum(["linear", "multiple"]).transform((s) => s.toUpperCase() as lockout_wait_strategy),
    max_wait: seconds,
    quick_login_check: seconds,
    quick_login_wait: seconds,
    max_temporary_lockouts: z.coerce.number().int().min(0).max(1000),
  })
  .partial()
  .strict();

/** Overrides of one key kind's lockout policy (durations in seconds) over `base`. */
function lockoutPolicySetting(base: LockoutPolicy) {
  return settingList(policyOverrides).transform((o): LockoutPolicy => ({
    maxFailures: o.max_failures ?? base.maxFailures,
    failureResetSeconds: o.failure_reset ?? base.failureResetSeconds,
    waitIncrementSeconds: o.wait_increment ?? base.waitIncrementSeconds,
    waitStrategy: o.wait_strategy ?? base.waitStrategy,
    maxWaitSeconds: o.max_wait ?? base.maxWaitSeconds,
    quickLoginCheckSeconds: o.quick_login_check ?? base.quickLoginCheckSeconds,
    quickLoginWaitSeconds: o.quick_login_wait ?? base.quickLoginWaitSeconds,
    maxTemporaryLockouts: o.max_temporary_lockouts ?? base.maxTemporaryLockouts,
  }));
}

/** Lockout's settings: each key kind's policy and stuffing detection, as overrides of the defaults in policy.ts. */
export const lockoutEnvironment = {
  WARDEN_LOCKOUT_ENABLED: flag.default(true),
  WARDEN_LOCKOUT_SUBJECT: lockoutPolicySetting(DEFAULT_LOCKOUT_POLICIES.SUBJECT),
  WARDEN_LOCKOUT_SUBJECT_IP: lockoutPolicySetting(DEFAULT_LOCKOUT_POLICIES.SUBJECT_IP),
  WARDEN_LOCKOUT_IP: lockoutPolicySetting(DEFAULT_LOCKOUT_POLICIES.IP),
  /** Smart lockout: days a network stays familiar after a subject's login there; 0 turns it off. */
  WARDEN_LOCKOUT_FAMILIAR_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  /** How long successful logins' forgets and networks wait to share a statement, unless a failure waits on them. */
  WARDEN_LOCKOUT_SUCCESS_LINGER_MS: z.coerce.number().int().min(0).max(10_000).default(20),
  WARDEN_LOCKOUT_STUFFING: settingList(
    z
      .object({
        distinct_subjects: z.coerce.number().int().min(0).max(100_000),
        window: seconds,
        wait: seconds,
      })
      .partial()
      .strict(),
  ).transform((o): StuffingPolicy => ({
    distinctSubjects: o.distinct_subjects ?? DEFAULT_STUFFING_POLICY.distinctSubjects,
    windowSeconds: o.window ?? DEFAULT_STUFFING_POLICY.windowSeconds,
    waitSeconds: o.wait ?? DEFAULT_STUFFING_POLICY.waitSeconds,
  })),
};

/** Undefined when lockout is turned off. */
export function compileLockoutOptions(env: SettingValues<typeof lockoutEnvironment>): LockoutSettings | undefined {
  if (!env.WARDEN_LOCKOUT_ENABLED) return undefined;
  return {
    keys: { SUBJECT: env.WARDEN_LOCKOUT_SUBJECT, SUBJECT_IP: env.WARDEN_LOCKOUT_SUBJECT_IP, IP: env.WARDEN_LOCKOUT_IP },
    stuffing: env.WARDEN_LOCKOUT_STUFFING,
    familiarDays: env.WARDEN_LOCKOUT_FAMILIAR_DAYS,
    successLingerMs: env.WARDEN_LOCKOUT_SUCCESS_LINGER_MS,
  };
}
