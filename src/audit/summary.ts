import { alertsBySeverity, countLockouts, summaryCounts, topFailing } from "../../sql/queries/summary.queries.js";
import { withDatabaseErrors } from "../db/errors.js";
import type { Db } from "../db/pool.js";
import { InvalidArgumentError } from "../errors.js";
import {
  SummaryBucket,
  type GetSecuritySummaryRequest,
  type GetSecuritySummaryResponse,
  type KeyCount,
  type SummaryBucketCounts,
} from "../gen/warden/v1/audit_service.js";

const DAY_MS = 86_400_000;
export const SUMMARY_LIMITS = { maxRangeDays: 366, top: { default: 10, max: 100 } } as const;
const BUCKETS: Partial<Record<SummaryBucket, string>> = {
  [SummaryBucket.UNSPECIFIED]: "day",
  [SummaryBucket.HOUR]: "hour",
  [SummaryBucket.DAY]: "day",
  [SummaryBucket.WEEK]: "week",
};

/** A required time range of at most `maxDays`, checked field by field. */
export function timeRange(from: Date | undefined, to: Date | undefined, maxDays: number): { from: Date; to: Date } {
  if (from === undefined) throw new InvalidArgumentError("from", "required");
  if (to === undefined) throw new InvalidArgumentError("to", "required");
  if (to <= from) throw new InvalidArgumentError("to", "must be after from");
  if (to.getTime() - from.getTime() > maxDays * DAY_MS) {
    throw new InvalidArgumentError("to", `at most ${maxDays} days after from`);
  }
  return { from, to };
}

/** Counts over the events and alerts in a range, all aggregated in SQL. */
export async function securitySummary(db: Db, request: GetSecuritySummaryRequest): Promise<GetSecuritySummaryResponse> {
  const range = timeRange(request.from, request.to, SUMMARY_LIMITS.maxRangeDays);
  const bucket = BUCKETS[request.bucket];
  if (bucket === undefined) throw new InvalidArgumentError("bucket", `unknown enum value ${request.bucket}`);
  if (request.top > SUMMARY_LIMITS.top.max) throw new InvalidArgumentError("top", `at most ${SUMMARY_LIMITS.top.max}`);
  const top = request.top === 0 ? SUMMARY_LIMITS.top.default : request.top;
  const [counts, failing, [lockouts], alerts] = await withDatabaseErrors(() =>
    Promise.all([
      summaryCounts.run({ bucket, ...range }, db),
      topFailing.run({ ...range, top }, db),
      countLockouts.run(range, db),
      alertsBySeverity.run(range, db),
    ]),
  );
  const buckets = new Map<number, SummaryBucketCounts>();
  for (const row of counts) {
    const start = row.bucketStart.getTime();
    let entry = buckets.get(start);
    if (entry === undefined) {
      entry = { start: row.bucketStart, byType: [], byOutcome: [], bySeverity: [] };
      buckets.set(start, entry);
    }
    const list = { type: entry.byType, outcome: entry.byOutcome, severity: entry.bySeverity }[
      row.dimension as "type" | "outcome" | "severity"
    ];
    list.push({ key: row.key, count: row.count });
  }
  const topOf = (dimension: string): KeyCount[] =>
    failing.filter((row) => row.dimension === dimension).map((row) => ({ key: row.key, count: row.count }));
  return {
    buckets: [...buckets.values()],
    topFailingSubjects: topOf("subject"),
    topFailingIps: topOf("ip"),
    topFailingServiceTokens: topOf("service_token"),
    lockouts: lockouts!.count,
    alertsBySeverity: alerts.map((row) => ({ key: row.key, count: row.count })),
  };
}
