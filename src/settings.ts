/**
 * What every module's `*-options.ts` builds on: the zod fields for the common
 * kinds of environment variable, and the error naming every bad one.
 */
import { z } from "zod";

/** Every problem with the environment, one per line, so one start-up shows them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The validated values of a module's variables (name → zod field), as its compile step receives them. */
export type SettingValues<Fields extends Record<string, z.ZodType>> = z.output<z.ZodObject<Fields>>;

export const milliseconds = (defaultValue: number) => z.coerce.number().int().min(1).default(defaultValue);

export const port = (defaultValue: number) => z.coerce.number().int().min(0).max(65535).default(defaultValue);

export const flag = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

export const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** Unset and blank are the same: absent. */
export const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

/** A duration inside a setting list, at most a year. */
export const seconds = z.coerce
  .number()
  .min(0)
  .max(365 * 24 * 3600);

/**
 * A variable of `name=value` pairs, e.g. `max_failures=5,wait_strategy=linear`,
 * each checked by `schema`; unknown names are errors.
 */
export function settingList<T extends z.ZodType<unknown, Record<string, unknown>>>(schema: T) {
  return z
    .string()
    .default("")
    .transform((text): Record<string, unknown> =>
      Object.fromEntries(
        text
          .split(",")
          .map((pair) => pair.trim())
          .filter((pair) => pair.length > 0)
          .map((pair) => [pair.split("=")[0]!.trim(), pair.slice(pair.indexOf("=") + 1).trim()]),
      ),
    )
    .pipe(schema);
}
