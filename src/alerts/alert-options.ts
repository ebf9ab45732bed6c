import { z } from "zod";
import { flag, milliseconds, optionalText, type SettingValues } from "../settings.js";

/** Alerting's settings: the rules, how often they run, and the webhook raised alerts go to. */
export const alertEnvironment = {
  WARDEN_ALERTS_ENABLED: flag.default(true),
  /** A JSON rules file replacing the built-in rules. */
  WARDEN_ALERT_RULES_FILE: optionalText,
  /** How often each replica evaluates new events. */
  WARDEN_ALERT_EVALUATE_MS: milliseconds(1000),
  WARDEN_ALERT_WEBHOOK_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** HMAC-SHA256 key for `x-warden-signature`; required with a webhook URL. */
  WARDEN_ALERT_WEBHOOK_SECRET: optionalText,
  /** How often each replica looks for due deliveries. */
  WARDEN_ALERT_DELIVERY_POLL_MS: milliseconds(1000),
  WARDEN_ALERT_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
};

export interface AlertOptions {
  /** A JSON rules file replacing the default rules. */
  rulesFile: string | undefined;
  evaluateMs: number;
  webhook: { url: string; secret: string; pollMs: number; maxAttempts: number } | undefined;
}

/** Undefined when alerting is turned off. */
export function compileAlertOptions(
  env: SettingValues<typeof alertEnvironment>,
  problems: string[],
): AlertOptions | undefined {
  if (env.WARDEN_ALERT_WEBHOOK_URL !== undefined && (env.WARDEN_ALERT_WEBHOOK_SECRET?.length ?? 0) < 16) {
    problems.push("WARDEN_ALERT_WEBHOOK_SECRET: required with WARDEN_ALERT_WEBHOOK_URL, at least 16 characters");
  }
  if (!env.WARDEN_ALERTS_ENABLED) return undefined;
  return {
    rulesFile: env.WARDEN_ALERT_RULES_FILE,
    evaluateMs: env.WARDEN_ALERT_EVALUATE_MS,
    webhook:
      env.WARDEN_ALERT_WEBHOOK_URL === undefined
        ? undefined
        : {
            url: env.WARDEN_ALERT_WEBHOOK_URL,
            secret: env.WARDEN_ALERT_WEBHOOK_SECRET!,
            pollMs: env.WARDEN_ALERT_DELIVERY_POLL_MS,
            maxAttempts: env.WARDEN_ALERT_DELIVERY_MAX_ATTEMPTS,
          },
  };
}
