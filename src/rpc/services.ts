import { AuthorizationDefinition } from "../gen/envoy/service/auth/v3/external_auth.js";
import { AccessServiceDefinition } from "../gen/warden/v1/access_service.js";
import { AlertServiceDefinition } from "../gen/warden/v1/alert_service.js";
import { AuditServiceDefinition } from "../gen/warden/v1/audit_service.js";
import { AuthServiceDefinition } from "../gen/warden/v1/auth_service.js";
import { LockoutServiceDefinition } from "../gen/warden/v1/lockout_service.js";
import { RiskServiceDefinition } from "../gen/warden/v1/risk_service.js";
import { RoleServiceDefinition } from "../gen/warden/v1/role_service.js";
import { TokenServiceDefinition } from "../gen/warden/v1/token_service.js";
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
    needing("credentials", service(AuthServiceDefinition, authServiceHandlers(deps))),
    needing("database", service(TokenServiceDefinition, tokenServiceHandlers(deps))),
    needing("database", service(LockoutServiceDefinition, lockoutServiceHandlers(deps))),
    needing("database", service(RiskServiceDefinition, riskServiceHandlers(deps))),
    needing("database", service(AlertServiceDefinition, alertServiceHandlers(deps))),
    needing("database", service(AuditServiceDefinition, auditServiceHandlers(deps))),
    needing("database", service(RoleServiceDefinition, roleServiceHandlers(deps))),
    needing("role snapshot", service(AccessServiceDefinition, accessServiceHandlers(deps))),
    needing("role snapshot", service(AuthorizationDefinition, extAuthzHandlers(deps.extAuthz, deps.log))),
  ];
}
