/** What a bounded wait for the database came to. */
export type WaitOutcome<T> = { answered: true; value: T } | { answered: false };

/**
 * Bounds how long the authentication path waits for the database. A read
 * not answered within `waitMs` is left to finish (or time out) on its own
 * while the caller decides without it; until it settles, the database counts
 * as not answering, so later callers do not wait again and a hung database
 * ties up one pool connection rather than one per call.
 */
export class DatabaseWait {
  /** Each read still unanswered past its wait, and when it began (epoch milliseconds). */
  private readonly stalled = new Map<Promise<unknown>, number>();

  constructor(
    readonly waitMs: number,
    /** A read unanswered this long means the database is hung, not merely slow. */
    private readonly hungAfterMs = 1000,
  ) {}

  /**
   * Whether a read has gone unanswered for hungAfterMs: callers with nothing
   * to fall back on fail at once then, rather than wait out the timeouts, and
   * a database that is only slow under load still serves them.
   */
  get hung(): boolean {
    const before = Date.now() - this.hungAfterMs;
    for (const began of this.stalled.values()) if (began <= before) return true;
    return false;
  }

  /** `read`'s result within the wait, or `answered: false`; a read that fails in time rejects. */
  async answer<T>(read: () => Promise<T>): Promise<WaitOutcome<T>> {
    if (this.stalled.size > 0) return { answered: false };
    const began = Date.now();
    const reading = read();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.waitMs);
    });
    const outcome = await Promise.race([reading.then((value) => ({ answered: true as const, value })), timedOut]);
    clearTimeout(timer);
    if (outcome !== undefined) return outcome;
    this.stalled.set(reading, began);
    const settled = () => this.stalled.delete(reading);
    void reading.then(settled, settled);
    return { answered: false };
  }
}
