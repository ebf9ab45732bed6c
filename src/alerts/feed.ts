/**
 * Wakes WatchAlerts streams when alerts change on any replica (fed by the
 * `warden_alerts` notifications). A stream that misses a wake-up still
 * re-reads after `backstopMs`, so a lost notification only delays it.
 */
export class AlertFeed {
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly backstopMs = 2000) {}

  /** Resolves on the next change, after the backstop, or when `signal` aborts or the feed closes. */
  next(signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.backstopMs);
      signal.addEventListener("abort", wake);
      this.waiters.add(wake);
    });
  }

  changed(): void {
    for (const wake of [...this.waiters]) wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends every watch: the server is stopping. */
  close(): void {
    this.closed = true;
    this.changed();
  }
}
