/**
 * How late this process's event loop runs, readable at any moment. A timer is
 * due every `intervalMs`; the lag is how late it fired last time or, while it
 * is overdue, how overdue it is now. A call read from its socket waited about
 * that long before any handler ran: the wait admission by queue length or by
 * commit wait cannot see.
 */
export class EventLoopLag {
  private dueAt = performance.now();
  private lastLagMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  start(): this {
    this.schedule();
    return this;
  }

  get currentMs(): number {
    return Math.max(this.lastLagMs, performance.now() - this.dueAt);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.dueAt = performance.now() + this.intervalMs;
    this.timer = setTimeout(() => {
      this.lastLagMs = performance.now() - this.dueAt;
      this.schedule();
    }, this.intervalMs);
    // A probe is no reason to keep the process alive.
    this.timer.unref();
  }
}
