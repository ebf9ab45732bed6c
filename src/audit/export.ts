import { exportEventsPage } from "../../sql/queries/summary.queries.js";
import type { Db } from "../db/pool.js";
import { InvalidArgumentError } from "../errors.js";
import { toAuthenticationEvent } from "../events/event.js";
import { ExportFormat, type ExportEventsRequest } from "../gen/warden/v1/audit_service.js";
import { AuthenticationEvent } from "../gen/warden/v1/event.js";
import { timeRange } from "./summary.js";

/** Rows per database read; memory holds one page at a time, whatever the range. */
const PAGE_ROWS = 1000;
const EXPORT_MAX_DAYS = 3660;

const CSV_COLUMNS = [
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
] as const;

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  // Quote everything that could split a field or start a spreadsheet formula.
  return /[",\r\n]|^[=+\-@]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface ExportChunk {
  data: Buffer;
  rowsSoFar: number;
}

/**
 * Events in [from, to), oldest first, as JSON Lines or CSV, one chunk per
 * page read by keyset from the database. The caller pulls chunks as it can
 * send them, so memory stays at one page however many rows the range holds.
 */
export async function* exportEvents(db: Db, request: ExportEventsRequest): AsyncGenerator<ExportChunk> {
  const range = timeRange(request.from, request.to, EXPORT_MAX_DAYS);
  if (ExportFormat[request.format] === undefined || (request.format as number) < 0) {
    throw new InvalidArgumentError("format", `unknown enum value ${request.format}`);
  }
  const csv = request.format === ExportFormat.CSV;
  let rowsSoFar = 0;
  if (csv) yield { data: Buffer.from(`${CSV_COLUMNS.join(",")}\n`), rowsSoFar };
  let after = { occurredAt: new Date(0), eventId: "00000000-0000-0000-0000-000000000000" };
  for (;;) {
    const rows = await exportEventsPage.run(
      { ...range, afterOccurredAt: after.occurredAt, afterEventId: after.eventId, limit: PAGE_ROWS },
      db,
    );
    if (rows.length === 0) return;
    const lines = rows.map((row) => {
      if (!csv) return JSON.stringify(AuthenticationEvent.toJSON(toAuthenticationEvent(row)));
      return CSV_COLUMNS.map((column) =>
        csvField(column === "risk_signals" ? row.risk_signals.join(" ") : row[column]),
      ).join(",");
    });
    rowsSoFar += rows.length;
    yield { data: Buffer.from(`${lines.join("\n")}\n`), rowsSoFar };
    const last = rows.at(-1)!;
    after = { occurredAt: last.occurred_at, eventId: last.event_id };
    if (rows.length < PAGE_ROWS) return;
  }
}
