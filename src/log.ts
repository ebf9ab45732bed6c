import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** About twenty RPC lines per write. */
const LOG_WRITE_BYTES = 8192;
const LOG_FLUSH_MS = 100;

/**
 * One JSON logger for the process. Request bodies are never logged; the redact
 * list is a second line of defence should a credential reach a log call as a
 * top-level field. Nested paths (`*.credential`) are left out on purpose: a
 * wildcard makes pino walk every line's fields, which doubled the cost of the
 * log line each RPC writes.
 *
 * Lines go to stdout asynchronously, in writes of at least LOG_WRITE_BYTES:
 * each write is a hand-off to libuv's thread pool and back, which on a
 * two-core machine cost about 100 µs of CPU, more than the RPC it logged.
 * What is left is written every LOG_FLUSH_MS, so a quiet server's lines are
 * at most that late, and pino flushes what is pending on exit.
 */
export function createLogger(
  level: string,
  destination: DestinationStream = pino.destination({
    dest: 1,
    sync: false,
    minLength: LOG_WRITE_BYTES,
    periodicFlush: LOG_FLUSH_MS,
  }),
): Logger {
  return pino(
    {
      level,
      base: { service: "warden" },
      redact: {
        paths: ["credential", "authorization", "password", "token", "secret"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
