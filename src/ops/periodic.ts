/**
 * Background work on a timer, never overlapping itself: a round still running
 * when the timer fires is left to finish, and stop() waits for it. The timer
 * does not keep the process alive.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly intervalMs: number,
    /** A failed round is reported here; the next one tries again. */
    private readonly failed: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round now, or the one already running. */
  run(): Promise<void> {
    this.running ??= this.work()
      .catch(this.failed)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
