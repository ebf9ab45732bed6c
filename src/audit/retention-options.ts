import { z } from "zod";
import { settingList, type SettingValues } from "../settings.js";
import { DEFAULT_RETENTION, type RetentionPolicy } from "./retention.js";

const days = z.coerce.number().int().min(1).max(36_500);

/** Retention's setting: days kept by event severity and for audit records, over DEFAULT_RETENTION. */
export const retentionEnvironment = {
  WARDEN_RETENTION: settingList(
    z.object({ info: days, warning: days, critical: days, audit: days }).partial().strict(),
  ).transform((o): RetentionPolicy => ({
    events: {
      INFO: o.info ?? DEFAULT_RETENTION.events.INFO,
      WARNING: o.warning ?? DEFAULT_RETENTION.events.WARNING,
      CRITICAL: o.critical ?? DEFAULT_RETENTION.events.CRITICAL,
    },
    auditDays: o.audit ?? DEFAULT_RETENTION.auditDays,
  })),
};

export function compileRetentionOptions(env: SettingValues<typeof retentionEnvironment>): RetentionPolicy {
  return env.WARDEN_RETENTION;
}
