import {
  addEventPartitions as addEventPartitionsQuery,
  countExpiredAudit,
  countExpiredEvents,
  deleteExpiredEventIds,
  deleteExpiredEvents,
  expiredEventPartitions,
  pruneAuditBatch,
} from "../../sql/queries/retention.queries.js";
import type { event_severity } from "../../sql/queries/events.queries.js";
import { withTransaction, type Pool } from "../db/pool.js";
import { recordAudit, type Actor } from "./audit.js";

/** Days each kind of record is kept. */
export interface RetentionPolicy {
  events: Record<event_severity, number>;
  auditDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  events: { INFO: 90, WARNING: 365, CRITICAL: 365 },
  auditDays: 7 * 365,
};

const DAY_MS = 86_400_000;
const BATCH = 10_000;

/** Monthly partitions kept ready ahead of time. */
export const PARTITION_MONTHS_AHEAD = 3;

/** Creates any missing monthly partitions of security_events up to PARTITION_MONTHS_AHEAD months on. */
export async function addEventPartitions(pool: Pool): Promise<number> {
  const [row] = await addEventPartitionsQuery.run({ monthsAhead: PARTITION_MONTHS_AHEAD }, pool);
  return row!.created;
}

/** Events of every severity are kept at least this long; months wholly before it can go at once. */
const longestEventDays = (policy: RetentionPolicy) => Math.max(...Object.values(policy.events));

export interface RetentionLine {
  /** "partition:<name>", "events:INFO", "events:WARNING", "events:CRITICAL" or "audit". */
  what: string;
  before: Date;
  rows: number;
}

const cutoff = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/** The monthly partitions every severity has outlived (dropped when `dropThem`), as lines of the report. */
async function expiredPartitions(
  pool: Pool,
  policy: RetentionPolicy,
  now: Date,
  dropThem: boolean,
): Promise<RetentionLine[]> {
  const whole = cutoff(now, longestEventDays(policy));
  return (await expiredEventPartitions.run({ cutoff: whole, dropThem }, pool)).map((row) => ({
    what: `partition:${row.partition}`,
    before: whole,
    rows: row.rows,
  }));
}

/** What retention would remove now, without removing anything. */
export async function planRetention(pool: Pool, policy: RetentionPolicy, now: Date): Promise<RetentionLine[]> {
  const lines = await expiredPartitions(pool, policy, now, false);
  for (const [severity, days] of Object.entries(policy.events) as [event_severity, number][]) {
    const before = cutoff(now, days);
    const [row] = await countExpiredEvents.run({ severity, before }, pool);
    lines.push({ what: `events:${severity}`, before, rows: row!.count });
  }
  const before = cutoff(now, policy.auditDays);
  const [audit] = await countExpiredAudit.run({ before }, pool);
  lines.push({ what: "audit", before, rows: audit!.count });
  return lines;
}

/**
 * Drops the monthly partitions every severity has outlived, then removes the
 * remaining expired events severity by severity in bounded batches (never one
 * DELETE over the table), then expired audit records, oldest first. Pruning
 * the audit trail is itself audited, naming the hash the chain now starts
 * from, so VerifyAuditChain can tell a recorded prune from a removal.
 */
export async function runRetention(
  pool: Pool,
  policy: RetentionPolicy,
  now: Date,
  actor: Actor,
): Promise<RetentionLine[]> {
  await addEventPartitions(pool);
  const lines = await expiredPartitions(pool, policy, now, true);
  for (const [severity, days] of Object.entries(policy.events) as [event_severity, number][]) {
    const before = cutoff(now, days);
    let rows = 0;
    for (;;) {
      const removed = (await deleteExpiredEvents.run({ severity, before, batch: BATCH }, pool)).length;
      rows += removed;
      if (removed < BATCH) break;
    }
    lines.push({ what: `events:${severity}`, before, rows });
  }
  const whole = cutoff(now, longestEventDays(policy));
  while ((await deleteExpiredEventIds.run({ before: whole, batch: BATCH }, pool)).length === BATCH);
  const before = cutoff(now, policy.auditDays);
  let rows = 0;
  for (;;) {
    const removed = await withTransaction(pool, async (client) => {
      const pruned = await pruneAuditBatch.run({ before, batch: BATCH }, client);
      if (pruned.length === 0) return 0;
      const last = pruned.reduce((a, b) => (BigInt(a.seq) > BigInt(b.seq) ? a : b));
      await recordAudit(client, actor, {
        action: "audit.prune",
        target: "audit_records",
        after: { before: before.toISOString(), removed: pruned.length, throughSeq: last.seq, anchor: last.hash },
      });
      return pruned.length;
    });
    rows += removed;
    if (removed < BATCH) break;
  }
  lines.push({ what: "audit", before, rows });
  return lines;
}
