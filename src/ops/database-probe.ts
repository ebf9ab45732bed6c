import { DatabaseWait } from "../db/database-wait.js";
import type { Logger } from "../log.js";

/**
 * Whether the database answers, asked off the request path every
 * `intervalMs` and given `timeoutMs` to answer, so that health and /readyz
 * answer at once from the last probe. A probe still unanswered counts as down
 * until it settles, so a hung database holds one connection, not one a probe.
 */
export class DatabaseProbe {
  private answering = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly wait: DatabaseWait;

  constructor(
    private readonly ping: () => Promise<unknown>,
    private readonly options: { intervalMs: number; timeoutMs: number },
    private readonly log: Logger,
    /** Called after every probe. */
    private readonly probed: () => void = () => undefined,
  ) {
    this.wait = new DatabaseWait(options.timeoutMs);
  }

  /** Whether the database answered the last probe in time. */
  get up(): boolean {
    return this.answering;
  }

  async probe(): Promise<void> {
    const was = this.answering;
    try {
      this.answering = (await this.wait.answer(this.ping)).answered;
    } catch {
      this.answering = false;
    }
    if (was !== this.answering) {
      this.log[this.answering ? "info" : "warn"]({ databaseUp: this.answering }, "database probe changed");
    }
    this.probed();
  }

  start(): this {
    this.timer = setInterval(() => void this.probe(), this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
