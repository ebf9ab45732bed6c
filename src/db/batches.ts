import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../log.js";
import type { RejectedRows, RowWriter } from "../ops/metrics.js";
import { classifyDatabaseError, isTransient } from "./errors.js";

export interface RefusalIsolation<Row> {
  writer: RowWriter;
  /** What names a row in the log: an id or key, never a credential. */
  keyOf: (row: Row) => string;
  rejected: RejectedRows;
  log: Logger;
}

export interface IsolatedWrite<Row> {
  /** Rows the database refused for good, with its reason; each already logged and counted. */
  refused: { row: Row; error: unknown }[];
  /** Rows left unwritten because the database could not serve them now: the caller retries them. */
  deferred: Row[];
  /** The transient error that left `deferred` unwritten. */
  error?: unknown;
}

const MAX_LOGGED_KEY_LENGTH = 256;

/** A refused key may be the very value that was too long. */
function loggable(key: string): string {
  return key.length <= MAX_LOGGED_KEY_LENGTH
    ? key
    : `${key.slice(0, MAX_LOGGED_KEY_LENGTH)}… (${key.length} characters)`;
}

/**
 * Writes `rows` with `write` (one statement per call, all or nothing). When the
 * database refuses a batch (a constraint, an encoding, a value too long), the
 * batch is halved until the refused rows stand alone, so one bad row costs
 * about log2(batch) extra statements and never the other rows. A transient
 * error (connection lost, timeout) stops the write and hands the rest back.
 */
export async function writeIsolatingRefusals<Row>(
  rows: Row[],
  write: (rows: Row[]) => Promise<void>,
  isolation: RefusalIsolation<Row>,
): Promise<IsolatedWrite<Row>> {
  const result: IsolatedWrite<Row> = { refused: [], deferred: [] };
  const chunks: Row[][] = rows.length === 0 ? [] : [rows];
  while (chunks.length > 0) {
    const chunk = chunks.shift()!;
    if (result.error !== undefined) {
      result.deferred.push(...chunk);
      continue;
    }
    try {
      await write(chunk);
    } catch (caught) {
      const error = classifyDatabaseError(caught);
      if (isTransient(error)) {
        result.error = error;
        result.deferred.push(...chunk);
      } else if (chunk.length === 1) {
        const row = chunk[0]!;
        result.refused.push({ row, error });
        isolation.rejected.count(isolation.writer);
        isolation.log.error(
          { err: error, writer: isolation.writer, key: loggable(isolation.keyOf(row)) },
          "the database refused a row; the rest of its batch is written",
        );
      } else {
        const half = Math.ceil(chunk.length / 2);
        chunks.unshift(chunk.slice(0, half), chunk.slice(half));
      }
    }
  }
  return result;
}

/** Exponential back-off between retries of a write the database could not serve. */
export class Backoff {
  private delayMs = 0;
  private notBefore = 0;

  constructor(
    private readonly minMs = 100,
    private readonly maxMs = 5000,
  ) {}

  /** The delay before the next attempt; 0 after a success. */
  get currentMs(): number {
    return this.delayMs;
  }

  failed(): void {
    this.delayMs = Math.min(Math.max(this.delayMs * 2, this.minMs), this.maxMs);
    this.notBefore = Date.now() + this.delayMs;
  }

  succeeded(): void {
    this.delayMs = 0;
    this.notBefore = 0;
  }

  /** For writers driven by a timer: whether the back-off has passed. */
  due(): boolean {
    return Date.now() >= this.notBefore;
  }

  /** For writers driven by a loop: waits out the back-off. */
  async wait(): Promise<void> {
    const remaining = this.notBefore - Date.now();
    if (remaining > 0) await sleep(remaining);
  }
}
