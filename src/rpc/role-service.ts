import type { Roles } from "../authz/roles.js";
import type { Db } from "../db/pool.js";
import type {
  AssignRoleRequest,
  AssignRoleResponse,
  CreatePermissionRequest,
  CreatePermissionResponse,
  CreateRoleRequest,
  CreateRoleResponse,
  DeleteRoleRequest,
  DeleteRoleResponse,
  GetRoleRequest,
  GetRoleResponse,
  GrantPermissionRequest,
  GrantPermissionResponse,
  ListPermissionsRequest,
  ListPermissionsResponse,
  ListRolesRequest,
  ListRolesResponse,
  ListSubjectPermissionsRequest,
  ListSubjectPermissionsResponse,
  RevokePermissionRequest,
  RevokePermissionResponse,
  UnassignRoleRequest,
  UnassignRoleResponse,
  UpdateRoleRequest,
  UpdateRoleResponse,
} from "../gen/warden/v1/role_service.js";
import { callerOf, type CallContext } from "./edge/context.js";

export interface RoleServiceDependencies {
  roles: Roles;
  /** The database for reads that stop when the call's signal aborts. */
  dbFor: (signal: AbortSignal) => Db;
}

/** RoleService handlers: call the RBAC domain as the caller the edge established. */
export function roleServiceHandlers({ roles, dbFor }: RoleServiceDependencies) {
  const actor = (context: CallContext) => callerOf(context).actor;
  return {
    createPermission: async (r: CreatePermissionRequest, c: CallContext): Promise<CreatePermissionResponse> =>
      roles.createPermission(r.name, r.description, actor(c)),

    listPermissions: async (r: ListPermissionsRequest, c: CallContext): Promise<ListPermissionsResponse> =>
      roles.listPermissions(r, dbFor(c.signal)),

    createRole: async (r: CreateRoleRequest, c: CallContext): Promise<CreateRoleResponse> =>
      roles.createRole(r, actor(c)),

    getRole: async (r: GetRoleRequest, c: CallContext): Promise<GetRoleResponse> => ({
      role: await roles.getRole(r.name, dbFor(c.signal)),
    }),

    listRoles: async (r: ListRolesRequest, c: CallContext): Promise<ListRolesResponse> =>
      roles.listRoles(r, dbFor(c.signal)),

    updateRole: async (r: UpdateRoleRequest, c: CallContext): Promise<UpdateRoleResponse> =>
      roles.updateRole({ name: r.name, description: r.description, parent: r.parent }, actor(c)),

    deleteRole: async (r: DeleteRoleRequest, c: CallContext): Promise<DeleteRoleResponse> =>
      roles.deleteRole(r.name, r.force, actor(c)),

    grantPermission: async (r: GrantPermissionRequest, c: CallContext): Promise<GrantPermissionResponse> =>
      roles.grantPermission(r.role, r.permission, actor(c)),

    revokePermission: async (r: RevokePermissionRequest, c: CallContext): Promise<RevokePermissionResponse> =>
      roles.revokePermission(r.role, r.permission, actor(c)),

    assignRole: async (r: AssignRoleRequest, c: CallContext): Promise<AssignRoleResponse> =>
      roles.assignRole(r, actor(c)),

    unassignRole: async (r: UnassignRoleRequest, c: CallContext): Promise<UnassignRoleResponse> =>
      roles.unassignRole(r, actor(c)),

    listSubjectPermissions: async (
      r: ListSubjectPermissionsRequest,
      c: CallContext,
    ): Promise<ListSubjectPermissionsResponse> => roles.subjectPermissions(r.subject, dbFor(c.signal)),
  };
}
