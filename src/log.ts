import { pino, type Logger } from "pino";

export type { Logger };

/**
 * One JSON logger for the process. Request bodies are never logged; the redact
 * list is a second line of defence should a credential reach a log call.
 *
 * Lines go to stdout asynchronously: lines logged while a write is in flight
 * share the next one, so a busy server makes one write call per batch of
 * lines rather than one per RPC. pino flushes what is pending on exit.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: "warden" },
      redact: {
        paths: [
          "credential",
          "*.credential",
          "authorization",
          "*.authorization",
          "password",
          "*.password",
          "token",
          "*.token",
        ],
        censor: "[redacted]",
      },
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
