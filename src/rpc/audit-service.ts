import type { AuditTrail } from "../audit/audit.js";
import { exportEvents } from "../audit/export.js";
import { securitySummary } from "../audit/summary.js";
import type { Db } from "../db/pool.js";
import type { Authenticator } from "../authn/authenticator.js";
import type {
  AuditServiceServer,
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
      await authorize(authenticator, context, "audit:read");
      for await (const chunk of exportEvents(db, request)) {
        if (context.signal.aborted) return;
        await send({ data: chunk.data, rowsSoFar: chunk.rowsSoFar });
      }
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
  };
}
