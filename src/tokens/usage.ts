import { recordServiceTokenUsage } from "../../sql/queries/service_tokens.queries.js";
import type { Db } from "../db/pool.js";
import type { Logger } from "../log.js";

interface Usage {
  uses: number;
  lastUsedAt: Date;
}

/**
 * Counts service-token uses in memory and writes them in one UPDATE per
 * interval, so verification never waits on a write. Counts that fail to write
 * are kept for the next attempt.
 */
export class UsageRecorder {
  private pending = new Map<string, Usage>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
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
    const ids = [...batch.keys()];
    try {
      await recordServiceTokenUsage.run(
        {
          ids,
          uses: ids.map((id) => batch.get(id)!.uses),
          lastUsedAts: ids.map((id) => batch.get(id)!.lastUsedAt),
        },
        this.db,
      );
    } catch (error) {
      for (const [id, usage] of batch) {
        const newer = this.pending.get(id);
        this.pending.set(
          id,
          newer === undefined ? usage : { uses: usage.uses + newer.uses, lastUsedAt: newer.lastUsedAt },
        );
      }
      this.log.warn({ err: error, tokens: ids.length }, "could not record service token usage; will retry");
    }
  }
}
