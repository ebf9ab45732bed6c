import { pino, type Logger } from "pino";

export type { Logger };

/**
 * One JSON logger for the process. Request bodies are never logged; the redact
 * list is a second line of defence should a credential reach a log call.
 */
export function createLogger(level: string): Logger {
  return pino({
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
  });
}
