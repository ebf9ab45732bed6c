import type { Authenticator } from "../authn/authenticator.js";
import type { Roles } from "../authz/roles.js";
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
  RoleServiceServer,
  UnassignRoleRequest,
  UnassignRoleResponse,
  UpdateRoleRequest,
  UpdateRoleResponse,
} from "../gen/warden/v1/role_service.js";
import { authorize } from "./authorize.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";

export interface RoleServiceDependencies {
  authenticator: Authenticator;
  roles: Roles;
}

/** RoleService handlers: authorize the caller, then call the RBAC domain. */
export function roleServiceHandlers({ authenticator, roles }: RoleServiceDependencies) {
  const reader = (context: CallContext) => authorize(authenticator, context, "roles:read");
  const writer = (context: CallContext) => authorize(authenticator, context, "roles:write");
  return {
    createPermission: async (r: CreatePermissionRequest, c: CallContext): Promise<CreatePermissionResponse> =>
      roles.createPermission(r.name, r.description, await writer(c)),

    listPermissions: async (r: ListPermissionsRequest, c: CallContext): Promise<ListPermissionsResponse> => {
      await reader(c);
      return roles.listPermissions(r);
    },

    createRole: async (r: CreateRoleRequest, c: CallContext): Promise<CreateRoleResponse> =>
      roles.createRole(r, await writer(c)),

    getRole: async (r: GetRoleRequest, c: CallContext): Promise<GetRoleResponse> => {
      await reader(c);
      return { role: await roles.getRole(r.name) };
    },

    listRoles: async (r: ListRolesRequest, c: CallContext): Promise<ListRolesResponse> => {
      await reader(c);
      return roles.listRoles(r);
    },

    updateRole: async (r: UpdateRoleRequest, c: CallContext): Promise<UpdateRoleResponse> =>
      roles.updateRole({ name: r.name, description: r.description, parent: r.parent }, await writer(c)),

    deleteRole: async (r: DeleteRoleRequest, c: CallContext): Promise<DeleteRoleResponse> =>
      roles.deleteRole(r.name, r.force, await writer(c)),

    grantPermission: async (r: GrantPermissionRequest, c: CallContext): Promise<GrantPermissionResponse> =>
      roles.grantPermission(r.role, r.permission, await writer(c)),

    revokePermission: async (r: RevokePermissionRequest, c: CallContext): Promise<RevokePermissionResponse> =>
      roles.revokePermission(r.role, r.permission, await writer(c)),

    assignRole: async (r: AssignRoleRequest, c: CallContext): Promise<AssignRoleResponse> =>
      roles.assignRole(r, await writer(c)),

    unassignRole: async (r: UnassignRoleRequest, c: CallContext): Promise<UnassignRoleResponse> =>
      roles.unassignRole(r, await writer(c)),

    listSubjectPermissions: async (
      r: ListSubjectPermissionsRequest,
      c: CallContext,
    ): Promise<ListSubjectPermissionsResponse> => {
      await reader(c);
      return roles.subjectPermissions(r.subject);
    },
  };
}

export function roleService(deps: RoleServiceDependencies, options: UnaryOptions): RoleServiceServer {
  const h = roleServiceHandlers(deps);
  return {
    createPermission: unary("CreatePermission", h.createPermission, options),
    listPermissions: unary("ListPermissions", h.listPermissions, options),
    createRole: unary("CreateRole", h.createRole, options),
    getRole: unary("GetRole", h.getRole, options),
    listRoles: unary("ListRoles", h.listRoles, options),
    updateRole: unary("UpdateRole", h.updateRole, options),
    deleteRole: unary("DeleteRole", h.deleteRole, options),
    grantPermission: unary("GrantPermission", h.grantPermission, options),
    revokePermission: unary("RevokePermission", h.revokePermission, options),
    assignRole: unary("AssignRole", h.assignRole, options),
    unassignRole: unary("UnassignRole", h.unassignRole, options),
    listSubjectPermissions: unary("ListSubjectPermissions", h.listSubjectPermissions, options),
  };
}
