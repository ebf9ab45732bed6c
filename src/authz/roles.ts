import {
  assignRole,
  bumpRbacVersion,
  deleteRole,
  findPermission,
  findRoles,
  grantPermission,
  insertPermission,
  insertRole,
  listPermissions,
  listRoleNames,
  revokePermission,
  roleChildren,
  roleEffectivePermissions,
  setRoleDescription,
  setRoleParent,
  subjectAssignments,
  subjectPermissions,
  unassignRole,
  type IAssignRoleResult,
} from "../../sql/queries/rbac.queries.js";
import { recordAudit, type Actor, type AuditEntry } from "../audit/audit.js";
import { withDatabaseErrors } from "../db/errors.js";
import { decodePageToken, encodePageToken } from "../db/page-token.js";
import { withTransaction, type Db, type Pool, type PoolClient } from "../db/pool.js";
import { TOKEN_LIMITS } from "../tokens/tokens.js";
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors.js";
import { toEventRecord } from "../events/event.js";
import { insertEventRecords } from "../events/insert.js";
import { EventType, Outcome, PrincipalKind, Severity, type EventPrincipal } from "../gen/warden/v1/event.js";
import {
  Assignment,
  type ListSubjectPermissionsResponse,
  type Permission,
  type Role,
} from "../gen/warden/v1/role_service.js";

export const RBAC_LIMITS = {
  role: /^[a-z][a-z0-9_.-]{0,63}$/,
  permission: /^[a-z][a-z0-9_.-]{0,62}:[a-z][a-z0-9_.-]{0,62}$/,
  /** A person's or a workload's subject, as long as the event's principal.subject may be (and printable). */
  userSubject: /^(user|workload):.{1,256}$/s,
  resource: 256,
  description: 512,
  /** Roles in one chain of inheritance, the role itself included. */
  maxDepth: 10,
  pageSize: { default: 100, max: 1000 },
} as const;

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function roleName(name: string, field: string): string {
  if (!RBAC_LIMITS.role.test(name)) {
    throw new InvalidArgumentError(field, "1 to 64 of a-z, 0-9, '.', '_' or '-', starting with a letter");
  }
  return name;
}

export function permissionName(name: string, field: string): string {
  if (!RBAC_LIMITS.permission.test(name)) {
    throw new InvalidArgumentError(field, 'must be resource:action in lower case, e.g. "orders:read"');
  }
  return name;
}

function description(text: string): string {
  if (text.length > RBAC_LIMITS.description) {
    throw new InvalidArgumentError("description", `longer than ${RBAC_LIMITS.description} characters`);
  }
  if (text.includes("\u0000")) throw new InvalidArgumentError("description", "contains a NUL character");
  return text;
}

export function subjectName(subject: string, field = "subject"): string {
  const tokenName = subject.startsWith("service_token:") ? subject.slice("service_token:".length) : undefined;
  const valid =
    tokenName === undefined
      ? RBAC_LIMITS.userSubject.test(subject) && !hasControlCharacter(subject)
      : TOKEN_LIMITS.name.test(tokenName);
  if (!valid) {
    throw new InvalidArgumentError(
      field,
      'must be "user:<JWT subject>", "workload:<workload subject>" or "service_token:<token name>"',
    );
  }
  return subject;
}

/**
 * Why `resource` is not a resource name, or undefined when it is: at most 256
 * printable characters in `/`-separated segments, none of them empty, "." or
 * "..", so that "projects/42/../43" cannot pass for something under "projects/42".
 */
export function resourceProblem(resource: string): string | undefined {
  if (resource === "") return undefined;
  if (resource.length > RBAC_LIMITS.resource) return `longer than ${RBAC_LIMITS.resource} characters`;
  if (hasControlCharacter(resource)) return "contains a control character";
  if (resource.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
    return "segments separated by '/' must not be empty, '.' or '..'";
  }
  return undefined;
}

export function resourceName(resource: string, field = "resource"): string {
  const problem = resourceProblem(resource);
  if (problem !== undefined) throw new InvalidArgumentError(field, problem);
  return resource;
}

/** The name a List page token holds, checked like the names it stands for. */
function pageAfter(token: string, rpc: string, pattern: RegExp): string {
  if (token === "") return "";
  const [after] = decodePageToken(token, 1, rpc);
  if (!pattern.test(after!)) throw new InvalidArgumentError("page_token", `not a ${rpc} page token`);
  return after!;
}

function pageSize(requested: number): number {
  if (requested > RBAC_LIMITS.pageSize.max) {
    throw new InvalidArgumentError("page_size", `at most ${RBAC_LIMITS.pageSize.max}`);
  }
  return requested === 0 ? RBAC_LIMITS.pageSize.default : requested;
}

/** The principal an event about `subject` names. */
function eventPrincipal(subject: string): EventPrincipal {
  const [kind, ...rest] = subject.split(":");
  const id = rest.join(":");
  return kind === "service_token"
    ? { subject: "", kind: PrincipalKind.SERVICE_TOKEN, email: "", serviceTokenName: id, tokenId: "" }
    : { subject: id, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" };
}

function toAssignment(row: IAssignRoleResult): Assignment {
  return {
    subject: row.subject,
    role: row.role,
    resource: row.resource,
    assignedAt: row.assigned_at,
    assignedBy: row.assigned_by,
  };
}

type Versioned<T> = T & { version: number };

/**
 * RBAC administration. Each change is one transaction that first moves the
 * RBAC version (which queues concurrent writers behind its row lock, so
 * hierarchy checks see every committed edit), then writes the change, its
 * audit record and its AUTHORIZATION_CHANGED event. Replicas are told at
 * commit.
 */
export class Roles {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => Date = () => new Date(),
    /** Told once a change commits, so this replica's snapshot reloads without waiting for the notification. */
    private readonly changed: () => void = () => undefined,
  ) {}

  async createPermission(name: string, text: string, actor: Actor): Promise<Versioned<{ permission: Permission }>> {
    permissionName(name, "name");
    description(text);
    return this.change(actor, async (client, record) => {
      const [row] = await insertPermission.run({ name, description: text }, client);
      if (row === undefined) throw new AlreadyExistsError("name", `a permission named "${name}" already exists`);
      const permission = { name: row.name, description: row.description, createdAt: row.created_at };
      await record({ action: "permission.create", target: `permission:${name}`, after: permission });
      return { permission };
    });
  }

  /** Reads take the caller's `db` (db.withSignal), so they stop when the call does. */
  async listPermissions(
    request: { pageSize: number; pageToken: string },
    db: Db = this.pool,
  ): Promise<{ permissions: Permission[]; nextPageToken: string }> {
    const limit = pageSize(request.pageSize);
    const after = pageAfter(request.pageToken, "ListPermissions", RBAC_LIMITS.permission);
    const rows = await withDatabaseErrors(() => listPermissions.run({ after, limit: limit + 1 }, db));
    const page = rows.slice(0, limit);
    return {
      permissions: page.map((row) => ({ name: row.name, description: row.description, createdAt: row.created_at })),
      nextPageToken: rows.length > limit ? encodePageToken([page.at(-1)!.name]) : "",
    };
  }

  async createRole(
    input: { name: string; description: string; parent: string; permissions: string[] },
    actor: Actor,
  ): Promise<Versioned<{ role: Role }>> {
    roleName(input.name, "name");
    description(input.description);
    if (input.parent !== "") roleName(input.parent, "parent");
    input.permissions.forEach((permission, index) => permissionName(permission, `permissions[${index}]`));
    return this.change(actor, async (client, record) => {
      const [row] = await insertRole.run({ name: input.name, description: input.description }, client);
      if (row === undefined) throw new AlreadyExistsError("name", `a role named "${input.name}" already exists`);
      if (input.parent !== "") await this.setParent(client, input.name, input.parent);
      for (const [index, permission] of input.permissions.entries()) {
        if (input.permissions.indexOf(permission) !== index) continue;
        await this.requirePermission(client, permission, `permissions[${index}]`);
        await grantPermission.run({ role: input.name, permission }, client);
      }
      const role = await this.role(client, input.name);
      await record({ action: "role.create", target: `role:${input.name}`, after: role });
      return { role };
    });
  }

  async getRole(name: string, db: Db = this.pool): Promise<Role> {
    roleName(name, "name");
    return withDatabaseErrors(() => this.role(db, name));
  }

  async listRoles(
    request: { pageSize: number; pageToken: string },
    db: Db = this.pool,
  ): Promise<{ roles: Role[]; nextPageToken: string }> {
    const limit = pageSize(request.pageSize);
    const after = pageAfter(request.pageToken, "ListRoles", RBAC_LIMITS.role);
    return withDatabaseErrors(async () => {
      const names = (await listRoleNames.run({ after, limit: limit + 1 }, db)).map((row) => row.name);
      const page = names.slice(0, limit);
      return {
        roles: await this.roles(db, page),
        nextPageToken: names.length > limit ? encodePageToken([page.at(-1)!]) : "",
      };
    });
  }

  async updateRole(
    input: { name: string; description: string | undefined; parent: string | undefined },
    actor: Actor,
  ): Promise<Versioned<{ role: Role }>> {
    roleName(input.name, "name");
    if (input.description !== undefined) description(input.description);
    if (input.parent !== undefined && input.parent !== "") roleName(input.parent, "parent");
    return this.change(actor, async (client, record) => {
      const before = await this.role(client, input.name);
      if (input.description !== undefined) {
        await setRoleDescription.run({ name: input.name, description: input.description }, client);
      }
      if (input.parent !== undefined && input.parent !== before.parent) {
        await this.setParent(client, input.name, input.parent === "" ? null : input.parent);
      }
      const role = await this.role(client, input.name);
      await record({ action: "role.update", target: `role:${input.name}`, before, after: role });
      return { role };
    });
  }

  async deleteRole(
    name: string,
    force: boolean,
    actor: Actor,
  ): Promise<Versioned<{ reparentedChildren: string[]; removedAssignments: number }>> {
    roleName(name, "name");
    return this.change(actor, async (client, record) => {
      const before = await this.role(client, name);
      const children = (await roleChildren.run({ role: name }, client)).map((row) => row.name);
      if (!force && (children.length > 0 || before.assignmentCount > 0)) {
        throw new FailedPreconditionError(
          `role "${name}" has ${children.length} children and ${before.assignmentCount} assignments; set force to delete it`,
        );
      }
      for (const child of children) await this.setParent(client, child, before.parent === "" ? null : before.parent);
      await deleteRole.run({ role: name }, client);
      await record({ action: "role.delete", target: `role:${name}`, before });
      return { reparentedChildren: children, removedAssignments: before.assignmentCount };
    });
  }

  async grantPermission(role: string, permission: string, actor: Actor): Promise<Versioned<{ role: Role }>> {
    roleName(role, "role");
    permissionName(permission, "permission");
    return this.change(actor, async (client, record) => {
      const before = await this.role(client, role);
      await this.requirePermission(client, permission, "permission");
      const [granted] = await grantPermission.run({ role, permission }, client);
      if (granted === undefined) {
        throw new AlreadyExistsError("permission", `role "${role}" already grants "${permission}"`);
      }
      const after = await this.role(client, role);
      await record({ action: "role.grant", target: `role:${role}`, before, after });
      return { role: after };
    });
  }

  async revokePermission(role: string, permission: string, actor: Actor): Promise<Versioned<{ role: Role }>> {
    roleName(role, "role");
    permissionName(permission, "permission");
    return this.change(actor, async (client, record) => {
      const before = await this.role(client, role);
      const [revoked] = await revokePermission.run({ role, permission }, client);
      if (revoked === undefined) throw new NotFoundError(`role "${role}" does not grant "${permission}"`);
      const after = await this.role(client, role);
      await record({ action: "role.revoke", target: `role:${role}`, before, after });
      return { role: after };
    });
  }

  async assignRole(
    input: { subject: string; role: string; resource: string },
    actor: Actor,
  ): Promise<Versioned<{ assignment: Assignment }>> {
    subjectName(input.subject);
    roleName(input.role, "role");
    resourceName(input.resource);
    return this.change(actor, async (client, record) => {
      await this.role(client, input.role);
      const [row] = await assignRole.run({ ...input, assignedBy: actor.principal }, client);
      if (row === undefined) {
        throw new AlreadyExistsError("role", `${input.subject} already holds "${input.role}"${on(input.resource)}`);
      }
      const assignment = toAssignment(row);
      await record(
        { action: "role.assign", target: input.subject, after: Assignment.toJSON(assignment) },
        input.subject,
      );
      return { assignment };
    });
  }

  async unassignRole(
    input: { subject: string; role: string; resource: string },
    actor: Actor,
  ): Promise<{ version: number }> {
    subjectName(input.subject);
    roleName(input.role, "role");
    resourceName(input.resource);
    return this.change(actor, async (client, record) => {
      const [row] = await unassignRole.run(input, client);
      if (row === undefined) {
        throw new NotFoundError(`${input.subject} does not hold "${input.role}"${on(input.resource)}`);
      }
      await record(
        { action: "role.unassign", target: input.subject, before: Assignment.toJSON(toAssignment(row)) },
        input.subject,
      );
      return {};
    });
  }

  async subjectPermissions(subject: string, db: Db = this.pool): Promise<ListSubjectPermissionsResponse> {
    subjectName(subject);
    return withDatabaseErrors(async () => ({
      assignments: (await subjectAssignments.run({ subject }, db)).map(toAssignment),
      permissions: (await subjectPermissions.run({ subject }, db)).map((row) => ({
        permission: row.permission,
        resource: row.resource,
        assignedRole: row.assigned_role,
        grantedBy: row.granted_by,
      })),
    }));
  }

  private async setParent(client: PoolClient, role: string, parent: string | null): Promise<void> {
    if (parent !== null && (await findRoles.run({ names: [parent] }, client)).length === 0) {
      throw new InvalidArgumentError("parent", `no role named "${parent}"`);
    }
    const [result] = await setRoleParent.run({ role, parent, maxDepth: RBAC_LIMITS.maxDepth }, client);
    if (result?.problem != null) throw new InvalidArgumentError("parent", result.problem);
  }

  private async requirePermission(db: Db, permission: string, field: string): Promise<void> {
    if ((await findPermission.run({ name: permission }, db)).length === 0) {
      if (field === "permission") throw new NotFoundError(`no permission named "${permission}"`);
      throw new InvalidArgumentError(field, `no permission named "${permission}"`);
    }
  }

  private async role(db: Db, name: string): Promise<Role> {
    const [role] = await this.roles(db, [name]);
    if (role === undefined) throw new NotFoundError(`no role named "${name}"`);
    return role;
  }

  private async roles(db: Db, names: string[]): Promise<Role[]> {
    if (names.length === 0) return [];
    const rows = await findRoles.run({ names }, db);
    const effective = await roleEffectivePermissions.run({ roles: names }, db);
    const byName = new Map(rows.map((row) => [row.name, row]));
    return names.flatMap((name) => {
      const row = byName.get(name);
      if (row === undefined) return [];
      return [
        {
          name: row.name,
          description: row.description,
          parent: row.parent ?? "",
          permissions: row.permissions,
          effectivePermissions: effective
            .filter((grant) => grant.role === name)
            .map((grant) => ({ permission: grant.permission, grantedBy: grant.granted_by })),
          childCount: Number(row.children),
          assignmentCount: Number(row.assignments),
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        },
      ];
    });
  }

  /**
   * Runs one RBAC change: moves the version first, hands `work` a recorder for
   * its audit record and event, and returns the version the change produced.
   */
  private async change<T>(
    actor: Actor,
    work: (client: PoolClient, record: (entry: AuditEntry, subject?: string) => Promise<void>) => Promise<T>,
  ): Promise<Versioned<T>> {
    const result = await withDatabaseErrors(() =>
      withTransaction(this.pool, async (client) => {
        const [bumped] = await bumpRbacVersion.run(undefined, client);
        const version = Number(bumped!.version);
        const record = async (entry: AuditEntry, subject?: string) => {
          await recordAudit(client, actor, entry);
          const now = this.now();
          await insertEventRecords(client, [
            toEventRecord(
              {
                eventId: "",
                occurredAt: now,
                receivedAt: undefined,
                identityProvider: "",
                type: EventType.AUTHORIZATION_CHANGED,
                severity: Severity.INFO,
                outcome: Outcome.SUCCESS,
                principal: subject === undefined ? undefined : eventPrincipal(subject),
                client: undefined,
                sourceService: "warden",
                failureReason: 0,
                riskScore: 0,
                riskSignals: [],
                details: {
                  actor: actor.principal,
                  action: entry.action,
                  target: entry.target,
                  rbac_version: String(version),
                },
              },
              "event",
              now,
            ),
          ]);
        };
        return { ...(await work(client, record)), version };
      }),
    );
    this.changed();
    return result;
  }
}

function on(resource: string): string {
  return resource === "" ? "" : ` on "${resource}"`;
}
