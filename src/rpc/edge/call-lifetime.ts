import { CancelledError } from "../../errors.js";

/** How late, at most, a call's deadline cuts it short. */
const DEADLINE_RESOLUTION_MS = 10;

/**
 * The calls that have a deadline, swept together by one timer while any run:
 * a timer per call cost more than any other part of the deadline layer, and
 * most calls answer long before their deadline. The calls are linked through
 * themselves: a Set gaining and losing an entry per call kept rehashing and
 * shrinking its table, 1 % of a cached-token Authenticate's CPU.
 */
class CallsWithDeadlines {
  private first: CallLifetime | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  add(lifetime: CallLifetime): void {
    lifetime.nextWithDeadline = this.first;
    if (this.first !== undefined) this.first.previousWithDeadline = lifetime;
    this.first = lifetime;
    this.sweeper ??= setInterval(() => this.sweep(), DEADLINE_RESOLUTION_MS).unref();
  }

  /** Unlinks `lifetime`, which keeps no link to its former neighbours. */
  remove(lifetime: CallLifetime): void {
    const { previousWithDeadline: previous, nextWithDeadline: next } = lifetime;
    if (previous === undefined) this.first = next;
    else previous.nextWithDeadline = next;
    if (next !== undefined) next.previousWithDeadline = previous;
    lifetime.previousWithDeadline = undefined;
    lifetime.nextWithDeadline = undefined;
  }

  private sweep(): void {
    const now = performance.now();
    for (let lifetime = this.first; lifetime !== undefined;) {
      const next = lifetime.nextWithDeadline;
      // Whoever hears of an expiry may end other calls too, unlinking `next`: start again from the first.
      lifetime = lifetime.expireBy(now) ? this.first : next;
    }
    if (this.first === undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

const withDeadlines = new CallsWithDeadlines();

/**
 * How one call ends early, if it does: the reason it was cut short, a signal
 * for the work done on its behalf, a deadline that cuts it short, and a hook
 * the edge uses to stop waiting for the handler. The AbortController is made only
 * when something asks for the signal: most calls never do, and grpc-js
 * reports every finished call as "cancelled", which must cost nothing once
 * the call has answered.
 */
export class CallLifetime {
  private controller: AbortController | undefined;
  /** performance.now() at which the deadline passes, and what it says then. */
  private deadlineAt = Infinity;
  private deadlineMs = 0;
  private deadlineReason: ((ms: number) => Error) | undefined;
  private finished = false;
  /** Why the call was cut short; undefined while it runs or once it answered. */
  reason: Error | undefined;
  /** Told once, when the call is cut short. */
  onEnd: ((reason: Error) => void) | undefined;
  /** The neighbours in CallsWithDeadlines, while this call is there. */
  previousWithDeadline: CallLifetime | undefined;
  nextWithDeadline: CallLifetime | undefined;
  private hasDeadline = false;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Cuts the call short with `reason`, unless it already ended. */
  abort(reason: Error): void {
    if (this.finished || this.reason !== undefined) return;
    this.reason = reason;
    this.leaveDeadlines();
    this.controller?.abort(reason);
    this.onEnd?.(reason);
  }

  /** For grpc-js's "cancelled" event: the caller went away. */
  readonly cancel = (): void => {
    if (!this.finished && this.reason === undefined) this.abort(new CancelledError("the caller cancelled the call"));
  };

  /**
   * Cuts the call short with `reason(ms)` after `ms` (up to
   * DEADLINE_RESOLUTION_MS later), unless it ends first.
   */
  abortAfter(ms: number, reason: (ms: number) => Error): void {
    if (this.finished || this.reason !== undefined) return;
    this.deadlineAt = performance.now() + ms;
    this.deadlineMs = ms;
    this.deadlineReason = reason;
    if (!this.hasDeadline) {
      this.hasDeadline = true;
      withDeadlines.add(this);
    }
  }

  /** For the sweep: cuts the call short if its deadline has passed by `now`, and says whether it did. */
  expireBy(now: number): boolean {
    if (now < this.deadlineAt) return false;
    this.abort(this.deadlineReason!(this.deadlineMs));
    return true;
  }

  /** The call answered: its deadline no longer applies, and later aborts and cancellations are ignored. */
  finish(): void {
    this.finished = true;
    this.leaveDeadlines();
  }

  private leaveDeadlines(): void {
    if (!this.hasDeadline) return;
    this.hasDeadline = false;
    withDeadlines.remove(this);
  }
}
