import { pino, type DestinationStream, type Logger } from "pino";
import sonicBoom, { type SonicBoom } from "sonic-boom";

export type { Logger };

/** About thirty RPC lines per write. */
const LOG_WRITE_BYTES = 8192;
const LOG_FLUSH_MS = 100;

/**
 * Hands lines to sonic-boom LOG_WRITE_BYTES at a time, joined once.
 *
 * Each write of stdout is a hand-off to libuv's thread pool and back, which
 * on a two-core machine costs about 100 µs of CPU, more than the RPC it
 * logs: lines have to be batched. sonic-boom can batch (minLength), but it
 * measures the byte length of the string it is building on every line, and
 * that flattens the string: about 6 KB of garbage per line at 8 KB batches,
 * more than pino spends making the line, and most of what a cached-token
 * Authenticate allocated. Here lines wait in an array and are joined once
 * per write. What is left is written every LOG_FLUSH_MS, so a quiet server's
 * lines are at most that late, and on exit.
 */
class BatchedLines implements DestinationStream {
  private lines: string[] = [];
  private length = 0;

  constructor(private readonly out: SonicBoom) {
    setInterval(() => this.handOver(), LOG_FLUSH_MS).unref();
    process.on("exit", () => {
      this.handOver();
      this.out.flushSync();
    });
  }

  write(line: string): void {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= LOG_WRITE_BYTES) this.handOver();
  }

  /** For pino's `logger.flush()`. */
  flush(done?: (error?: Error) => void): void {
    this.handOver();
    this.out.flush(done);
  }

  private handOver(): void {
    if (this.lines.length === 0) return;
    const chunk = this.lines.join("");
    this.lines = [];
    this.length = 0;
    this.out.write(chunk);
  }
}

/** Standard output, written asynchronously in batches (BatchedLines). */
export function stdoutInBatches(): DestinationStream {
  return new BatchedLines(new sonicBoom.SonicBoom({ fd: 1, sync: false }));
}

/**
 * One JSON logger for the process. Request bodies are never logged; the redact
 * list is a second line of defence should a credential reach a log call as a
 * top-level field. Nested paths (`*.credential`) are left out on purpose: a
 * wildcard makes pino walk every line's fields, which doubled the cost of the
 * log line each RPC writes.
 */
export function createLogger(level: string, destination: DestinationStream = stdoutInBatches()): Logger {
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
