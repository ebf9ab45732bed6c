/* @name BumpRbacVersion */
-- First in every RBAC write: see rbac_bump_version in sql/migrations/0008_rbac.sql.
SELECT rbac_bump_version() AS "version!";

/* @name RbacVersion */
SELECT version FROM rbac_version;

/* @name InsertPermission */
INSERT INTO rbac_permissions (name, description)
VALUES (:name!, :description!)
ON CONFLICT (name) DO NOTHING
RETURNING name, description, created_at;

/* @name FindPermission */
SELECT name FROM rbac_permissions WHERE name = :name!;

/* @name ListPermissions */
SELECT name, description, created_at
FROM rbac_permissions
WHERE name > :after!
ORDER BY name
LIMIT :limit!;

/* @name InsertRole */
-- The role and its own row in the closure; nothing when the name is taken.
WITH role AS (
  INSERT INTO rbac_roles (name, description)
  VALUES (:name!, :description!)
  ON CONFLICT (name) DO NOTHING
  RETURNING name
)
INSERT INTO rbac_role_ancestors (role, ancestor, distance)
SELECT name, name, 0 FROM role
RETURNING role;

/* @name SetRoleParent */
-- NULL when done, otherwise why the hierarchy refused it (cycle, depth).
SELECT rbac_set_parent(:role!, :parent, :maxDepth!) AS problem;

/* @name SetRoleDescription */
UPDATE rbac_roles SET description = :description!, updated_at = now() WHERE name = :name!;

/* @name FindRoles */
-- Roles with their own grants and how much depends on them.
SELECT r.name, r.description, r.parent, r.created_at, r.updated_at,
  array(SELECT g.permission FROM rbac_grants g WHERE g.role = r.name ORDER BY g.permission) AS "permissions!",
  (SELECT count(*) FROM rbac_roles c WHERE c.parent = r.name) AS "children!",
  (SELECT count(*) FROM rbac_assignments a WHERE a.role = r.name) AS "assignments!"
FROM rbac_roles r
WHERE r.name = ANY (:names!::text[]);

/* @name ListRoleNames */
SELECT name FROM rbac_roles WHERE name > :after! ORDER BY name LIMIT :limit!;

/* @name RoleEffectivePermissions */
-- Each permission the roles hold, from the nearest role in their chains that grants it.
SELECT DISTINCT ON (a.role, g.permission) a.role, g.permission, g.role AS granted_by
FROM rbac_role_ancestors a
JOIN rbac_grants g ON g.role = a.ancestor
WHERE a.role = ANY (:roles!::text[])
ORDER BY a.role, g.permission, a.distance;

/* @name RoleChildren */
SELECT name FROM rbac_roles WHERE parent = :role! ORDER BY name;

/* @name DeleteRole */
-- Grants, assignments and closure rows go with it (ON DELETE CASCADE).
DELETE FROM rbac_roles WHERE name = :role! RETURNING name;

/* @name GrantPermission */
INSERT INTO rbac_grants (role, permission)
VALUES (:role!, :permission!)
ON CONFLICT (role, permission) DO NOTHING
RETURNING role;

/* @name RevokePermission */
DELETE FROM rbac_grants WHERE role = :role! AND permission = :permission! RETURNING role;

/* @name AssignRole */
INSERT INTO rbac_assignments (subject, role, resource, assigned_by)
VALUES (:subject!, :role!, :resource!, :assignedBy!)
ON CONFLICT (subject, role, resource) DO NOTHING
RETURNING subject, role, resource, assigned_at, assigned_by;

/* @name UnassignRole */
DELETE FROM rbac_assignments
WHERE subject = :subject! AND role = :role! AND resource = :resource!
RETURNING subject, role, resource, assigned_at, assigned_by;

/* @name SubjectAssignments */
SELECT subject, role, resource, assigned_at, assigned_by
FROM rbac_assignments
WHERE subject = :subject!
ORDER BY role, resource;

/* @name SubjectPermissions */
-- Every permission a subject holds: through which assigned role, on which
-- resource, and the role in that role's chain that grants it.
SELECT DISTINCT ON (g.permission, s.resource, s.role) g.permission, s.resource, s.role AS assigned_role,
  g.role AS granted_by
FROM rbac_assignments s
JOIN rbac_role_ancestors a ON a.role = s.role
JOIN rbac_grants g ON g.role = a.ancestor
WHERE s.subject = :subject!
ORDER BY g.permission, s.resource, s.role, a.distance;

/* @name SnapshotRolePermissions */
-- What a replica's snapshot holds per role, nearest granting role first.
SELECT a.role, g.permission, g.role AS granted_by
FROM rbac_role_ancestors a
JOIN rbac_grants g ON g.role = a.ancestor
ORDER BY a.role, a.distance;

/* @name SnapshotAssignments */
SELECT subject, role, resource FROM rbac_assignments;

/* @name CheckInDatabase */
-- Checks answered from the committed state rather than a snapshot, with the
-- version that state has; one row per item, in order.
SELECT v.version AS "version!", item.n AS "item!", granted.assigned_role, granted.granted_by
FROM rbac_version v
CROSS JOIN unnest(:permissions!::text[], :resources!::text[]) WITH ORDINALITY AS item (permission, resource, n)
LEFT JOIN LATERAL (
  SELECT s.role AS assigned_role, g.role AS granted_by
  FROM rbac_assignments s
  JOIN rbac_role_ancestors a ON a.role = s.role
  JOIN rbac_grants g ON g.role = a.ancestor AND g.permission = item.permission
  WHERE s.subject = :subject!
    AND (s.resource = '' OR s.resource = item.resource OR starts_with(item.resource, s.resource || '/'))
  ORDER BY a.distance
  LIMIT 1
) granted ON true
ORDER BY item.n;
