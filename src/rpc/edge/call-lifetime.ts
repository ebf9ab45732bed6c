import { CancelledError } from "../../errors.js";

/**
 * How one call ends early, if it does: the reason it was cut short, a signal
 * for the work done on its behalf, a timer that cuts it short, and a hook the
 * edge uses to stop waiting for the handler. The AbortController is made only
 * when something asks for the signal: most calls never do, and grpc-js
 * reports every finished call as "cancelled", which must cost nothing once
 * the call has answered.
 */
export class CallLifetime {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  /** Why the call was cut short; undefined while it runs or once it answered. */
  reason: Error | undefined;
  /** Told once, when the call is cut short. */
  onEnd: ((reason: Error) => void) | undefined;

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
    clearTimeout(this.timer);
    this.controller?.abort(reason);
    this.onEnd?.(reason);
  }

  /** For grpc-js's "cancelled" event: the caller went away. */
  readonly cancel = (): void => {
    if (!this.finished && this.reason === undefined) this.abort(new CancelledError("the caller cancelled the call"));
  };

  /**
   * Cuts the call short with `reason(ms)` after `ms`, unless it ends first.
   * The timer belongs to the call, so answering clears it with no extra promise.
   */
  abortAfter(ms: number, reason: (ms: number) => Error): void {
    this.timer = setTimeout(abortWith, ms, this, reason, ms);
  }

  /** The call answered: its timer stops, and later aborts and cancellations are ignored. */
  finish(): void {
    this.finished = true;
    clearTimeout(this.timer);
  }
}

function abortWith(lifetime: CallLifetime, reason: (ms: number) => Error, ms: number): void {
  lifetime.abort(reason(ms));
}
