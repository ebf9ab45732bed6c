import { recordServiceTokenUsage } from "../../sql/queries/service_tokens.queries.js";
import type { Db } from "../db/pool.js";
import { Backoff, writeIsolatingRefusals } from "../db/batches.js";
import type { Logger } from "../log.js";
import type { RejectedRows } from "../ops/metrics.js";

interface Usage {
  uses: number;
  lastUsedAt: Date;
}

/**
 * Counts service-token uses in memory and writes them in one UPDATE per
 * interval, so verification never waits on a write. Counts the database could
 * not take now are kept for the next attempt; a count it refuses is dropped alone.
 */
export class UsageRecorder {
  private pending = new Map<string, Usage>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  /** Spaces out the timer's writes while the database cannot take them. */
  private readonly backoff = new Backoff(1000, 30_000);

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly rejected: RejectedRows,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => {
      if (this.backoff.due()) void this.flush();
    }, intervalMs);
    this.timer.unref();
  }

  record(tokenId: string, at: Date): void {
    const usage = this.pending.get(tokenId);
    if (usage === undefined) this.pending.set(tokenId, { uses: 1, lastUsedAt: at });
    else {
      usage.uses += 1;
      if (at > usage.lastUsedAt) usage.lastUsedAt = at;
    }
  }

  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const written = await writeIsolatingRefusals(
      [...batch],
      async (usages) => {
        await recordServiceTokenUsage.run(
          {
            ids: usages.map(([id]) => id),
            uses: usages.map(([, usage]) => usage.uses),
            lastUsedAts: usages.map(([, usage]) => usage.lastUsedAt),
          },
          this.db,
        );
      },
      { writer: "token_usage", keyOf: ([id]) => id, rejected: this.rejected, log: this.log },
    );
    if (written.deferred.length === 0) {
      this.backoff.succeeded();
      return;
    }
    for (const [id, usage] of written.deferred) {
      const newer = this.pending.get(id);
      this.pending.set(
        id,
        newer === undefined ? usage : { uses: usage.uses + newer.uses, lastUsedAt: newer.lastUsedAt },
      );
    }
    this.backoff.failed();
    this.log.warn(
      { err: written.error, tokens: written.deferred.length, retryInMs: this.backoff.currentMs },
      "could not record service token usage; will retry",
    );
  }
}
