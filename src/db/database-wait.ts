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
  private stalled = 0;

  constructor(readonly waitMs: number) {}

  /** Whether an earlier read is still unanswered past its wait. */
  get stalling(): boolean {
    return this.stalled > 0;
  }

  /** `read`'s result within the wait, or `answered: false`; a read that fails in time rejects. */
  async answer<T>(read: () => Promise<T>): Promise<WaitOutcome<T>> {
    if (this.stalled > 0) return { answered: false };
    const reading = read();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.waitMs);
    });
    const settled = await Promise.race([reading.then((value) => ({ answered: true as const, value })), timedOut]);
    clearTimeout(timer);
    if (settled !== undefined) return settled;
    this.stalled += 1;
    void reading.then(
      () => (this.stalled -= 1),
      () => (this.stalled -= 1),
    );
    return { answered: false };
  }
}
