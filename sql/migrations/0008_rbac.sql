-- Up Migration
-- Role-based access control. Permissions are named resource:action. A role
-- inherits every permission of its parent, its parent's parent and so on.
-- Subjects ("user:<jwt sub>", "service_token:<name>") are assigned roles,
-- everywhere or on one resource and what lies under it.

-- Bumped by every RBAC write, in the same transaction, with a NOTIFY: replicas
-- reload their snapshot when it moves. Its row lock also queues RBAC writers
-- one behind another, so hierarchy checks never race.
CREATE TABLE rbac_version (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version bigint NOT NULL
);
INSERT INTO rbac_version VALUES (true, 1);

CREATE TABLE rbac_permissions (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}:[a-z][a-z0-9_.-]{0,62}$'),
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rbac_roles (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  description text NOT NULL DEFAULT '',
  parent text REFERENCES rbac_roles (name),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rbac_roles_parent_idx ON rbac_roles (parent);

-- The closure of the parent relation: every role's ancestors, itself included
-- at distance 0. Kept by rbac_set_parent in the transaction of each edit.
CREATE TABLE rbac_role_ancestors (
  role text NOT NULL REFERENCES rbac_roles (name) ON DELETE CASCADE,
  ancestor text NOT NULL REFERENCES rbac_roles (name) ON DELETE CASCADE,
  distance integer NOT NULL CHECK (distance >= 0),
  PRIMARY KEY (role, ancestor)
);
CREATE INDEX rbac_role_ancestors_ancestor_idx ON rbac_role_ancestors (ancestor);

CREATE TABLE rbac_grants (
  role text NOT NULL REFERENCES rbac_roles (name) ON DELETE CASCADE,
  permission text NOT NULL REFERENCES rbac_permissions (name),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (role, permission)
);
CREATE INDEX rbac_grants_permission_idx ON rbac_grants (permission);

CREATE TABLE rbac_assignments (
  subject text NOT NULL CHECK (subject ~ '^(user|service_token):.'),
  role text NOT NULL REFERENCES rbac_roles (name) ON DELETE CASCADE,
  -- Empty: everywhere. Otherwise the resource and everything under it ("<resource>/...").
  resource text NOT NULL DEFAULT '',
  assigned_at timestamptz NOT NULL DEFAULT now(),
  assigned_by text NOT NULL,
  PRIMARY KEY (subject, role, resource)
);
CREATE INDEX rbac_assignments_role_idx ON rbac_assignments (role);

-- The first statement of every RBAC write: locks the version row (so writers
-- run one at a time), moves the version and tells every replica at commit.
CREATE FUNCTION rbac_bump_version() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  bumped bigint;
BEGIN
  UPDATE rbac_version SET version = version + 1 RETURNING version INTO bumped;
  PERFORM pg_notify('warden_rbac', bumped::text);
  RETURN bumped;
END
$$;

-- Makes p_parent (or no role) the parent of p_role and rewrites the closure
-- of p_role's subtree. Returns why it refused, or NULL when done.
CREATE FUNCTION rbac_set_parent(p_role text, p_parent text, p_max_depth integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  parent_depth integer := 0;
  subtree_height integer;
BEGIN
  IF p_parent IS NOT NULL THEN
    IF EXISTS (SELECT 1 FROM rbac_role_ancestors WHERE role = p_parent AND ancestor = p_role) THEN
      RETURN format('role "%s" inherits from "%s", so it cannot be its parent (cycle)', p_parent, p_role);
    END IF;
    SELECT count(*) INTO parent_depth FROM rbac_role_ancestors WHERE role = p_parent;
  END IF;
  SELECT coalesce(max(distance), 0) INTO subtree_height FROM rbac_role_ancestors WHERE ancestor = p_role;
  IF parent_depth + subtree_height + 1 > p_max_depth THEN
    RETURN format('a chain of inheritance would hold %s roles; at most %s are allowed',
      parent_depth + subtree_height + 1, p_max_depth);
  END IF;

  DELETE FROM rbac_role_ancestors
  WHERE role IN (SELECT role FROM rbac_role_ancestors WHERE ancestor = p_role)
    AND ancestor IN (SELECT ancestor FROM rbac_role_ancestors WHERE role = p_role AND ancestor <> p_role);
  INSERT INTO rbac_role_ancestors (role, ancestor, distance)
  SELECT below.role, above.ancestor, below.distance + above.distance + 1
  FROM rbac_role_ancestors below, rbac_role_ancestors above
  WHERE below.ancestor = p_role AND above.role = p_parent;
  UPDATE rbac_roles SET parent = p_parent, updated_at = now() WHERE name = p_role;
  RETURN NULL;
END
$$;

-- Seed catalogue: the permissions and roles of the system Warden replaces.
INSERT INTO rbac_permissions (name, description) VALUES
  ('tokens:create', 'Create service tokens'),
  ('tokens:read', 'Read service tokens'),
  ('tokens:update', 'Update service tokens'),
  ('tokens:delete', 'Revoke service tokens'),
  ('tokens:rotate', 'Rotate service tokens'),
  ('users:read', 'Read users'),
  ('users:update', 'Update users'),
  ('users:delete', 'Delete users'),
  ('roles:create', 'Create roles'),
  ('roles:read', 'Read roles'),
  ('roles:update', 'Update roles'),
  ('roles:delete', 'Delete roles'),
  ('roles:assign', 'Assign roles to subjects'),
  ('permissions:create', 'Create permissions'),
  ('permissions:read', 'Read permissions'),
  ('permissions:update', 'Update permissions'),
  ('permissions:delete', 'Delete permissions'),
  ('system:admin', 'Administer the system'),
  ('system:status', 'Read system status'),
  ('system:audit', 'Read the audit trail'),
  ('system:monitor', 'Monitor the system'),
  ('api:access', 'Call the API'),
  ('api:admin', 'Administer the API');

INSERT INTO rbac_roles (name, description) VALUES
  ('readonly_user', 'Reads everything, changes nothing'),
  ('api_user', 'Calls the API'),
  ('token_manager', 'Manages service tokens'),
  ('user_manager', 'Manages users and their roles'),
  ('admin', 'Administers users, roles, tokens and permissions'),
  ('super_admin', 'Everything');
INSERT INTO rbac_role_ancestors (role, ancestor, distance) SELECT name, name, 0 FROM rbac_roles;
SELECT rbac_set_parent(role, parent, 10)
FROM (VALUES
  ('api_user', 'readonly_user'),
  ('token_manager', 'api_user'),
  ('user_manager', 'api_user'),
  ('admin', 'token_manager'),
  ('super_admin', 'admin')
) AS seed (role, parent);

INSERT INTO rbac_grants (role, permission)
SELECT role, permission
FROM (VALUES
  ('readonly_user', ARRAY['tokens:read', 'users:read', 'roles:read', 'permissions:read', 'system:status']),
  ('api_user', ARRAY['api:access']),
  ('token_manager', ARRAY['tokens:create', 'tokens:update', 'tokens:delete', 'tokens:rotate']),
  ('user_manager', ARRAY['users:update', 'users:delete', 'roles:assign']),
  ('admin', ARRAY[
    'users:update', 'users:delete', 'roles:create', 'roles:update', 'roles:delete', 'roles:assign',
    'permissions:create', 'permissions:update', 'permissions:delete', 'system:audit', 'system:monitor', 'api:admin']),
  ('super_admin', ARRAY['system:admin'])
) AS seed (role, permissions), unnest(permissions) AS permission;

-- Authorization decisions and RBAC changes are recorded like every other event.
ALTER TYPE event_type ADD VALUE 'ACCESS_GRANTED';
ALTER TYPE event_type ADD VALUE 'ACCESS_DENIED';
ALTER TYPE event_type ADD VALUE 'AUTHORIZATION_CHANGED';
ALTER TYPE failure_reason ADD VALUE 'PERMISSION_DENIED';
ALTER TYPE failure_reason ADD VALUE 'AUTHORIZATION_UNAVAILABLE';
