import type { AuditTrail } from "../audit/audit.js";
import { exportAudit, exportEvents, type ExportChunk } from "../audit/export.js";
import { securitySummary } from "../audit/summary.js";
import type { Db } from "../db/pool.js";
import type {
  ExportAuditRequest,
  ExportAuditResponse,
  ExportEventsRequest,
  ExportEventsResponse,
  GetSecuritySummaryRequest,
  GetSecuritySummaryResponse,
  ListAuditRecordsRequest,
  ListAuditRecordsResponse,
  VerifyAuditChainRequest,
  VerifyAuditChainResponse,
} from "../gen/warden/v1/audit_service.js";
import type { CallContext } from "./edge/context.js";

/** Sends export chunks as the client takes them, stopping if the call ends. */
async function sendAll(
  chunks: AsyncGenerator<ExportChunk>,
  context: CallContext,
  send: (chunk: ExportChunk) => Promise<void>,
): Promise<void> {
  for await (const chunk of chunks) {
    if (context.signal.aborted) return;
    await send(chunk);
  }
}

export interface AuditServiceDependencies {
  audit: AuditTrail;
  /** The database for reads that stop when the call's signal aborts. */
  dbFor: (signal: AbortSignal) => Db;
}

/** AuditService handlers: read the audit trail and the event history. */
export function auditServiceHandlers({ audit, dbFor }: AuditServiceDependencies) {
  return {
    listAuditRecords: async (
      request: ListAuditRecordsRequest,
      context: CallContext,
    ): Promise<ListAuditRecordsResponse> => audit.list(request, dbFor(context.signal)),

    verifyAuditChain: async (
      request: VerifyAuditChainRequest,
      context: CallContext,
    ): Promise<VerifyAuditChainResponse> => audit.verify(request, dbFor(context.signal)),

    getSecuritySummary: async (
      request: GetSecuritySummaryRequest,
      context: CallContext,
    ): Promise<GetSecuritySummaryResponse> => securitySummary(dbFor(context.signal), request),

    // The events themselves, as ListEvents returns them: their scope (events:read), not the audit trail's.
    exportEvents: async (
      request: ExportEventsRequest,
      context: CallContext,
      send: (chunk: ExportEventsResponse) => Promise<void>,
    ): Promise<void> => sendAll(exportEvents(dbFor(context.signal), request), context, send),

    exportAudit: async (
      request: ExportAuditRequest,
      context: CallContext,
      send: (chunk: ExportAuditResponse) => Promise<void>,
    ): Promise<void> => sendAll(exportAudit(dbFor(context.signal), request), context, send),
  };
}
