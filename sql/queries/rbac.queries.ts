/** Types generated for queries found in "sql/queries/rbac.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type NumberOrString = number | string;

export type stringArray = (string)[];

/** 'BumpRbacVersion' parameters type */
export type IBumpRbacVersionParams = void;

/** 'BumpRbacVersion' return type */
export interface IBumpRbacVersionResult {
  version: string;
}

/** 'BumpRbacVersion' query type */
export interface IBumpRbacVersionQuery {
  params: IBumpRbacVersionParams;
  result: IBumpRbacVersionResult;
}

const bumpRbacVersionIR: any = {"usedParamSet":{},"params":[],"statement":"-- First in every RBAC write: see rbac_bump_version in sql/migrations/0008_rbac.sql.\nSELECT rbac_bump_version() AS \"version!\""};

/**
 * Query generated from SQL:
 * ```
 * -- First in every RBAC write: see rbac_bump_version in sql/migrations/0008_rbac.sql.
 * SELECT rbac_bump_version() AS "version!"
 * ```
 */
export const bumpRbacVersion = new PreparedQuery<IBumpRbacVersionParams,IBumpRbacVersionResult>(bumpRbacVersionIR);


/** 'RbacVersion' parameters type */
export type IRbacVersionParams = void;

/** 'RbacVersion' return type */
export interface IRbacVersionResult {
  version: string;
}

/** 'RbacVersion' query type */
export interface IRbacVersionQuery {
  params: IRbacVersionParams;
  result: IRbacVersionResult;
}

const rbacVersionIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT version FROM rbac_version"};

/**
 * Query generated from SQL:
 * ```
 * SELECT version FROM rbac_version
 * ```
 */
export const rbacVersion = new PreparedQuery<IRbacVersionParams,IRbacVersionResult>(rbacVersionIR);


/** 'InsertPermission' parameters type */
export interface IInsertPermissionParams {
  description: string;
  name: string;
}

/** 'InsertPermission' return type */
export interface IInsertPermissionResult {
  created_at: Date;
  description: string;
  name: string;
}

/** 'InsertPermission' query type */
export interface IInsertPermissionQuery {
  params: IInsertPermissionParams;
  result: IInsertPermissionResult;
}

const insertPermissionIR: any = {"usedParamSet":{"name":true,"description":true},"params":[{"name":"name","required":true,"transform":{"type":"scalar"},"locs":[{"a":57,"b":62}]},{"name":"description","required":true,"transform":{"type":"scalar"},"locs":[{"a":65,"b":77}]}],"statement":"INSERT INTO rbac_permissions (name, description)\nVALUES (:name!, :description!)\nON CONFLICT (name) DO NOTHING\nRETURNING name, description, created_at"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO rbac_permissions (name, description)
 * VALUES (:name!, :description!)
 * ON CONFLICT (name) DO NOTHING
 * RETURNING name, description, created_at
 * ```
 */
export const insertPermission = new PreparedQuery<IInsertPermissionParams,IInsertPermissionResult>(insertPermissionIR);


/** 'FindPermission' parameters type */
export interface IFindPermissionParams {
  name: string;
}

/** 'FindPermission' return type */
export interface IFindPermissionResult {
  name: string;
}

/** 'FindPermission' query type */
export interface IFindPermissionQuery {
  params: IFindPermissionParams;
  result: IFindPermissionResult;
}

const findPermissionIR: any = {"usedParamSet":{"name":true},"params":[{"name":"name","required":true,"transform":{"type":"scalar"},"locs":[{"a":47,"b":52}]}],"statement":"SELECT name FROM rbac_permissions WHERE name = :name!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT name FROM rbac_permissions WHERE name = :name!
 * ```
 */
export const findPermission = new PreparedQuery<IFindPermissionParams,IFindPermissionResult>(findPermissionIR);


/** 'ListPermissions' parameters type */
export interface IListPermissionsParams {
  after: string;
  limit: NumberOrString;
}

/** 'ListPermissions' return type */
export interface IListPermissionsResult {
  created_at: Date;
  description: string;
  name: string;
}

/** 'ListPermissions' query type */
export interface IListPermissionsQuery {
  params: IListPermissionsParams;
  result: IListPermissionsResult;
}

const listPermissionsIR: any = {"usedParamSet":{"after":true,"limit":true},"params":[{"name":"after","required":true,"transform":{"type":"scalar"},"locs":[{"a":72,"b":78}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":100,"b":106}]}],"statement":"SELECT name, description, created_at\nFROM rbac_permissions\nWHERE name > :after!\nORDER BY name\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT name, description, created_at
 * FROM rbac_permissions
 * WHERE name > :after!
 * ORDER BY name
 * LIMIT :limit!
 * ```
 */
export const listPermissions = new PreparedQuery<IListPermissionsParams,IListPermissionsResult>(listPermissionsIR);


/** 'InsertRole' parameters type */
export interface IInsertRoleParams {
  description: string;
  name: string;
}

/** 'InsertRole' return type */
export interface IInsertRoleResult {
  role: string;
}

/** 'InsertRole' query type */
export interface IInsertRoleQuery {
  params: IInsertRoleParams;
  result: IInsertRoleResult;
}

const insertRoleIR: any = {"usedParamSet":{"name":true,"description":true},"params":[{"name":"name","required":true,"transform":{"type":"scalar"},"locs":[{"a":146,"b":151}]},{"name":"description","required":true,"transform":{"type":"scalar"},"locs":[{"a":154,"b":166}]}],"statement":"-- The role and its own row in the closure; nothing when the name is taken.\nWITH role AS (\n  INSERT INTO rbac_roles (name, description)\n  VALUES (:name!, :description!)\n  ON CONFLICT (name) DO NOTHING\n  RETURNING name\n)\nINSERT INTO rbac_role_ancestors (role, ancestor, distance)\nSELECT name, name, 0 FROM role\nRETURNING role"};

/**
 * Query generated from SQL:
 * ```
 * -- The role and its own row in the closure; nothing when the name is taken.
 * WITH role AS (
 *   INSERT INTO rbac_roles (name, description)
 *   VALUES (:name!, :description!)
 *   ON CONFLICT (name) DO NOTHING
 *   RETURNING name
 * )
 * INSERT INTO rbac_role_ancestors (role, ancestor, distance)
 * SELECT name, name, 0 FROM role
 * RETURNING role
 * ```
 */
export const insertRole = new PreparedQuery<IInsertRoleParams,IInsertRoleResult>(insertRoleIR);


/** 'SetRoleParent' parameters type */
export interface ISetRoleParentParams {
  maxDepth: number;
  parent?: string | null | void;
  role: string;
}

/** 'SetRoleParent' return type */
export interface ISetRoleParentResult {
  problem: string | null;
}

/** 'SetRoleParent' query type */
export interface ISetRoleParentQuery {
  params: ISetRoleParentParams;
  result: ISetRoleParentResult;
}

const setRoleParentIR: any = {"usedParamSet":{"role":true,"parent":true,"maxDepth":true},"params":[{"name":"role","required":true,"transform":{"type":"scalar"},"locs":[{"a":97,"b":102}]},{"name":"parent","required":false,"transform":{"type":"scalar"},"locs":[{"a":105,"b":111}]},{"name":"maxDepth","required":true,"transform":{"type":"scalar"},"locs":[{"a":114,"b":123}]}],"statement":"-- NULL when done, otherwise why the hierarchy refused it (cycle, depth).\nSELECT rbac_set_parent(:role!, :parent, :maxDepth!) AS problem"};

/**
 * Query generated from SQL:
 * ```
 * -- NULL when done, otherwise why the hierarchy refused it (cycle, depth).
 * SELECT rbac_set_parent(:role!, :parent, :maxDepth!) AS problem
 * ```
 */
export const setRoleParent = new PreparedQuery<ISetRoleParentParams,ISetRoleParentResult>(setRoleParentIR);


/** 'SetRoleDescription' parameters type */
export interface ISetRoleDescriptionParams {
  description: string;
  name: string;
}

/** 'SetRoleDescription' return type */
export type ISetRoleDescriptionResult = void;

/** 'SetRoleDescription' query type */
export interface ISetRoleDescriptionQuery {
  params: ISetRoleDescriptionParams;
  result: ISetRoleDescriptionResult;
}

const setRoleDescriptionIR: any = {"usedParamSet":{"description":true,"name":true},"params":[{"name":"description","required":true,"transform":{"type":"scalar"},"locs":[{"a":36,"b":48}]},{"name":"name","required":true,"transform":{"type":"scalar"},"locs":[{"a":83,"b":88}]}],"statement":"UPDATE rbac_roles SET description = :description!, updated_at = now() WHERE name = :name!"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE rbac_roles SET description = :description!, updated_at = now() WHERE name = :name!
 * ```
 */
export const setRoleDescription = new PreparedQuery<ISetRoleDescriptionParams,ISetRoleDescriptionResult>(setRoleDescriptionIR);


/** 'FindRoles' parameters type */
export interface IFindRolesParams {
  names: stringArray;
}

/** 'FindRoles' return type */
export interface IFindRolesResult {
  assignments: string;
  children: string;
  created_at: Date;
  description: string;
  name: string;
  parent: string | null;
  permissions: stringArray;
  updated_at: Date;
}

/** 'FindRoles' query type */
export interface IFindRolesQuery {
  params: IFindRolesParams;
  result: IFindRolesResult;
}

const findRolesIR: any = {"usedParamSet":{"names":true},"params":[{"name":"names","required":true,"transform":{"type":"scalar"},"locs":[{"a":440,"b":446}]}],"statement":"-- Roles with their own grants and how much depends on them.\nSELECT r.name, r.description, r.parent, r.created_at, r.updated_at,\n  array(SELECT g.permission FROM rbac_grants g WHERE g.role = r.name ORDER BY g.permission) AS \"permissions!\",\n  (SELECT count(*) FROM rbac_roles c WHERE c.parent = r.name) AS \"children!\",\n  (SELECT count(*) FROM rbac_assignments a WHERE a.role = r.name) AS \"assignments!\"\nFROM rbac_roles r\nWHERE r.name = ANY (:names!::text[])"};

/**
 * Query generated from SQL:
 * ```
 * -- Roles with their own grants and how much depends on them.
 * SELECT r.name, r.description, r.parent, r.created_at, r.updated_at,
 *   array(SELECT g.permission FROM rbac_grants g WHERE g.role = r.name ORDER BY g.permission) AS "permissions!",
 *   (SELECT count(*) FROM rbac_roles c WHERE c.parent = r.name) AS "children!",
 *   (SELECT count(*) FROM rbac_assignments a WHERE a.role = r.name) AS "assignments!"
 * FROM rbac_roles r
 * WHERE r.name = ANY (:names!::text[])
 * ```
 */
export const findRoles = new PreparedQuery<IFindRolesParams,IFindRolesResult>(findRolesIR);


/** 'ListRoleNames' parameters type */
export interface IListRoleNamesParams {
  after: string;
  limit: NumberOrString;
}

/** 'ListRoleNames' return type */
export interface IListRoleNamesResult {
  name: string;
}

/** 'ListRoleNames' query type */
export interface IListRoleNamesQuery {
  params: IListRoleNamesParams;
  result: IListRoleNamesResult;
}

const listRoleNamesIR: any = {"usedParamSet":{"after":true,"limit":true},"params":[{"name":"after","required":true,"transform":{"type":"scalar"},"locs":[{"a":41,"b":47}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":69,"b":75}]}],"statement":"SELECT name FROM rbac_roles WHERE name > :after! ORDER BY name LIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT name FROM rbac_roles WHERE name > :after! ORDER BY name LIMIT :limit!
 * ```
 */
export const listRoleNames = new PreparedQuery<IListRoleNamesParams,IListRoleNamesResult>(listRoleNamesIR);


/** 'RoleEffectivePermissions' parameters type */
export interface IRoleEffectivePermissionsParams {
  roles: stringArray;
}

/** 'RoleEffectivePermissions' return type */
export interface IRoleEffectivePermissionsResult {
  granted_by: string;
  permission: string;
  role: string;
}

/** 'RoleEffectivePermissions' query type */
export interface IRoleEffectivePermissionsQuery {
  params: IRoleEffectivePermissionsParams;
  result: IRoleEffectivePermissionsResult;
}

const roleEffectivePermissionsIR: any = {"usedParamSet":{"roles":true},"params":[{"name":"roles","required":true,"transform":{"type":"scalar"},"locs":[{"a":263,"b":269}]}],"statement":"-- Each permission the roles hold, from the nearest role in their chains that grants it.\nSELECT DISTINCT ON (a.role, g.permission) a.role, g.permission, g.role AS granted_by\nFROM rbac_role_ancestors a\nJOIN rbac_grants g ON g.role = a.ancestor\nWHERE a.role = ANY (:roles!::text[])\nORDER BY a.role, g.permission, a.distance"};

/**
 * Query generated from SQL:
 * ```
 * -- Each permission the roles hold, from the nearest role in their chains that grants it.
 * SELECT DISTINCT ON (a.role, g.permission) a.role, g.permission, g.role AS granted_by
 * FROM rbac_role_ancestors a
 * JOIN rbac_grants g ON g.role = a.ancestor
 * WHERE a.role = ANY (:roles!::text[])
 * ORDER BY a.role, g.permission, a.distance
 * ```
 */
export const roleEffectivePermissions = new PreparedQuery<IRoleEffectivePermissionsParams,IRoleEffectivePermissionsResult>(roleEffectivePermissionsIR);


/** 'RoleChildren' parameters type */
export interface IRoleChildrenParams {
  role: string;
}

/** 'RoleChildren' return type */
export interface IRoleChildrenResult {
  name: string;
}

/** 'RoleChildren' query type */
export interface IRoleChildrenQuery {
  params: IRoleChildrenParams;
  result: IRoleChildrenResult;
}

const roleChildrenIR: any = {"usedParamSet":{"role":true},"params":[{"name":"role","required":true,"transform":{"type":"scalar"},"locs":[{"a":43,"b":48}]}],"statement":"SELECT name FROM rbac_roles WHERE parent = :role! ORDER BY name"};

/**
 * Query generated from SQL:
 * ```
 * SELECT name FROM rbac_roles WHERE parent = :role! ORDER BY name
 * ```
 */
export const roleChildren = new PreparedQuery<IRoleChildrenParams,IRoleChildrenResult>(roleChildrenIR);


/** 'DeleteRole' parameters type */
export interface IDeleteRoleParams {
  role: string;
}

/** 'DeleteRole' return type */
export interface IDeleteRoleResult {
  name: string;
}

/** 'DeleteRole' query type */
export interface IDeleteRoleQuery {
  params: IDeleteRoleParams;
  result: IDeleteRoleResult;
}

const deleteRoleIR: any = {"usedParamSet":{"role":true},"params":[{"name":"role","required":true,"transform":{"type":"scalar"},"locs":[{"a":108,"b":113}]}],"statement":"-- Grants, assignments and closure rows go with it (ON DELETE CASCADE).\nDELETE FROM rbac_roles WHERE name = :role! RETURNING name"};

/**
 * Query generated from SQL:
 * ```
 * -- Grants, assignments and closure rows go with it (ON DELETE CASCADE).
 * DELETE FROM rbac_roles WHERE name = :role! RETURNING name
 * ```
 */
export const deleteRole = new PreparedQuery<IDeleteRoleParams,IDeleteRoleResult>(deleteRoleIR);


/** 'GrantPermission' parameters type */
export interface IGrantPermissionParams {
  permission: string;
  role: string;
}

/** 'GrantPermission' return type */
export interface IGrantPermissionResult {
  role: string;
}

/** 'GrantPermission' query type */
export interface IGrantPermissionQuery {
  params: IGrantPermissionParams;
  result: IGrantPermissionResult;
}

const grantPermissionIR: any = {"usedParamSet":{"role":true,"permission":true},"params":[{"name":"role","required":true,"transform":{"type":"scalar"},"locs":[{"a":51,"b":56}]},{"name":"permission","required":true,"transform":{"type":"scalar"},"locs":[{"a":59,"b":70}]}],"statement":"INSERT INTO rbac_grants (role, permission)\nVALUES (:role!, :permission!)\nON CONFLICT (role, permission) DO NOTHING\nRETURNING role"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO rbac_grants (role, permission)
 * VALUES (:role!, :permission!)
 * ON CONFLICT (role, permission) DO NOTHING
 * RETURNING role
 * ```
 */
export const grantPermission = new PreparedQuery<IGrantPermissionParams,IGrantPermissionResult>(grantPermissionIR);


/** 'RevokePermission' parameters type */
export interface IRevokePermissionParams {
  permission: string;
  role: string;
}

/** 'RevokePermission' return type */
export interface IRevokePermissionResult {
  role: string;
}

/** 'RevokePermission' query type */
export interface IRevokePermissionQuery {
  params: IRevokePermissionParams;
  result: IRevokePermissionResult;
}

const revokePermissionIR: any = {"usedParamSet":{"role":true,"permission":true},"params":[{"name":"role","required":true,"transform":{"type":"scalar"},"locs":[{"a":37,"b":42}]},{"name":"permission","required":true,"transform":{"type":"scalar"},"locs":[{"a":61,"b":72}]}],"statement":"DELETE FROM rbac_grants WHERE role = :role! AND permission = :permission! RETURNING role"};

/**
 * Query generated from SQL:
 * ```
 * DELETE FROM rbac_grants WHERE role = :role! AND permission = :permission! RETURNING role
 * ```
 */
export const revokePermission = new PreparedQuery<IRevokePermissionParams,IRevokePermissionResult>(revokePermissionIR);


/** 'AssignRole' parameters type */
export interface IAssignRoleParams {
  assignedBy: string;
  resource: string;
  role: string;
  subject: string;
}

/** 'AssignRole' return type */
export interface IAssignRoleResult {
  assigned_at: Date;
  assigned_by: string;
  resource: string;
  role: string;
  subject: string;
}

/** 'AssignRole' query type */
export interface IAssignRoleQuery {
  params: IAssignRoleParams;
  result: IAssignRoleResult;
}

const assignRoleIR: any = {"usedParamSet":{"subject":true,"role":true,"resource":true,"assignedBy":true},"params":[{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":76,"b":84}]},{"name":"role","required":true,"transform":{"type":"scalar"},"locs":[{"a":87,"b":92}]},{"name":"resource","required":true,"transform":{"type":"scalar"},"locs":[{"a":95,"b":104}]},{"name":"assignedBy","required":true,"transform":{"type":"scalar"},"locs":[{"a":107,"b":118}]}],"statement":"INSERT INTO rbac_assignments (subject, role, resource, assigned_by)\nVALUES (:subject!, :role!, :resource!, :assignedBy!)\nON CONFLICT (subject, role, resource) DO NOTHING\nRETURNING subject, role, resource, assigned_at, assigned_by"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO rbac_assignments (subject, role, resource, assigned_by)
 * VALUES (:subject!, :role!, :resource!, :assignedBy!)
 * ON CONFLICT (subject, role, resource) DO NOTHING
 * RETURNING subject, role, resource, assigned_at, assigned_by
 * ```
 */
export const assignRole = new PreparedQuery<IAssignRoleParams,IAssignRoleResult>(assignRoleIR);


/** 'UnassignRole' parameters type */
export interface IUnassignRoleParams {
  resource: string;
  role: string;
  subject: string;
}

/** 'UnassignRole' return type */
export interface IUnassignRoleResult {
  assigned_at: Date;
  assigned_by: string;
  resource: string;
  role: string;
  subject: string;
}

/** 'UnassignRole' query type */
export interface IUnassignRoleQuery {
  params: IUnassignRoleParams;
  result: IUnassignRoleResult;
}

const unassignRoleIR: any = {"usedParamSet":{"subject":true,"role":true,"resource":true},"params":[{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":45,"b":53}]},{"name":"role","required":true,"transform":{"type":"scalar"},"locs":[{"a":66,"b":71}]},{"name":"resource","required":true,"transform":{"type":"scalar"},"locs":[{"a":88,"b":97}]}],"statement":"DELETE FROM rbac_assignments\nWHERE subject = :subject! AND role = :role! AND resource = :resource!\nRETURNING subject, role, resource, assigned_at, assigned_by"};

/**
 * Query generated from SQL:
 * ```
 * DELETE FROM rbac_assignments
 * WHERE subject = :subject! AND role = :role! AND resource = :resource!
 * RETURNING subject, role, resource, assigned_at, assigned_by
 * ```
 */
export const unassignRole = new PreparedQuery<IUnassignRoleParams,IUnassignRoleResult>(unassignRoleIR);


/** 'SubjectAssignments' parameters type */
export interface ISubjectAssignmentsParams {
  subject: string;
}

/** 'SubjectAssignments' return type */
export interface ISubjectAssignmentsResult {
  assigned_at: Date;
  assigned_by: string;
  resource: string;
  role: string;
  subject: string;
}

/** 'SubjectAssignments' query type */
export interface ISubjectAssignmentsQuery {
  params: ISubjectAssignmentsParams;
  result: ISubjectAssignmentsResult;
}

const subjectAssignmentsIR: any = {"usedParamSet":{"subject":true},"params":[{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":95,"b":103}]}],"statement":"SELECT subject, role, resource, assigned_at, assigned_by\nFROM rbac_assignments\nWHERE subject = :subject!\nORDER BY role, resource"};

/**
 * Query generated from SQL:
 * ```
 * SELECT subject, role, resource, assigned_at, assigned_by
 * FROM rbac_assignments
 * WHERE subject = :subject!
 * ORDER BY role, resource
 * ```
 */
export const subjectAssignments = new PreparedQuery<ISubjectAssignmentsParams,ISubjectAssignmentsResult>(subjectAssignmentsIR);


/** 'SubjectPermissions' parameters type */
export interface ISubjectPermissionsParams {
  subject: string;
}

/** 'SubjectPermissions' return type */
export interface ISubjectPermissionsResult {
  assigned_role: string;
  granted_by: string;
  permission: string;
  resource: string;
}

/** 'SubjectPermissions' query type */
export interface ISubjectPermissionsQuery {
  params: ISubjectPermissionsParams;
  result: ISubjectPermissionsResult;
}

const subjectPermissionsIR: any = {"usedParamSet":{"subject":true},"params":[{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":396,"b":404}]}],"statement":"-- Every permission a subject holds: through which assigned role, on which\n-- resource, and the role in that role's chain that grants it.\nSELECT DISTINCT ON (g.permission, s.resource, s.role) g.permission, s.resource, s.role AS assigned_role,\n  g.role AS granted_by\nFROM rbac_assignments s\nJOIN rbac_role_ancestors a ON a.role = s.role\nJOIN rbac_grants g ON g.role = a.ancestor\nWHERE s.subject = :subject!\nORDER BY g.permission, s.resource, s.role, a.distance"};

/**
 * Query generated from SQL:
 * ```
 * -- Every permission a subject holds: through which assigned role, on which
 * -- resource, and the role in that role's chain that grants it.
 * SELECT DISTINCT ON (g.permission, s.resource, s.role) g.permission, s.resource, s.role AS assigned_role,
 *   g.role AS granted_by
 * FROM rbac_assignments s
 * JOIN rbac_role_ancestors a ON a.role = s.role
 * JOIN rbac_grants g ON g.role = a.ancestor
 * WHERE s.subject = :subject!
 * ORDER BY g.permission, s.resource, s.role, a.distance
 * ```
 */
export const subjectPermissions = new PreparedQuery<ISubjectPermissionsParams,ISubjectPermissionsResult>(subjectPermissionsIR);


/** 'SnapshotRolePermissions' parameters type */
export type ISnapshotRolePermissionsParams = void;

/** 'SnapshotRolePermissions' return type */
export interface ISnapshotRolePermissionsResult {
  granted_by: string;
  permission: string;
  role: string;
}

/** 'SnapshotRolePermissions' query type */
export interface ISnapshotRolePermissionsQuery {
  params: ISnapshotRolePermissionsParams;
  result: ISnapshotRolePermissionsResult;
}

const snapshotRolePermissionsIR: any = {"usedParamSet":{},"params":[],"statement":"-- What a replica's snapshot holds per role, nearest granting role first.\nSELECT a.role, g.permission, g.role AS granted_by\nFROM rbac_role_ancestors a\nJOIN rbac_grants g ON g.role = a.ancestor\nORDER BY a.role, a.distance"};

/**
 * Query generated from SQL:
 * ```
 * -- What a replica's snapshot holds per role, nearest granting role first.
 * SELECT a.role, g.permission, g.role AS granted_by
 * FROM rbac_role_ancestors a
 * JOIN rbac_grants g ON g.role = a.ancestor
 * ORDER BY a.role, a.distance
 * ```
 */
export const snapshotRolePermissions = new PreparedQuery<ISnapshotRolePermissionsParams,ISnapshotRolePermissionsResult>(snapshotRolePermissionsIR);


/** 'SnapshotAssignments' parameters type */
export type ISnapshotAssignmentsParams = void;

/** 'SnapshotAssignments' return type */
export interface ISnapshotAssignmentsResult {
  resource: string;
  role: string;
  subject: string;
}

/** 'SnapshotAssignments' query type */
export interface ISnapshotAssignmentsQuery {
  params: ISnapshotAssignmentsParams;
  result: ISnapshotAssignmentsResult;
}

const snapshotAssignmentsIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT subject, role, resource FROM rbac_assignments"};

/**
 * Query generated from SQL:
 * ```
 * SELECT subject, role, resource FROM rbac_assignments
 * ```
 */
export const snapshotAssignments = new PreparedQuery<ISnapshotAssignmentsParams,ISnapshotAssignmentsResult>(snapshotAssignmentsIR);


/** 'CheckInDatabase' parameters type */
export interface ICheckInDatabaseParams {
  permissions: stringArray;
  resources: stringArray;
  subject: string;
}

/** 'CheckInDatabase' return type */
export interface ICheckInDatabaseResult {
  assigned_role: string;
  granted_by: string;
  item: string;
  version: string;
}

/** 'CheckInDatabase' query type */
export interface ICheckInDatabaseQuery {
  params: ICheckInDatabaseParams;
  result: ICheckInDatabaseResult;
}

const checkInDatabaseIR: any = {"usedParamSet":{"permissions":true,"resources":true,"subject":true},"params":[{"name":"permissions","required":true,"transform":{"type":"scalar"},"locs":[{"a":263,"b":275}]},{"name":"resources","required":true,"transform":{"type":"scalar"},"locs":[{"a":286,"b":296}]},{"name":"subject","required":true,"transform":{"type":"scalar"},"locs":[{"a":605,"b":613}]}],"statement":"-- Checks answered from the committed state rather than a snapshot, with the\n-- version that state has; one row per item, in order.\nSELECT v.version AS \"version!\", item.n AS \"item!\", granted.assigned_role, granted.granted_by\nFROM rbac_version v\nCROSS JOIN unnest(:permissions!::text[], :resources!::text[]) WITH ORDINALITY AS item (permission, resource, n)\nLEFT JOIN LATERAL (\n  SELECT s.role AS assigned_role, g.role AS granted_by\n  FROM rbac_assignments s\n  JOIN rbac_role_ancestors a ON a.role = s.role\n  JOIN rbac_grants g ON g.role = a.ancestor AND g.permission = item.permission\n  WHERE s.subject = :subject!\n    AND (s.resource = '' OR s.resource = item.resource OR starts_with(item.resource, s.resource || '/'))\n  ORDER BY a.distance\n  LIMIT 1\n) granted ON true\nORDER BY item.n"};

/**
 * Query generated from SQL:
 * ```
 * -- Checks answered from the committed state rather than a snapshot, with the
 * -- version that state has; one row per item, in order.
 * SELECT v.version AS "version!", item.n AS "item!", granted.assigned_role, granted.granted_by
 * FROM rbac_version v
 * CROSS JOIN unnest(:permissions!::text[], :resources!::text[]) WITH ORDINALITY AS item (permission, resource, n)
 * LEFT JOIN LATERAL (
 *   SELECT s.role AS assigned_role, g.role AS granted_by
 *   FROM rbac_assignments s
 *   JOIN rbac_role_ancestors a ON a.role = s.role
 *   JOIN rbac_grants g ON g.role = a.ancestor AND g.permission = item.permission
 *   WHERE s.subject = :subject!
 *     AND (s.resource = '' OR s.resource = item.resource OR starts_with(item.resource, s.resource || '/'))
 *   ORDER BY a.distance
 *   LIMIT 1
 * ) granted ON true
 * ORDER BY item.n
 * ```
 */
export const checkInDatabase = new PreparedQuery<ICheckInDatabaseParams,ICheckInDatabaseResult>(checkInDatabaseIR);


