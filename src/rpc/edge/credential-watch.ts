import { UnauthenticatedError } from "../../errors.js";
import type { Logger } from "../../log.js";

/**
 * Rechecks the credentials of open streams, so that a stream ends soon after
 * its caller's credential stops verifying. Revocation and rotation reach
 * every replica's token cache by notification, and expiry is cut into the
 * cache's lifetimes, so a recheck is a cache lookup unless something changed.
 */
export class CredentialWatch {
  private readonly watched = new Map<string, Set<(reason: Error) => void>>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;
  // Set when a recheck is asked for while one runs, which may have read the credential before it changed.
  private checkAgain = false;

  constructor(
    /** Whether a credential still verifies; undefined when that cannot be decided now. */
    private readonly stillValid: (credential: string) => Promise<boolean | undefined>,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Calls `end` once the credential no longer verifies; the returned function
   * stops watching. The credential is also checked right away: a change heard
   * between its verification and this call would otherwise wait for the next
   * tick.
   */
  watch(credential: string, end: (reason: Error) => void): () => void {
    let ends = this.watched.get(credential);
    if (ends === undefined) {
      ends = new Set();
      this.watched.set(credential, ends);
    }
    ends.add(end);
    if (!this.stopped) this.timer ??= setInterval(() => void this.recheck(), this.intervalMs).unref();
    void this.check(credential, new Set([end]));
    return () => {
      ends.delete(end);
      if (ends.size === 0) this.watched.delete(credential);
      if (this.watched.size === 0) this.pause();
    };
  }

  stop(): void {
    this.stopped = true;
    this.pause();
  }

  /** Rechecks now rather than at the next tick: called when a credential is known to have changed. */
  recheckNow(): void {
    if (!this.stopped && this.watched.size > 0) void this.recheck();
  }

  private pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async recheck(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        await Promise.all([...this.watched].map(([credential, ends]) => this.check(credential, ends)));
      } while (this.checkAgain);
    } finally {
      this.checking = false;
    }
  }

  private async check(credential: string, ends: Set<(reason: Error) => void>): Promise<void> {
    // A credential that cannot be checked now (database down) keeps its streams until it can.
    const valid = await this.stillValid(credential).catch((error: unknown) => {
      this.log.warn({ err: error }, "could not recheck a stream caller's credential");
      return undefined;
    });
    if (valid !== false) return;
    const reason = new UnauthenticatedError(
      "authorization: the caller's credential is no longer valid (revoked, rotated out or expired)",
    );
    for (const end of ends) end(reason);
  }
}
