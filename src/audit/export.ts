import { exportAuditPage } from "../../sql/queries/audit.queries.js";
import { exportEventsPage } from "../../sql/queries/summary.queries.js";
import type { Db } from "../db/pool.js";
import { toAuthenticationEvent } from "../events/event.js";
import {
  AuditRecord,
  ExportFormat,
  type ExportAuditRequest,
  type ExportEventsRequest,
} from "../gen/warden/v1/audit_service.js";
import { AuthenticationEvent } from "../gen/warden/v1/event.js";
import { enumLabel } from "../validate.js";
import { toAuditRecord } from "./audit.js";
import { timeRange } from "./summary.js";

/** Rows per database read; memory holds one page at a time, whatever the range. */
const PAGE_ROWS = 1000;
const EXPORT_MAX_DAYS = 3660;

const EVENT_COLUMNS = [
  "event_id",
  "occurred_at",
  "received_at",
  "type",
  "severity",
  "outcome",
  "subject",
  "principal_kind",
  "email",
  "service_token_name",
  "token_id",
  "client_ip",
  "user_agent",
  "request_id",
  "source_service",
  "failure_reason",
  "risk_score",
  "risk_signals",
  "details",
  "identity_provider",
] as const;

const AUDIT_COLUMNS = [
  "seq",
  "record_id",
  "recorded_at",
  "actor",
  "action",
  "target",
  "request_id",
  "client_ip",
  "before",
  "after",
  "prev_hash",
  "hash",
] as const;

function csvField(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ""
      : typeof value === "string"
        ? value
        : value instanceof Date
          ? value.toISOString()
          : JSON.stringify(value);
  // A spreadsheet runs a field starting like a formula; a leading ' makes it text.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface ExportChunk {
  data: Buffer;
  rowsSoFar: number;
}

/**
 * Rows as lines, one chunk per page read by keyset. The caller pulls chunks as
 * it can send them, so memory holds one page however many rows there are.
 */
async function* pages<Row, Cursor>(
  first: Cursor,
  read: (after: Cursor) => Promise<Row[]>,
  cursorOf: (row: Row) => Cursor,
  line: (row: Row) => string,
  header: string | undefined,
): AsyncGenerator<ExportChunk> {
  let rowsSoFar = 0;
  if (header !== undefined) yield { data: Buffer.from(`${header}\n`), rowsSoFar };
  let after = first;
  for (;;) {
    const rows = await read(after);
    if (rows.length === 0) return;
    rowsSoFar += rows.length;
    yield { data: Buffer.from(`${rows.map(line).join("\n")}\n`), rowsSoFar };
    after = cursorOf(rows.at(-1)!);
    if (rows.length < PAGE_ROWS) return;
  }
}

function format(value: ExportFormat): "jsonl" | "csv" {
  return enumLabel(ExportFormat, value, "format") === "CSV" ? "csv" : "jsonl";
}

/** Events in [from, to), oldest first, as JSON Lines or CSV. */
export function exportEvents(db: Db, request: ExportEventsRequest): AsyncGenerator<ExportChunk> {
  const range = timeRange(request.from, request.to, EXPORT_MAX_DAYS);
  const csv = format(request.format) === "csv";
  return pages(
    { occurredAt: new Date(0), eventId: "00000000-0000-0000-0000-000000000000" },
    (after) =>
      exportEventsPage.run(
        { ...range, afterOccurredAt: after.occurredAt, afterEventId: after.eventId, limit: PAGE_ROWS },
        db,
      ),
    (row) => ({ occurredAt: row.occurred_at, eventId: row.event_id }),
    (row) =>
      csv
        ? EVENT_COLUMNS.map((column) =>
            csvField(column === "risk_signals" ? row.risk_signals.join(" ") : row[column]),
          ).join(",")
        : JSON.stringify(AuthenticationEvent.toJSON(toAuthenticationEvent(row))),
    csv ? EVENT_COLUMNS.join(",") : undefined,
  );
}

/** Audit records in [from, to), oldest first, as JSON Lines or CSV. */
export function exportAudit(db: Db, request: ExportAuditRequest): AsyncGenerator<ExportChunk> {
  const range = timeRange(request.from, request.to, EXPORT_MAX_DAYS);
  const csv = format(request.format) === "csv";
  return pages(
    "0",
    (after) => exportAuditPage.run({ ...range, afterSeq: after, limit: PAGE_ROWS }, db),
    (row) => row.seq,
    (row) => {
      if (!csv) return JSON.stringify(AuditRecord.toJSON(toAuditRecord(row)));
      const hex = { prev_hash: row.prev_hash.toString("hex"), hash: row.hash.toString("hex") };
      return AUDIT_COLUMNS.map((column) =>
        csvField(column === "prev_hash" || column === "hash" ? hex[column] : row[column]),
      ).join(",");
    },
    csv ? AUDIT_COLUMNS.join(",") : undefined,
  );
}
