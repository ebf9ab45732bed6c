import { AuthorizationService } from "../gen/envoy/service/auth/v3/external_auth.js";
import { AccessServiceService } from "../gen/warden/v1/access_service.js";
import { AlertServiceService } from "../gen/warden/v1/alert_service.js";
import { AuditServiceService } from "../gen/warden/v1/audit_service.js";
import { AuthServiceService } from "../gen/warden/v1/auth_service.js";
import { LockoutServiceService } from "../gen/warden/v1/lockout_service.js";
import { RiskServiceService } from "../gen/warden/v1/risk_service.js";
import { RoleServiceService } from "../gen/warden/v1/role_service.js";
import { TokenServiceService } from "../gen/warden/v1/token_service.js";
import type { ExtAuthz } from "../authz/envoy.js";
import type { Logger } from "../log.js";
import { accessServiceHandlers, type AccessServiceDependencies } from "./access-service.js";
import { alertServiceHandlers, type AlertServiceDependencies } from "./alert-service.js";
import { auditServiceHandlers, type AuditServiceDependencies } from "./audit-service.js";
import { authServiceHandlers, type AuthServiceDependencies } from "./auth-service.js";
import { service } from "./edge/edge.js";
import type { ServiceNeed, WardenService } from "./health.js";
import { extAuthzHandlers } from "./ext-authz-service.js";
import { lockoutServiceHandlers, type LockoutServiceDependencies } from "./lockout-service.js";
import { riskServiceHandlers, type RiskServiceDependencies } from "./risk-service.js";
import { roleServiceHandlers, type RoleServiceDependencies } from "./role-service.js";
import { tokenServiceHandlers, type TokenServiceDependencies } from "./token-service.js";

export type ServiceDependencies = AuthServiceDependencies &
  TokenServiceDependencies &
  LockoutServiceDependencies &
  RiskServiceDependencies &
  AlertServiceDependencies &
  AuditServiceDependencies &
  RoleServiceDependencies &
  AccessServiceDependencies & { extAuthz: ExtAuthz; log: Logger };

const needing = (needs: ServiceNeed, entry: ReturnType<typeof service>): WardenService => ({ ...entry, needs });

/**
 * Every service Warden serves, each a generated definition with its plain
 * handlers and what it needs to serve (its health). The server, health and
 * the edge all take their list from here: adding a service is one line.
 */
export function wardenServices(deps: ServiceDependencies): WardenService[] {
  return [
    // Authenticate serves through a database outage; its reporting calls and ListEvents answer UNAVAILABLE then.
    needing("credentials", service(AuthServiceService, authServiceHandlers(deps))),
    needing("database", service(TokenServiceService, tokenServiceHandlers(deps))),
    needing("database", service(LockoutServiceService, lockoutServiceHandlers(deps))),
    needing("database", service(RiskServiceService, riskServiceHandlers(deps))),
    needing("database", service(AlertServiceService, alertServiceHandlers(deps))),
    needing("database", service(AuditServiceService, auditServiceHandlers(deps))),
    needing("database", service(RoleServiceService, roleServiceHandlers(deps))),
    needing("role snapshot", service(AccessServiceService, accessServiceHandlers(deps))),
    needing("role snapshot", service(AuthorizationService, extAuthzHandlers(deps.extAuthz, deps.log))),
  ];
}
