import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import {
  appendAuditRecord,
  listAuditRecords,
  verifyAuditChain,
  type IListAuditRecordsResult,
} from "../../sql/queries/audit.queries.js";
import { withDatabaseErrors } from "../db/errors.js";
import { decodePageToken, encodePageToken } from "../db/page-token.js";
import type { Db, Pool } from "../db/pool.js";
import { InvalidArgumentError } from "../errors.js";
import type {
  AuditRecord,
  ListAuditRecordsRequest,
  ListAuditRecordsResponse,
  VerifyAuditChainRequest,
  VerifyAuditChainResponse,
} from "../gen/warden/v1/audit_service.js";
import { boundedText, SEQ_PATTERN } from "../validate.js";

/** Who performs an administrative action, for the records it writes. */
export interface Actor {
  /** e.g. "service_token:ops-admin", "user:alice", "cli:root". */
  principal: string;
  requestId?: string;
  /** The caller's address, when it came over the network. */
  clientIp?: string;
}

/** One administrative action; `before` and `after` must never hold secrets. */
export interface AuditEntry {
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

export const AUDIT_PAGE_SIZE = { default: 100, max: 1000 } as const;
/** A page stops growing past this many bytes of record content. */
const PAGE_BYTES = 4 * 1024 * 1024;
const MAX_SEQ = "9223372036854775807";
/**
 * Well above the longest actor, action or target Warden writes: "user:" and a
 * 256-character subject, or a lockout's key of such a subject and an address.
 */
const MAX_FILTER_LENGTH = 1024;

/** An exact-match filter on `field`; null (match everything) when empty. */
const filter = (value: string, field: string) => (value === "" ? null : boundedText(value, field, MAX_FILTER_LENGTH));

/** Appends to the audit chain through `db`: pass the transaction of the change it records. */
export async function recordAudit(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await appendAuditRecord.run(
    {
      recordId: randomUUID(),
      actor: actor.principal,
      action: entry.action,
      target: entry.target,
      requestId: actor.requestId ?? null,
      clientIp: actor.clientIp !== undefined && isIP(actor.clientIp) !== 0 ? actor.clientIp : null,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    },
    db,
  );
}

const json = (value: unknown) => (value === null ? "" : JSON.stringify(value));

export function toAuditRecord(row: IListAuditRecordsResult): AuditRecord {
  return {
    seq: Number(row.seq),
    recordId: row.record_id,
    recordedAt: row.recorded_at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    requestId: row.request_id ?? "",
    clientIp: row.client_ip ?? "",
    beforeJson: json(row.before),
    afterJson: json(row.after),
    hash: row.hash,
    prevHash: row.prev_hash,
  };
}

/** Reading and checking the audit trail. */
export class AuditTrail {
  constructor(private readonly pool: Pool) {}

  /** `db` is the caller's (db.withSignal), so the read stops when the call does. */
  async list(request: ListAuditRecordsRequest, db: Db = this.pool): Promise<ListAuditRecordsResponse> {
    if (request.pageSize > AUDIT_PAGE_SIZE.max) {
      throw new InvalidArgumentError("page_size", `at most ${AUDIT_PAGE_SIZE.max}`);
    }
    const pageSize = request.pageSize === 0 ? AUDIT_PAGE_SIZE.default : request.pageSize;
    const [cursor] = request.pageToken === "" ? [undefined] : decodePageToken(request.pageToken, 1, "ListAuditRecords");
    if (cursor !== undefined && !SEQ_PATTERN.test(cursor)) {
      throw new InvalidArgumentError("page_token", "not a token returned by ListAuditRecords");
    }
    const rows = await withDatabaseErrors(() =>
      listAuditRecords.run(
        {
          actor: filter(request.actor, "actor"),
          action: filter(request.action, "action"),
          target: filter(request.target, "target"),
          recordedAfter: request.recordedAfter ?? null,
          recordedBefore: request.recordedBefore ?? null,
          cursorSeq: cursor ?? null,
          limit: pageSize + 1,
        },
        db,
      ),
    );
    const records: AuditRecord[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, pageSize)) {
      const record = toAuditRecord(row);
      bytes += record.beforeJson.length + record.afterJson.length + 512;
      if (records.length > 0 && bytes > PAGE_BYTES) break;
      records.push(record);
    }
    const more = records.length < rows.length;
    return { records, nextPageToken: more ? encodePageToken([String(records.at(-1)!.seq)]) : "" };
  }

  async verify(request: VerifyAuditChainRequest, db: Db = this.pool): Promise<VerifyAuditChainResponse> {
    if (request.toSeq !== 0 && request.toSeq < request.fromSeq) {
      throw new InvalidArgumentError("to_seq", "must not be below from_seq");
    }
    const [result] = await withDatabaseErrors(() =>
      verifyAuditChain.run(
        {
          fromSeq: String(Math.max(1, request.fromSeq)),
          toSeq: request.toSeq === 0 ? MAX_SEQ : String(request.toSeq),
        },
        db,
      ),
    );
    const altered = result!.firstAltered === null ? undefined : Number(result!.firstAltered);
    const unlinked = result!.firstUnlinked === null ? undefined : Number(result!.firstUnlinked);
    if (altered === undefined && unlinked === undefined) {
      return { intact: true, recordsChecked: result!.checked, firstBrokenSeq: 0, problem: "" };
    }
    const first = Math.min(altered ?? Infinity, unlinked ?? Infinity);
    return {
      intact: false,
      recordsChecked: result!.checked,
      firstBrokenSeq: first,
      problem:
        first === altered
          ? "its hash no longer matches its content: the record was altered"
          : "it does not name its predecessor's hash: a record before it was removed, altered or inserted",
    };
  }
}
