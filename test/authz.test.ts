import { Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Environment } from "../src/config.js";
import { migrate } from "../src/db/migrate.js";
import { AccessReason, CheckBatchRequest, CheckRequest } from "../src/gen/warden/v1/access_service.js";
import { PrincipalKind, type ClientContext } from "../src/gen/warden/v1/event.js";
import {
  AssignRoleRequest,
  CreateRoleRequest,
  DeleteRoleRequest,
  GrantPermissionRequest,
  UnassignRoleRequest,
  UpdateRoleRequest,
} from "../src/gen/warden/v1/role_service.js";
import { pino } from "pino";
import { createTestDatabase } from "./support/database.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import {
  accessClient,
  bearer,
  callError,
  createTokenWithCli,
  eventually,
  roleClient,
  startReplica,
  startTestWarden,
  startTestWardenWithIdentityProvider,
  type AccessClient,
  type RoleClient,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

const check = (
  access: AccessClient,
  credential: string,
  permission: string,
  extra: Partial<Omit<CheckRequest, "client">> & { client?: Partial<ClientContext> } = {},
) =>
  access.check(CheckRequest.fromPartial({ credential, permission, ...extra })).then((response) => response.decision!);

describe("RBAC and Check", () => {
  let t: TestWardenWithIdentityProvider;
  let roles: RoleClient;
  let access: AccessClient;
  let admin: Metadata;
  let reader: Metadata;
  let nextRole = 0;
  /** A fresh role name, so tests do not depend on each other's roles. */
  const roleName = (prefix: string) => `${prefix}-${(nextRole += 1)}`;
  const jwtFor = (sub: string, scope = "") => t.sign({ sub, ...(scope === "" ? {} : { scope }) });
  const create = (name: string, parent = "", permissions: string[] = []) =>
    roles.createRole(CreateRoleRequest.fromPartial({ name, parent, permissions }), { metadata: admin });
  const assign = (subject: string, role: string, resource = "") =>
    roles.assignRole(AssignRoleRequest.fromPartial({ subject, role, resource }), { metadata: admin });
  const setParent = (name: string, parent: string) =>
    roles.updateRole(UpdateRoleRequest.fromPartial({ name, parent }), { metadata: admin });

  beforeAll(async () => {
    t = await startTestWardenWithIdentityProvider();
    const address = `127.0.0.1:${t.warden.grpcPort}`;
    roles = roleClient(address);
    access = accessClient(address);
    admin = bearer(await createTokenWithCli(t.warden.databaseUrl, "rbac-admin", "roles:read,roles:write,access:check"));
    reader = bearer(await createTokenWithCli(t.warden.databaseUrl, "rbac-reader", "roles:read"));
  });
  afterAll(async () => {
    roles.close();
    access.close();
    await t.stop();
  });

  it("seeds the replaced system's roles, each inheriting its parent's grants", async () => {
    const { role } = await roles.getRole({ name: "super_admin" }, { metadata: reader });
    const grantedBy = Object.fromEntries(role!.effectivePermissions.map((p) => [p.permission, p.grantedBy]));
    expect(role!.parent).toBe("admin");
    expect(role!.permissions).toEqual(["system:admin"]);
    expect(grantedBy).toMatchObject({
      "system:admin": "super_admin",
      "roles:create": "admin",
      "tokens:rotate": "token_manager",
      "api:access": "api_user",
      "tokens:read": "readonly_user",
    });
    expect(role!.effectivePermissions).toHaveLength(23);
    const names = (await roles.listRoles({ pageSize: 0, pageToken: "" }, { metadata: reader })).roles.map(
      (r) => r.name,
    );
    expect(names).toEqual(
      expect.arrayContaining(["super_admin", "admin", "user_manager", "token_manager", "api_user", "readonly_user"]),
    );
  });

  it("decides from inherited grants and names the role each comes from", async () => {
    const { version } = await assign("user:alice", "token_manager");
    const alice = await jwtFor("alice");
    const rotate = await check(access, alice, "tokens:rotate", { minVersion: version });
    expect(rotate).toMatchObject({
      allowed: true,
      reason: AccessReason.GRANTED_BY_ROLE,
      assignedRole: "token_manager",
      grantedBy: "token_manager",
    });
    expect(rotate.version).toBeGreaterThanOrEqual(version);
    expect(await check(access, alice, "tokens:read")).toMatchObject({ allowed: true, grantedBy: "readonly_user" });
    expect(await check(access, alice, "api:access")).toMatchObject({ allowed: true, grantedBy: "api_user" });
    expect(await check(access, alice, "roles:create")).toMatchObject({
      allowed: false,
      reason: AccessReason.NO_PERMISSION,
    });

    const listed = await roles.listSubjectPermissions({ subject: "user:alice" }, { metadata: reader });
    expect(listed.assignments.map((a) => a.role)).toEqual(["token_manager"]);
    expect(listed.permissions).toContainEqual({
      permission: "tokens:read",
      resource: "",
      assignedRole: "token_manager",
      grantedBy: "readonly_user",
    });
  });

  it("lets a JWT's scopes grant the permission of the same name, and refuses bad credentials", async () => {
    const scoped = await check(access, await jwtFor("scoped-user", "orders:read"), "orders:read");
    expect(scoped).toMatchObject({ allowed: true, reason: AccessReason.GRANTED_BY_SCOPE });
    expect(await check(access, await jwtFor("scoped-user", "orders:read"), "orders:write")).toMatchObject({
      allowed: false,
      reason: AccessReason.NO_PERMISSION,
    });
    const expired = await t.sign({ sub: "late", exp: Math.floor(Date.now() / 1000) - 60 });
    const refused = await access.check(CheckRequest.fromPartial({ credential: expired, permission: "api:access" }));
    expect(refused.principal).toBeUndefined();
    expect(refused.decision).toMatchObject({ allowed: false, reason: AccessReason.UNAUTHENTICATED, failureReason: 3 });
  });

  it("applies a role assigned on a resource to that resource and what lies under it only", async () => {
    const { version } = await assign("user:bob", "api_user", "projects/42");
    const bob = await jwtFor("bob");
    const on = (resource: string) => check(access, bob, "api:access", { resource, minVersion: version });
    expect((await on("projects/42")).allowed).toBe(true);
    expect((await on("projects/42/builds/7")).allowed).toBe(true);
    expect((await on("projects/421")).allowed).toBe(false);
    expect((await on("")).allowed).toBe(false);
  });

  it("answers CheckBatch item by item at one version, for a principal the caller vouches for", async () => {
    const { version } = await assign("service_token:billing", "readonly_user");
    const principal = { kind: PrincipalKind.SERVICE_TOKEN, serviceTokenName: "billing", scopes: ["custom:thing"] };
    const batch = await access.checkBatch(
      CheckBatchRequest.fromPartial({
        principal,
        minVersion: version,
        items: [{ permission: "tokens:read" }, { permission: "tokens:create" }, { permission: "custom:thing" }],
      }),
      { metadata: admin },
    );
    expect(batch.decisions.map((d) => [d.allowed, d.reason])).toEqual([
      [true, AccessReason.GRANTED_BY_ROLE],
      [false, AccessReason.NO_PERMISSION],
      [true, AccessReason.GRANTED_BY_SCOPE],
    ]);
    expect(new Set(batch.decisions.map((d) => d.version)).size).toBe(1);

    const denied = await callError(
      access.checkBatch(CheckBatchRequest.fromPartial({ principal, items: [{ permission: "tokens:read" }] }), {
        metadata: reader,
      }),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toContain("access:check");
    const unauthenticated = await callError(
      access.check(CheckRequest.fromPartial({ principal, permission: "tokens:read" })),
    );
    expect(unauthenticated.code).toBe(status.UNAUTHENTICATED);
    const tooMany = await callError(
      access.checkBatch(
        CheckBatchRequest.fromPartial({ principal, items: Array.from({ length: 101 }, () => ({ permission: "a:b" })) }),
        { metadata: admin },
      ),
    );
    expect([tooMany.code, tooMany.details]).toEqual([status.INVALID_ARGUMENT, "items: 1 to 100 items"]);
    // Without a credential, the answer says so before anything about the request.
    const tooManyAnonymous = await callError(
      access.checkBatch(
        CheckBatchRequest.fromPartial({ principal, items: Array.from({ length: 101 }, () => ({ permission: "a:b" })) }),
      ),
    );
    expect(tooManyAnonymous.code).toBe(status.UNAUTHENTICATED);
    const longSubject = await callError(
      access.check(
        CheckRequest.fromPartial({
          principal: { kind: PrincipalKind.USER, subject: "u".repeat(300) },
          permission: "a:b",
        }),
        { metadata: admin },
      ),
    );
    expect([longSubject.code, longSubject.details.split(":")[0]]).toEqual([
      status.INVALID_ARGUMENT,
      "principal.subject",
    ]);
    const badItem = await callError(
      access.checkBatch(
        CheckBatchRequest.fromPartial({ principal, items: [{ permission: "a:b" }, { permission: "nope" }] }),
        {
          metadata: admin,
        },
      ),
    );
    expect([badItem.code, badItem.details.split(":")[0]]).toEqual([status.INVALID_ARGUMENT, "items[1].permission"]);
  });

  it("refuses cycles and chains longer than 10 roles", async () => {
    const a = roleName("cyc");
    const b = roleName("cyc");
    await create(a);
    await create(b, a);
    const cycle = await callError(setParent(a, b));
    expect([cycle.code, cycle.details]).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/^parent: .*cycle/)]);
    expect((await callError(setParent(a, a))).code).toBe(status.INVALID_ARGUMENT);

    const chain = Array.from({ length: 10 }, () => roleName("deep"));
    for (const [index, name] of chain.entries()) await create(name, index === 0 ? "" : chain[index - 1]);
    const eleventh = roleName("deep");
    const tooDeep = await callError(create(eleventh, chain[9]));
    expect([tooDeep.code, tooDeep.details]).toEqual([
      status.INVALID_ARGUMENT,
      "parent: a chain of inheritance would hold 11 roles; at most 10 are allowed",
    ]);
    // Nothing half-created: the refused role does not exist.
    expect((await callError(roles.getRole({ name: eleventh }, { metadata: reader }))).code).toBe(status.NOT_FOUND);
  });

  it("refuses a cycle or an over-long chain that two admins create at once", async () => {
    for (let round = 0; round < 5; round += 1) {
      const p = roleName("race");
      const q = roleName("race");
      await Promise.all([create(p), create(q)]);
      const results = await Promise.allSettled([setParent(p, q), setParent(q, p)]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect((rejected.reason as { code: number }).code).toBe(status.INVALID_ARGUMENT);
    }

    // Two chains of five and a new root: joining the chains, and putting the
    // root on top, each fit alone; together they would make 11.
    const upper = Array.from({ length: 5 }, () => roleName("upper"));
    const lower = Array.from({ length: 5 }, () => roleName("lower"));
    const root = roleName("root");
    for (const chain of [upper, lower]) {
      for (const [index, name] of chain.entries()) await create(name, index === 0 ? "" : chain[index - 1]);
    }
    await create(root);
    const results = await Promise.allSettled([setParent(lower[0]!, upper[4]!), setParent(upper[0]!, root)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const depth = await t.db.query<{ depth: string }>(
      "SELECT max(n) AS depth FROM (SELECT count(*) AS n FROM rbac_role_ancestors GROUP BY role) chains",
    );
    expect(Number(depth[0]!.depth)).toBeLessThanOrEqual(10);
    // The closure equals a walk up the parent links, for every role, after all these edits.
    const drift = await t.db.query(
      `WITH RECURSIVE walk (role, ancestor, distance) AS (
         SELECT name, name, 0 FROM rbac_roles
         UNION ALL
         SELECT walk.role, r.parent, walk.distance + 1 FROM walk JOIN rbac_roles r ON r.name = walk.ancestor
         WHERE r.parent IS NOT NULL)
       (SELECT role, ancestor, distance FROM walk EXCEPT SELECT role, ancestor, distance FROM rbac_role_ancestors)
       UNION ALL
       (SELECT role, ancestor, distance FROM rbac_role_ancestors EXCEPT SELECT role, ancestor, distance FROM walk)`,
    );
    expect(drift).toEqual([]);
  });

  it("deletes a role with children or assignments only with force, re-parenting its children", async () => {
    const top = roleName("top");
    const middle = roleName("middle");
    const bottom = roleName("bottom");
    await create(top, "", ["api:access"]);
    await create(middle, top, ["system:status"]);
    await create(bottom, middle);
    await assign("user:carol", middle);
    const carol = await jwtFor("carol");
    expect(
      (await check(access, carol, "system:status", { minVersion: (await assign("user:carol", bottom)).version }))
        .allowed,
    ).toBe(true);

    const refused = await callError(
      roles.deleteRole(DeleteRoleRequest.fromPartial({ name: middle }), { metadata: admin }),
    );
    expect([refused.code, refused.details]).toEqual([
      status.FAILED_PRECONDITION,
      `role "${middle}" has 1 children and 1 assignments; set force to delete it`,
    ]);
    const deleted = await roles.deleteRole(DeleteRoleRequest.fromPartial({ name: middle, force: true }), {
      metadata: admin,
    });
    expect(deleted).toMatchObject({ reparentedChildren: [bottom], removedAssignments: 1 });
    const { role } = await roles.getRole({ name: bottom }, { metadata: reader });
    expect(role).toMatchObject({ parent: top, effectivePermissions: [{ permission: "api:access", grantedBy: top }] });
    // carol keeps what `bottom` inherits from `top`, and loses what only `middle` granted.
    expect(await check(access, carol, "api:access", { minVersion: deleted.version })).toMatchObject({
      allowed: true,
      assignedRole: bottom,
      grantedBy: top,
    });
    expect((await check(access, carol, "system:status")).allowed).toBe(false);
  });

  it("grants, revokes and unassigns, each change audited, recorded and versioned", async () => {
    const name = roleName("editor");
    const created = await create(name);
    const granted = await roles.grantPermission(
      GrantPermissionRequest.fromPartial({ role: name, permission: "users:read" }),
      {
        metadata: admin,
      },
    );
    expect(granted.version).toBeGreaterThan(created.version);
    expect(granted.role!.permissions).toEqual(["users:read"]);
    const assigned = await assign("user:dan", name);
    const dan = await jwtFor("dan");
    expect((await check(access, dan, "users:read", { minVersion: assigned.version })).allowed).toBe(true);
    const revoked = await roles.revokePermission({ role: name, permission: "users:read" }, { metadata: admin });
    expect((await check(access, dan, "users:read", { minVersion: revoked.version })).allowed).toBe(false);
    const unassigned = await roles.unassignRole(UnassignRoleRequest.fromPartial({ subject: "user:dan", role: name }), {
      metadata: admin,
    });
    expect(unassigned.version).toBeGreaterThan(revoked.version);

    const audit = await t.db.query<{ action: string; actor: string }>(
      "SELECT action, actor FROM audit_records WHERE target IN ($1, 'user:dan') ORDER BY seq",
      [`role:${name}`],
    );
    expect(audit.map((r) => r.action)).toEqual([
      "role.create",
      "role.grant",
      "role.assign",
      "role.revoke",
      "role.unassign",
    ]);
    expect(new Set(audit.map((r) => r.actor))).toEqual(new Set(["service_token:rbac-admin"]));
    const changes = await t.db.query<{ details: Record<string, string> }>(
      "SELECT details FROM security_events WHERE type = 'AUTHORIZATION_CHANGED' AND details->>'target' IN ($1, 'user:dan')",
      [`role:${name}`],
    );
    expect(changes.map((r) => Number(r.details.rbac_version)).sort((x, y) => x - y)).toEqual(
      expect.arrayContaining([created.version, granted.version, assigned.version, revoked.version, unassigned.version]),
    );
    const decisions = await eventually(async () => {
      const rows = await t.db.query<{ type: string; failure_reason: string | null }>(
        "SELECT type, failure_reason FROM security_events WHERE subject = 'dan' AND details->>'permission' = 'users:read' ORDER BY occurred_at",
      );
      return rows.length === 2 ? rows : undefined;
    });
    expect(decisions).toEqual([
      { type: "ACCESS_GRANTED", failure_reason: null },
      { type: "ACCESS_DENIED", failure_reason: "PERMISSION_DENIED" },
    ]);
    // The decision's event stands for the credential's authentication too.
    expect(
      await t.db.query("SELECT 1 FROM security_events WHERE subject = 'dan' AND type = 'TOKEN_AUTH_SUCCESS'"),
    ).toEqual([]);
  });

  it("checks scopes and input on every RoleService call", async () => {
    const none = await callError(roles.listRoles({ pageSize: 0, pageToken: "" }));
    expect(none.code).toBe(status.UNAUTHENTICATED);
    const writes = [
      () => roles.createPermission({ name: "x:y", description: "" }, { metadata: reader }),
      () => create(roleName("nope")).then(() => undefined),
      () => roles.createRole(CreateRoleRequest.fromPartial({ name: "r" }), { metadata: reader }),
      () => roles.updateRole(UpdateRoleRequest.fromPartial({ name: "admin" }), { metadata: reader }),
      () => roles.deleteRole(DeleteRoleRequest.fromPartial({ name: "admin" }), { metadata: reader }),
      () => roles.grantPermission({ role: "admin", permission: "x:y" }, { metadata: reader }),
      () => roles.revokePermission({ role: "admin", permission: "x:y" }, { metadata: reader }),
      () => roles.assignRole(AssignRoleRequest.fromPartial({ subject: "user:x", role: "admin" }), { metadata: reader }),
      () =>
        roles.unassignRole(UnassignRoleRequest.fromPartial({ subject: "user:x", role: "admin" }), { metadata: reader }),
    ];
    for (const write of writes.filter((_, index) => index !== 1)) {
      const error = await callError(write());
      expect([error.code, error.details]).toEqual([status.PERMISSION_DENIED, "missing scope roles:write"]);
    }
    const writer = bearer(await createTokenWithCli(t.warden.databaseUrl, "rbac-writer", "roles:write"));
    for (const read of [
      () => roles.getRole({ name: "admin" }, { metadata: writer }),
      () => roles.listRoles({ pageSize: 0, pageToken: "" }, { metadata: writer }),
      () => roles.listPermissions({ pageSize: 0, pageToken: "" }, { metadata: writer }),
      () => roles.listSubjectPermissions({ subject: "user:x" }, { metadata: writer }),
    ]) {
      const error = await callError(read());
      expect([error.code, error.details]).toEqual([status.PERMISSION_DENIED, "missing scope roles:read"]);
    }

    const invalid = async (promise: Promise<unknown>) => {
      const error = await callError(promise);
      return [status[error.code], error.details.split(":")[0]];
    };
    expect(await invalid(create("Bad Name"))).toEqual(["INVALID_ARGUMENT", "name"]);
    expect(await invalid(create(roleName("ok"), "no-such-role"))).toEqual(["INVALID_ARGUMENT", "parent"]);
    expect(await invalid(create(roleName("ok"), "", ["api:access", "no:such"]))).toEqual([
      "INVALID_ARGUMENT",
      "permissions[1]",
    ]);
    expect(await invalid(create("admin"))).toEqual(["ALREADY_EXISTS", "name"]);
    expect(await invalid(roles.getRole({ name: "ghost" }, { metadata: reader }))).toEqual([
      "NOT_FOUND",
      'no role named "ghost"',
    ]);
    expect(await invalid(roles.grantPermission({ role: "admin", permission: "no:such" }, { metadata: admin }))).toEqual(
      ["NOT_FOUND", 'no permission named "no'],
    );
    expect(
      await invalid(roles.grantPermission({ role: "admin", permission: "roles:create" }, { metadata: admin })),
    ).toEqual(["ALREADY_EXISTS", "permission"]);
    expect(await invalid(assign("alice", "admin"))).toEqual(["INVALID_ARGUMENT", "subject"]);
    expect(await invalid(assign("user:alice", "admin", "projects/"))).toEqual(["INVALID_ARGUMENT", "resource"]);
    expect(await invalid(assign("user:alice", "token_manager"))).toEqual(["ALREADY_EXISTS", "role"]);
    expect(await invalid(assign("user:alice", "admin", "projects/42/../43"))).toEqual(["INVALID_ARGUMENT", "resource"]);
    expect(await invalid(assign(`service_token:${"a".repeat(65)}`, "admin"))).toEqual(["INVALID_ARGUMENT", "subject"]);
    expect(await invalid(assign("user:nul\u0000", "admin"))).toEqual(["INVALID_ARGUMENT", "subject"]);
    expect(
      await invalid(
        roles.listRoles(
          { pageSize: 0, pageToken: Buffer.from('["\\u0000"]').toString("base64url") },
          { metadata: reader },
        ),
      ),
    ).toEqual(["INVALID_ARGUMENT", "page_token"]);
    expect(await invalid(check(access, await jwtFor("x"), "a:b", { client: { ipAddress: "not-an-address" } }))).toEqual(
      ["INVALID_ARGUMENT", "client.ip_address"],
    );
    expect(await invalid(roles.createPermission({ name: "Orders", description: "" }, { metadata: admin }))).toEqual([
      "INVALID_ARGUMENT",
      "name",
    ]);
    expect(await invalid(check(access, await jwtFor("x"), "nope"))).toEqual(["INVALID_ARGUMENT", "permission"]);
    expect(await invalid(check(access, await jwtFor("x"), "a:b", { minVersion: 1e12 }))).toEqual([
      "INVALID_ARGUMENT",
      "min_version",
    ]);

    const made = await roles.createPermission(
      { name: "orders:refund", description: "Refund an order" },
      { metadata: admin },
    );
    expect(made.permission).toMatchObject({ name: "orders:refund", description: "Refund an order" });
    const firstPage = await roles.listPermissions({ pageSize: 20, pageToken: "" }, { metadata: reader });
    const secondPage = await roles.listPermissions(
      { pageSize: 20, pageToken: firstPage.nextPageToken },
      { metadata: reader },
    );
    expect([...firstPage.permissions, ...secondPage.permissions].map((p) => p.name)).toContain("orders:refund");
    expect(firstPage.permissions).toHaveLength(20);
  });
});

describe("Check across replicas", () => {
  it("sees a role change made through another process within a second, and its own write at once", async () => {
    // Version polls far apart, so only notifications can deliver a change within the second.
    const slowPoll = { WARDEN_AUTHZ_POLL_MS: "60000" };
    const t = await startTestWarden(slowPoll);
    const replica = await startReplica(t.warden.databaseUrl, slowPoll);
    const hereRoles = roleClient(`127.0.0.1:${t.warden.grpcPort}`);
    const thereRoles = roleClient(`127.0.0.1:${replica.port}`);
    const here = accessClient(`127.0.0.1:${t.warden.grpcPort}`);
    const there = accessClient(`127.0.0.1:${replica.port}`);
    try {
      const admin = bearer(
        await createTokenWithCli(t.warden.databaseUrl, "propagation-admin", "roles:write,access:check"),
      );
      const worker = await createTokenWithCli(t.warden.databaseUrl, "worker", "events:write");
      const canAccess = async (client: AccessClient, minVersion = 0) =>
        (await check(client, worker, "api:access", { minVersion })).allowed;
      const within = async (limitMs: number, client: AccessClient, expected: boolean) => {
        const started = Date.now();
        await eventually(async () => ((await canAccess(client)) === expected ? true : undefined), limitMs);
        return Date.now() - started;
      };
      expect(await canAccess(there)).toBe(false);

      await hereRoles.assignRole(AssignRoleRequest.fromPartial({ subject: "service_token:worker", role: "api_user" }), {
        metadata: admin,
      });
      expect(await within(1000, there, true)).toBeLessThan(1000);

      const unassigned = await thereRoles.unassignRole(
        UnassignRoleRequest.fromPartial({ subject: "service_token:worker", role: "api_user" }),
        { metadata: admin },
      );
      // Read-your-writes: with the version the change returned, on the writer and on the other process alike.
      expect(await canAccess(there, unassigned.version)).toBe(false);
      expect(await canAccess(here, unassigned.version)).toBe(false);
      expect(await within(1000, here, false)).toBeLessThan(1000);
    } finally {
      for (const client of [hereRoles, thereRoles, here, there]) client.close();
      replica.process.kill("SIGTERM");
      await t.stop();
    }
  });

  it("follows the database when its RBAC version goes back, as after a restore", async () => {
    const t = await startTestWarden({ WARDEN_AUTHZ_POLL_MS: "60000" });
    const roles = roleClient(`127.0.0.1:${t.warden.grpcPort}`);
    const access = accessClient(`127.0.0.1:${t.warden.grpcPort}`);
    try {
      const admin = bearer(await createTokenWithCli(t.warden.databaseUrl, "restore-admin", "roles:write"));
      const worker = await createTokenWithCli(t.warden.databaseUrl, "restored", "events:write");
      const { version } = await roles.assignRole(
        AssignRoleRequest.fromPartial({ subject: "service_token:restored", role: "api_user" }),
        { metadata: admin },
      );
      expect((await check(access, worker, "api:access", { minVersion: version })).allowed).toBe(true);
      // The state of an older backup: a lower version, without the assignment.
      await t.db.query("DELETE FROM rbac_assignments WHERE subject = 'service_token:restored'");
      await t.db.query("UPDATE rbac_version SET version = 1");
      await t.db.query("SELECT pg_notify('warden_rbac', '1')");
      const refused = await eventually(async () => {
        const decision = await check(access, worker, "api:access");
        return decision.allowed ? undefined : decision;
      }, 1000);
      expect(refused).toMatchObject({ reason: AccessReason.NO_PERMISSION, version: 1 });
    } finally {
      roles.close();
      access.close();
      await t.stop();
    }
  });
});

describe("Check fails closed", () => {
  const env: Environment = {
    WARDEN_RISK_ENABLED: "false",
    WARDEN_DB_CONNECT_TIMEOUT_MS: "500",
    WARDEN_DB_STATEMENT_TIMEOUT_MS: "500",
  };

  it("denies with NO_SNAPSHOT while it has never loaded the roles", async () => {
    const db = await createTestDatabase();
    await migrate(db.url, pino({ level: "silent" }));
    const target = new URL(db.url);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    proxy.blackhole = true;
    const t = await startTestWardenWithIdentityProvider(
      {
        ...env,
        DATABASE_URL: proxy.rewrite(db.url),
        WARDEN_MIGRATE_ON_START: "false",
        WARDEN_LOCKOUT_ENABLED: "false",
      },
      { db },
    );
    const access = accessClient(`127.0.0.1:${t.warden.grpcPort}`);
    try {
      const decision = await check(access, await t.sign({ sub: "erin", scope: "api:access" }), "api:access");
      expect(decision).toMatchObject({ allowed: false, reason: AccessReason.NO_SNAPSHOT, failureReason: 24 });

      proxy.blackhole = false;
      const loaded = await eventually(async () => {
        const d = await check(access, await t.sign({ sub: "erin", scope: "api:access" }), "api:access");
        return d.allowed ? d : undefined;
      }, 15_000);
      expect(loaded.reason).toBe(AccessReason.GRANTED_BY_SCOPE);
    } finally {
      access.close();
      proxy.blackhole = false;
      await t.stop();
      await proxy.stop();
      await db.drop();
    }
  });

  it("denies with STALE_SNAPSHOT once the database is gone longer than the allowed age, and UNAVAILABLE for a version it cannot reach", async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const t = await startTestWardenWithIdentityProvider(
      {
        ...env,
        DATABASE_URL: proxy.rewrite(db.url),
        WARDEN_AUTHZ_MAX_AGE_MS: "1500",
        WARDEN_AUTHZ_POLL_MS: "200",
        WARDEN_AUTHZ_MIN_VERSION_WAIT_MS: "100",
      },
      { db },
    );
    const access = accessClient(`127.0.0.1:${t.warden.grpcPort}`);
    const jwt = () => t.sign({ sub: "frank", scope: "api:access" });
    try {
      await eventually(async () => ((await check(access, await jwt(), "api:access")).allowed ? true : undefined));
      const current = (await check(access, await jwt(), "api:access")).version;
      proxy.blackhole = true;
      const ahead = await check(access, await jwt(), "api:access", { minVersion: current + 1 });
      expect(ahead).toMatchObject({ allowed: false, reason: AccessReason.UNAVAILABLE });
      const stale = await eventually(async () => {
        const d = await check(access, await jwt(), "api:access");
        return d.reason === AccessReason.STALE_SNAPSHOT ? d : undefined;
      }, 5000);
      expect(stale).toMatchObject({ allowed: false, failureReason: 24, version: current });
    } finally {
      access.close();
      proxy.blackhole = false;
      await t.stop();
      await proxy.stop();
      await db.drop();
    }
  });
});
