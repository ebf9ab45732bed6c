import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * One JSON logger for the process. Request bodies are never logged; the redact
 * list is a second line of defence should a credential reach a log call as a
 * top-level field. Nested paths (`*.credential`) are left out on purpose: a
 * wildcard makes pino walk every line's fields, which doubled the cost of the
 * log line each RPC writes.
 *
 * Lines go to stdout asynchronously: lines logged while a write is in flight
 * share the next one, so a busy server makes one write call per batch of
 * lines rather than one per RPC. pino flushes what is pending on exit.
 */
export function createLogger(
  level: string,
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
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
