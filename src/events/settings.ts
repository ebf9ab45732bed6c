import { z } from "zod";

export interface SpoolSettings {
  /** Folder of this replica's own spool files; each replica needs its own. */
  dir: string;
  /** "batch": fdatasync each written batch (survives a machine crash); "none": the OS writes it back (survives a process crash). */
  sync: "batch" | "none";
}

/** The events module's own settings, composed into the environment schema by src/config.ts. */
export const EVENT_SPOOL_ENVIRONMENT = {
  WARDEN_EVENT_SPOOL_DIR: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim())),
  WARDEN_EVENT_SPOOL_SYNC: z.enum(["batch", "none"]).default("none"),
};

/** Absent (no spool) unless a folder is configured. */
export function spoolSettings(e: {
  WARDEN_EVENT_SPOOL_DIR: string | undefined;
  WARDEN_EVENT_SPOOL_SYNC: "batch" | "none";
}): SpoolSettings | undefined {
  return e.WARDEN_EVENT_SPOOL_DIR === undefined
    ? undefined
    : { dir: e.WARDEN_EVENT_SPOOL_DIR, sync: e.WARDEN_EVENT_SPOOL_SYNC };
}
