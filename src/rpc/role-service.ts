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
  UnassignRoleRequest,
  UnassignRoleResponse,
  UpdateRoleRequest,
  UpdateRoleResponse,
} from "../gen/warden/v1/role_service.js";
import { callerOf, type CallContext } from "./edge/context.js";

export interface RoleServiceDependencies {
  roles: Roles;
}

/** RoleService handlers: call the RBAC domain as the caller the edge established. */
export function roleServiceHandlers({ roles }: RoleServiceDependencies) {
  const actor = (context: CallContext) => callerOf(context).actor;
  return {
    createPermission: async (r: CreatePermissionRequest, c: CallContext): Promise<CreatePermissionResponse> =>
      roles.createPermission(r.name, r.description, actor(c)),

    listPermissions: async (r: ListPermissionsRequest): Promise<ListPermissionsResponse> => roles.listPermissions(r),

    createRole: async (r: CreateRoleRequest, c: CallContext): Promise<CreateRoleResponse> =>
      roles.createRole(r, actor(c)),

    getRole: async (r: GetRoleRequest): Promise<GetRoleResponse> => ({ role: await roles.getRole(r.name) }),

    listRoles: async (r: ListRolesRequest): Promise<ListRolesResponse> => roles.listRoles(r),

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

    listSubjectPermissions: async (r: ListSubjectPermissionsRequest): Promise<ListSubjectPermissionsResponse> =>
      roles.subjectPermissions(r.subject),
  };
}
