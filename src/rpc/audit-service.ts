import type { AuditTrail } from "../audit/audit.js";
import type { Authenticator } from "../authn/authenticator.js";
import type {
  AuditServiceServer,
  ListAuditRecordsRequest,
  ListAuditRecordsResponse,
  VerifyAuditChainRequest,
  VerifyAuditChainResponse,
} from "../gen/warden/v1/audit_service.js";
import { authorize } from "./authorize.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";

export interface AuditServiceDependencies {
  authenticator: Authenticator;
  audit: AuditTrail;
}

/** AuditService handlers: authorize the caller, then read the audit trail. */
export function auditServiceHandlers({ authenticator, audit }: AuditServiceDependencies) {
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
  };
}

export function auditService(deps: AuditServiceDependencies, options: UnaryOptions): AuditServiceServer {
  const handlers = auditServiceHandlers(deps);
  return {
    listAuditRecords: unary("ListAuditRecords", handlers.listAuditRecords, options),
    verifyAuditChain: unary("VerifyAuditChain", handlers.verifyAuditChain, options),
  };
}
