import { AccessReason, type AccessDecision } from "../gen/warden/v1/access_service.js";
import { FailureReason } from "../gen/warden/v1/event.js";

/** Where a role's permission comes from: the nearest role in its chain that grants it. */
type GrantedBy = string;

interface SubjectAssignment {
  role: string;
  /** "" for everywhere. */
  resource: string;
}

/**
 * The whole RBAC state at one version, arranged so a decision is two map
 * lookups and a scan of the subject's (few) assignments.
 */
export interface RoleSnapshot {
  version: number;
  /** Effective permissions per role, inherited ones included. */
  roles: Map<string, Map<string, GrantedBy>>;
  assignments: Map<string, SubjectAssignment[]>;
}

export interface SnapshotRows {
  version: number;
  /** Ordered by role, nearest granting role first. */
  rolePermissions: { role: string; permission: string; granted_by: string }[];
  assignments: { subject: string; role: string; resource: string }[];
}

export function buildSnapshot(rows: SnapshotRows): RoleSnapshot {
  const roles = new Map<string, Map<string, GrantedBy>>();
  for (const row of rows.rolePermissions) {
    let permissions = roles.get(row.role);
    if (permissions === undefined) roles.set(row.role, (permissions = new Map<string, GrantedBy>()));
    if (!permissions.has(row.permission)) permissions.set(row.permission, row.granted_by);
  }
  const assignments = new Map<string, SubjectAssignment[]>();
  for (const row of rows.assignments) {
    let held = assignments.get(row.subject);
    if (held === undefined) assignments.set(row.subject, (held = []));
    held.push({ role: row.role, resource: row.resource });
  }
  return { version: rows.version, roles, assignments };
}

/** Who a decision is about: the RBAC subject and the scopes its credential carries. */
export interface AccessSubject {
  subject: string;
  scopes: readonly string[];
}

/** An assignment on `assigned` applies to a check on `resource` at or under it; "" applies everywhere. */
export function resourceCovers(assigned: string, resource: string): boolean {
  return (
    assigned === "" ||
    assigned === resource ||
    (resource.length > assigned.length && resource.startsWith(assigned) && resource[assigned.length] === "/")
  );
}

/** A decision for `reason`; allowed exactly when the reason is a grant. */
export function accessDecision(
  reason: AccessReason,
  version: number,
  detail: Partial<Pick<AccessDecision, "assignedRole" | "grantedBy" | "failureReason">> = {},
): AccessDecision {
  return {
    allowed: reason === AccessReason.GRANTED_BY_ROLE || reason === AccessReason.GRANTED_BY_SCOPE,
    reason,
    assignedRole: "",
    grantedBy: "",
    version,
    failureReason: FailureReason.UNSPECIFIED,
    ...detail,
  };
}

export function decide(
  snapshot: RoleSnapshot,
  who: AccessSubject,
  permission: string,
  resource: string,
): AccessDecision {
  if (who.scopes.includes(permission)) return accessDecision(AccessReason.GRANTED_BY_SCOPE, snapshot.version);
  for (const held of snapshot.assignments.get(who.subject) ?? []) {
    if (!resourceCovers(held.resource, resource)) continue;
    const grantedBy = snapshot.roles.get(held.role)?.get(permission);
    if (grantedBy !== undefined) {
      return accessDecision(AccessReason.GRANTED_BY_ROLE, snapshot.version, { assignedRole: held.role, grantedBy });
    }
  }
  return accessDecision(AccessReason.NO_PERMISSION, snapshot.version);
}
