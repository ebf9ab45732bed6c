import type { AuditTrail } from "../audit/audit.js";
import { exportAudit, exportEvents, type ExportChunk } from "../audit/export.js";
import { securitySummary } from "../audit/summary.js";
import type { Db } from "../db/pool.js";
import type { Authenticator } from "../authn/authenticator.js";
import type {
  AuditServiceServer,
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
import { authorize } from "./authorize.js";
import { serverStream, type StreamContext } from "./stream.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";

/** Sends export chunks as the client takes them, stopping if it goes away. */
async function sendAll(
  chunks: AsyncGenerator<ExportChunk>,
  context: StreamContext,
  send: (chunk: ExportChunk) => Promise<void>,
): Promise<void> {
  for await (const chunk of chunks) {
    if (context.signal.aborted) return;
    await send(chunk);
  }
}

export interface AuditServiceDependencies {
  authenticator: Authenticator;
  audit: AuditTrail;
  db: Db;
}

/** AuditService handlers: authorize the caller, then read the audit trail. */
export function auditServiceHandlers({ authenticator, audit, db }: AuditServiceDependencies) {
  return {
    listAuditRecords: async (
      request: ListAuditRecordsRequest,
      context: CallContext,
    ): Promise<ListAuditRecordsResponse> => {
      await authorize(authenticator, context, "audit:read");
      return audit.list(request);
    },

    verifyAuditChain: async (
      request: VerifyAuditChainRequest,
      context: CallContext,
    ): Promise<VerifyAuditChainResponse> => {
      await authorize(authenticator, context, "audit:read");
      return audit.verify(request);
    },

    getSecuritySummary: async (
      request: GetSecuritySummaryRequest,
      context: CallContext,
    ): Promise<GetSecuritySummaryResponse> => {
      await authorize(authenticator, context, "audit:read");
      return securitySummary(db, request);
    },

    exportEvents: async (
      request: ExportEventsRequest,
      context: StreamContext,
      send: (chunk: ExportEventsResponse) => Promise<void>,
    ): Promise<void> => {
      // The events themselves, as ListEvents returns them: their scope, not the audit trail's.
      await authorize(authenticator, context, "events:read");
      await sendAll(exportEvents(db, request), context, send);
    },

    exportAudit: async (
      request: ExportAuditRequest,
      context: StreamContext,
      send: (chunk: ExportAuditResponse) => Promise<void>,
    ): Promise<void> => {
      await authorize(authenticator, context, "audit:read");
      await sendAll(exportAudit(db, request), context, send);
    },
  };
}

export function auditService(deps: AuditServiceDependencies, options: UnaryOptions): AuditServiceServer {
  const handlers = auditServiceHandlers(deps);
  return {
    listAuditRecords: unary("ListAuditRecords", handlers.listAuditRecords, options),
    verifyAuditChain: unary("VerifyAuditChain", handlers.verifyAuditChain, options),
    getSecuritySummary: unary("GetSecuritySummary", handlers.getSecuritySummary, options),
    exportEvents: serverStream("ExportEvents", handlers.exportEvents, options),
    exportAudit: serverStream("ExportAudit", handlers.exportAudit, options),
  };
}
