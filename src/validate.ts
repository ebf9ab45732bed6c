import { isIP } from "node:net";
import { InvalidArgumentError } from "./errors.js";

/** A position in a sequence (an audit record's or an alert change's seq), as cursors carry it. */
export const SEQ_PATTERN = /^\d{1,18}$/;

/** A UUID in its canonical text form, any version. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type ProtoEnum = Record<string | number, string | number>;

/**
 * The name of a proto enum value (the database label where the two agree);
 * null for UNSPECIFIED. INVALID_ARGUMENT naming `field` for values this build
 * does not know.
 */
export function enumLabel<Label extends string>(enumObject: ProtoEnum, value: number, field: string): Label | null {
  if (value === 0) return null;
  const label = enumObject[value];
  if (typeof label !== "string" || value < 0) throw new InvalidArgumentError(field, `unknown enum value ${value}`);
  return label as Label;
}

/**
 * `value` when it is at most `max` characters and holds no NUL, which
 * PostgreSQL text and jsonb refuse; INVALID_ARGUMENT naming `field` otherwise.
 */
export function boundedText(value: string, field: string, max: number): string {
  if (value.length > max) throw new InvalidArgumentError(field, `longer than ${max} characters`);
  if (value.includes("\u0000")) throw new InvalidArgumentError(field, "contains a NUL character");
  return value;
}

/** `value` as PostgreSQL can store it: NULs replaced, cut to `max` characters. */
export function recordable(value: string, max: number): string {
  return value.replaceAll("\u0000", "\uFFFD").slice(0, max);
}

/**
 * An address PostgreSQL's inet accepts. node's isIP also accepts IPv6 zone
 * ids (`fe80::1%eth0`), which inet refuses: one would fail a whole batch.
 */
export function isInetAddress(value: string): boolean {
  return isIP(value) !== 0 && !value.includes("%");
}

/**
 * What validation lets through into one stored column, and the constant that
 * says so. `npm run check` fails when the live column would refuse such a value.
 */
export type ColumnLimit =
  | { kind: "text"; maxLength: number; source: string }
  | { kind: "integer"; min: number; max: number; source: string }
  | { kind: "inet"; source: string };

/** The limits validation enforces on the columns of one table the code writes. */
export interface TableLimits {
  table: string;
  columns: Record<string, ColumnLimit>;
}
