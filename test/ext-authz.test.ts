import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config.js";
import { loadRoutes } from "../src/authz/routes.js";
import { HeaderValueOption_HeaderAppendAction as AppendAction } from "../src/gen/envoy/config/core/v3/base.js";
import { CheckRequest, type CheckResponse } from "../src/gen/envoy/service/auth/v3/external_auth.js";
import { AssignRoleRequest, CreateRoleRequest } from "../src/gen/warden/v1/role_service.js";
import { createTestDatabase } from "./support/database.js";
import { signingKey, signJwt } from "./support/identity-provider.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import {
  bearer,
  createTokenWithCli,
  eventually,
  extAuthzClient,
  roleClient,
  startTestWardenWithIdentityProvider,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

const ROUTES = {
  routes: [
    { method: "GET", path_prefix: "/orders", permission: "orders:read" },
    { method: "POST", path_prefix: "/orders", permission: "orders:write" },
    { method: "*", path_prefix: "/orders/admin", permission: "api:admin" },
  ],
};

type Headers = Map<string, string[]>;

interface EnvoyOutcome {
  allowed: boolean;
  /** The HTTP status the caller gets when denied. */
  httpStatus?: number;
  /** Response headers for the caller when denied. */
  responseHeaders?: Headers;
  body?: string;
  /** The request headers the upstream sees when allowed. */
  upstream?: Headers;
  dynamicMetadata?: Record<string, unknown>;
}

/**
 * What Envoy's ext_authz filter does with a CheckResponse: it allows iff the
 * status code is 0; a denial without an HTTP status is a 403. Header options
 * follow HeaderValueOption: `append`, when present, decides (true adds a
 * value, false replaces every value); otherwise `append_action` does.
 */
function applyAsEnvoy(response: CheckResponse, requestHeaders: Record<string, string>): EnvoyOutcome {
  const applyOptions = (headers: Headers, options: NonNullable<CheckResponse["okResponse"]>["headers"]) => {
    for (const option of options) {
      const { key, value } = option.header!;
      const present = headers.has(key);
      let action: "add" | "set" | "skip";
      if (option.append !== undefined) action = option.append ? "add" : "set";
      else if (option.appendAction === AppendAction.APPEND_IF_EXISTS_OR_ADD) action = "add";
      else if (option.appendAction === AppendAction.ADD_IF_ABSENT) action = present ? "skip" : "add";
      else if (option.appendAction === AppendAction.OVERWRITE_IF_EXISTS_OR_ADD) action = "set";
      else action = present ? "set" : "skip";
      if (action === "add") headers.set(key, [...(headers.get(key) ?? []), value]);
      if (action === "set") headers.set(key, [value]);
    }
  };
  if ((response.status?.code ?? 0) === 0) {
    const upstream: Headers = new Map(Object.entries(requestHeaders).map(([key, value]) => [key, [value]]));
    applyOptions(upstream, response.okResponse?.headers ?? []);
    for (const name of response.okResponse?.headersToRemove ?? []) upstream.delete(name);
    return { allowed: true, upstream, dynamicMetadata: response.dynamicMetadata };
  }
  const responseHeaders: Headers = new Map();
  applyOptions(responseHeaders, response.deniedResponse?.headers ?? []);
  return {
    allowed: false,
    httpStatus: response.deniedResponse?.status?.code || 403,
    responseHeaders,
    body: response.deniedResponse?.body ?? "",
  };
}

/** A CheckRequest as an Envoy sidecar sends it for an HTTP/1.1 request. */
function sidecarRequest(
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  contextExtensions: Record<string, string> = {},
): { request: CheckRequest; headers: Record<string, string> } {
  const all = {
    ":authority": "shop.internal",
    ":method": method,
    ":path": pathAndQuery,
    ":scheme": "http",
    "user-agent": "curl/8.5.0",
    "x-request-id": "5f8c2a9e-1c33-4a51-9b0e-2f1f3b6c7d10",
    "x-forwarded-proto": "http",
    ...headers,
  };
  return {
    headers: all,
    request: CheckRequest.fromPartial({
      attributes: {
        source: { address: { socketAddress: { address: "10.0.0.7", portValue: 51234 } } },
        destination: {
          address: { socketAddress: { address: "10.0.0.20", portValue: 8080 } },
          principal: "spiffe://cluster.local/ns/shop/sa/orders",
        },
        request: {
          time: new Date(),
          http: {
            id: "13359530842347128839",
            method,
            headers: all,
            path: pathAndQuery,
            host: "shop.internal",
            scheme: "http",
            protocol: "HTTP/1.1",
            size: -1,
          },
        },
        contextExtensions,
      },
    }),
  };
}

describe("Envoy ext_authz", () => {
  let t: TestWardenWithIdentityProvider;
  let envoy: ReturnType<typeof extAuthzClient>;
  let bot: string;

  const ask = async (method: string, pathAndQuery: string, headers: Record<string, string>, extensions = {}) => {
    const { request, headers: sent } = sidecarRequest(method, pathAndQuery, headers, extensions);
    const response = await envoy.check(request);
    return { response, outcome: applyAsEnvoy(response, sent) };
  };

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "warden-routes-"));
    await writeFile(path.join(dir, "routes.json"), JSON.stringify(ROUTES));
    t = await startTestWardenWithIdentityProvider({
      WARDEN_EXTAUTHZ_ROUTES_FILE: path.join(dir, "routes.json"),
      WARDEN_EXTAUTHZ_STRIP_AUTHORIZATION: "true",
    });
    envoy = extAuthzClient(`127.0.0.1:${t.warden.grpcPort}`);
    const roles = roleClient(`127.0.0.1:${t.warden.grpcPort}`);
    const admin = bearer(await createTokenWithCli(t.warden.databaseUrl, "envoy-admin", "roles:write"));
    for (const name of ["orders:read", "orders:write"]) {
      await roles.createPermission({ name, description: "" }, { metadata: admin });
    }
    await roles.createRole(CreateRoleRequest.fromPartial({ name: "order_viewer", permissions: ["orders:read"] }), {
      metadata: admin,
    });
    await roles.createRole(CreateRoleRequest.fromPartial({ name: "order_editor", permissions: ["orders:write"] }), {
      metadata: admin,
    });
    await roles.assignRole(
      AssignRoleRequest.fromPartial({ subject: "user:alice", role: "order_editor", resource: "stores/9" }),
      { metadata: admin },
    );
    bot = await createTokenWithCli(t.warden.databaseUrl, "orders-bot", "events:write");
    for (const subject of ["user:alice", "service_token:orders-bot"]) {
      await roles.assignRole(AssignRoleRequest.fromPartial({ subject, role: "order_viewer" }), { metadata: admin });
    }
    roles.close();
  });
  afterAll(async () => {
    envoy.close();
    await t.stop();
  });

  it("allows with identity headers that replace the caller's, strips the credential and passes the principal", async () => {
    const alice = await t.sign({ sub: "alice", scope: "profile" });
    const { response, outcome } = await ask("GET", "/orders/17?expand=lines", {
      authorization: `Bearer ${alice}`,
      "x-warden-subject": "mallory",
      "x-warden-service-token-name": "forged",
    });
    expect(response.status?.code).toBe(0);
    for (const option of response.okResponse!.headers) expect(option.append).toBe(false);
    expect(outcome.allowed).toBe(true);
    const upstream = Object.fromEntries(outcome.upstream!);
    expect(upstream).toMatchObject({
      "x-warden-subject": ["alice"],
      "x-warden-principal-kind": ["user"],
      "x-warden-scopes": ["profile"],
      "x-warden-permission": ["orders:read"],
      "x-warden-role": ["order_viewer"],
      ":path": ["/orders/17?expand=lines"],
    });
    expect(upstream).not.toHaveProperty("authorization");
    expect(upstream).not.toHaveProperty("x-warden-service-token-name");
    // Identity headers Warden did not set are removed even when Envoy did not show them to Warden.
    expect(response.okResponse!.headersToRemove).toEqual(expect.arrayContaining(["x-warden-service-token-name"]));
    const byScope = await ask("GET", "/orders", {
      authorization: `Bearer ${await t.sign({ sub: "scoped", scope: "orders:read" })}`,
    });
    expect(byScope.response.okResponse!.headersToRemove).toEqual(
      expect.arrayContaining(["x-warden-role", "x-warden-service-token-name"]),
    );
    expect(outcome.dynamicMetadata).toMatchObject({
      subject: "alice",
      principal_kind: "user",
      permission: "orders:read",
    });

    const asBot = await ask("GET", "/orders", { authorization: `Bearer ${bot}` });
    expect(Object.fromEntries(asBot.outcome.upstream!)).toMatchObject({
      "x-warden-principal-kind": ["service_token"],
      "x-warden-service-token-name": ["orders-bot"],
      "x-warden-role": ["order_viewer"],
    });
  });

  it("denies 403 with a reason when the subject lacks the route's permission or no route matches", async () => {
    const alice = await t.sign({ sub: "alice" });
    const write = await ask("POST", "/orders", { authorization: `Bearer ${alice}` });
    expect(write.response.status?.code).toBe(7);
    expect(write.outcome).toMatchObject({ allowed: false, httpStatus: 403 });
    expect(write.outcome.responseHeaders!.get("x-warden-reason")).toEqual(["no_permission"]);
    expect(JSON.parse(write.outcome.body!)).toEqual({ error: "Forbidden", reason: "no_permission" });

    // The longest prefix wins: /orders/admin needs api:admin even for GET.
    const admin = await ask("GET", "/orders/admin/export", { authorization: `Bearer ${alice}` });
    expect(admin.outcome.httpStatus).toBe(403);
    const unrouted = await ask("GET", "/billing", { authorization: `Bearer ${alice}` });
    expect(unrouted.outcome.responseHeaders!.get("x-warden-reason")).toEqual(["no_route"]);
    // A prefix covers whole segments only.
    const sibling = await ask("GET", "/ordersexport", { authorization: `Bearer ${alice}` });
    expect(sibling.outcome.responseHeaders!.get("x-warden-reason")).toEqual(["no_route"]);
  });

  it("refuses a path the upstream could resolve outside its route", async () => {
    const alice = await t.sign({ sub: "alice" });
    for (const path of ["/orders/../admin", "/orders/./7", "//orders", "/orders/%2e%2e/admin", "/orders%2Fx"]) {
      const { response, outcome } = await ask("GET", path, { authorization: `Bearer ${alice}` });
      expect([path, response.status?.code, outcome.httpStatus]).toEqual([path, 3, 400]);
      expect(outcome.responseHeaders!.get("x-warden-reason")).toEqual(["unnormalized_path"]);
    }
    expect((await ask("GET", "/orders/7/?page=2", { authorization: `Bearer ${alice}` })).outcome.allowed).toBe(true);
  });

  it("refuses path parameters and escaped unreserved characters, which upstreams resolve to another route", async () => {
    const alice = await t.sign({ sub: "alice" });
    // Each reaches /orders/admin/users (api:admin) on many upstreams, but would match /orders (orders:read) here.
    for (const path of [
      "/orders/admin;x/users",
      "/orders/admin;/users",
      "/orders/%61dmin/users",
      "/orders/ad%6Din/users",
    ]) {
      const { response, outcome } = await ask("GET", path, { authorization: `Bearer ${alice}` });
      expect([path, response.status?.code, outcome.httpStatus]).toEqual([path, 3, 400]);
      expect(outcome.responseHeaders!.get("x-warden-reason")).toEqual(["unnormalized_path"]);
    }
    // Escapes of other characters are the normal spelling, and route as usual.
    for (const path of ["/orders/summer%20sale", "/orders/a%2Bb"]) {
      const { outcome } = await ask("GET", path, { authorization: `Bearer ${alice}` });
      expect([path, outcome.allowed, outcome.upstream?.get("x-warden-permission")]).toEqual([
        path,
        true,
        ["orders:read"],
      ]);
    }
  });

  it("lets context_extensions name the permission and resource for a route", async () => {
    const alice = await t.sign({ sub: "alice", scope: "reports:read" });
    const byExtension = await ask(
      "GET",
      "/reports/weekly",
      { authorization: `Bearer ${alice}` },
      { warden_permission: "reports:read" },
    );
    expect(byExtension.outcome.allowed).toBe(true);
    // alice may write orders of store 9 only: the resource comes from the route's extensions.
    const onStore = (store: string) =>
      ask(
        "GET",
        "/orders",
        { authorization: `Bearer ${alice}` },
        { warden_permission: "orders:write", warden_resource: store },
      );
    expect((await onStore("stores/9")).outcome.allowed).toBe(true);
    expect((await onStore("stores/9/tills/2")).outcome.allowed).toBe(true);
    expect((await onStore("stores/10")).outcome.httpStatus).toBe(403);
  });

  it("denies 401 with a challenge when the credential is missing or refused", async () => {
    const missing = await ask("GET", "/orders", {});
    expect(missing.response.status?.code).toBe(16);
    expect(missing.outcome).toMatchObject({ allowed: false, httpStatus: 401 });
    expect(missing.outcome.responseHeaders!.get("www-authenticate")).toEqual(['Bearer realm="warden"']);
    expect(missing.outcome.responseHeaders!.get("x-warden-reason")).toEqual(["missing_credential"]);

    const forger = await signingKey("ES256", t.key.kid);
    const forged = await ask("GET", "/orders", { authorization: `Bearer ${await signJwt(forger, { sub: "alice" })}` });
    expect(forged.outcome.httpStatus).toBe(401);
    expect(forged.outcome.responseHeaders!.get("www-authenticate")).toEqual([
      'Bearer realm="warden", error="invalid_token"',
    ]);
    expect(forged.outcome.responseHeaders!.get("x-warden-reason")).toEqual(["invalid_signature"]);
  });

  it("records every decision as an event with the request's method, path and address", async () => {
    const rows = await eventually(async () => {
      const found = await t.db.query<{
        type: string;
        failure_reason: string | null;
        client_ip: string;
        details: Record<string, string>;
      }>(
        "SELECT type, failure_reason, host(client_ip) AS client_ip, details FROM security_events WHERE source_service = 'envoy' AND type IN ('ACCESS_GRANTED', 'ACCESS_DENIED')",
      );
      return found.length >= 25 ? found : undefined;
    });
    expect(rows.every((row) => row.client_ip === "10.0.0.7")).toBe(true);
    expect(rows.filter((row) => row.type === "ACCESS_GRANTED")).toHaveLength(9);
    expect(rows.map((row) => row.failure_reason)).toEqual(
      expect.arrayContaining(["PERMISSION_DENIED", "MALFORMED_CREDENTIAL", "INVALID_SIGNATURE"]),
    );
    expect(rows.find((row) => row.details.access_reason === "NO_ROUTE")?.details).toMatchObject({
      http_method: "GET",
      http_path: "/billing",
      http_host: "shop.internal",
    });
  });

  it("records the path without its query or fragment, which may carry secrets", async () => {
    const alice = await t.sign({ sub: "alice" });
    for (const path of [
      "/orders/leak?access_token=secret",
      "/orders/leak#access_token=secret",
      "/orders/leak/../x?access_token=secret",
    ]) {
      await ask("GET", path, { authorization: `Bearer ${alice}` });
    }
    const rows = await eventually(async () => {
      const found = await t.db.query<{ details: Record<string, string> }>(
        "SELECT details FROM security_events WHERE source_service = 'envoy' AND details->>'http_path' LIKE '/orders/leak%'",
      );
      return found.length >= 3 ? found : undefined;
    });
    expect(rows.map((row) => row.details.http_path).sort()).toEqual([
      "/orders/leak",
      "/orders/leak",
      "/orders/leak/../x",
    ]);
    expect(rows.map((row) => JSON.stringify(row.details)).join()).not.toContain("secret");
  });

  it("refuses with 400, and records, a request its event could hold only altered: a NUL, a zone id", async () => {
    const alice = await t.sign({ sub: "alice" });
    const cases = [
      { method: "GET\u0000", path: "/orders/7", address: "10.0.0.7", problem: "method holds a NUL" },
      { method: "GET", path: "/orders/7\u0000", address: "10.0.0.7", problem: "path holds a NUL" },
      { method: "GET", path: "/orders/8", address: "fe80::1%eth0", problem: "sourceAddress holds a zone id" },
    ];
    for (const { method, path, address, problem } of cases) {
      const { request, headers } = sidecarRequest(method, path, { authorization: `Bearer ${alice}` });
      request.attributes!.source!.address!.socketAddress!.address = address;
      const response = await envoy.check(request);
      const outcome = applyAsEnvoy(response, headers);
      expect([problem, response.status?.code, outcome.httpStatus]).toEqual([problem, 3, 400]);
      expect(outcome.responseHeaders!.get("x-warden-reason")).toEqual(["unrecordable_request"]);
      const stored = await eventually(async () => {
        const [row] = await t.db.query<{ type: string; client_ip: string | null; details: Record<string, string> }>(
          "SELECT type, host(client_ip) AS client_ip, details FROM security_events WHERE details->>'unrecordable' = $1",
          [problem],
        );
        return row;
      });
      expect(stored).toMatchObject({
        type: "ACCESS_DENIED",
        client_ip: address === "10.0.0.7" ? "10.0.0.7" : "fe80::1",
        details: { access_reason: "UNRECORDABLE_REQUEST", http_method: method.replace("\u0000", "\uFFFD") },
      });
    }
  });
});

describe("Envoy ext_authz when Warden is in trouble", () => {
  it("answers a denied 503, never a gRPC error, for a stale snapshot or a deadline about to pass", async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const dir = await mkdtemp(path.join(tmpdir(), "warden-routes-"));
    await writeFile(path.join(dir, "routes.json"), JSON.stringify(ROUTES));
    const t = await startTestWardenWithIdentityProvider(
      {
        DATABASE_URL: proxy.rewrite(db.url),
        WARDEN_RISK_ENABLED: "false",
        WARDEN_DB_CONNECT_TIMEOUT_MS: "500",
        WARDEN_DB_STATEMENT_TIMEOUT_MS: "500",
        WARDEN_AUTHZ_MAX_AGE_MS: "1000",
        WARDEN_AUTHZ_POLL_MS: "200",
        WARDEN_EXTAUTHZ_ROUTES_FILE: path.join(dir, "routes.json"),
      },
      { db },
    );
    const envoy = extAuthzClient(`127.0.0.1:${t.warden.grpcPort}`);
    const token = await createTokenWithCli(db.url, "uncached", "events:write");
    try {
      const jwt = await t.sign({ sub: "gina", scope: "orders:read" });
      await eventually(async () => {
        const { request, headers } = sidecarRequest("GET", "/orders", { authorization: `Bearer ${jwt}` });
        return applyAsEnvoy(await envoy.check(request), headers).allowed ? true : undefined;
      });
      proxy.blackhole = true;

      // A service token never seen needs the database: the answer comes before the deadline, as a 503.
      const slow = sidecarRequest("GET", "/orders", { authorization: `Bearer ${token}` });
      const timedOut = await envoy.check(slow.request, { deadlineMs: 300 });
      expect(timedOut.status?.code).toBe(14);
      expect(applyAsEnvoy(timedOut, slow.headers)).toMatchObject({ allowed: false, httpStatus: 503 });
      expect(timedOut.deniedResponse!.headers.find((h) => h.header!.key === "x-warden-reason")?.header?.value).toBe(
        "timeout",
      );

      const stale = await eventually(async () => {
        const { request, headers } = sidecarRequest("GET", "/orders", { authorization: `Bearer ${jwt}` });
        const outcome = applyAsEnvoy(await envoy.check(request), headers);
        return outcome.httpStatus === 503 ? outcome : undefined;
      });
      expect(stale.responseHeaders!.get("x-warden-reason")).toEqual(["stale_snapshot"]);
    } finally {
      envoy.close();
      proxy.blackhole = false;
      await t.stop();
      await proxy.stop();
      await db.drop();
    }
  });
});

describe("ext_authz route table", () => {
  it("names each bad route in the file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "warden-routes-"));
    const file = path.join(dir, "routes.json");
    await writeFile(
      file,
      JSON.stringify({
        routes: [
          { method: "GET", path_prefix: "orders", permission: "orders:read" },
          { method: "GET", path_prefix: "/ok", permission: "Orders" },
          { method: "GET", path_prefix: "/fine", permission: "fine:read" },
        ],
      }),
    );
    const error = await loadRoutes(file).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("routes[0]: path_prefix");
    expect(problems[1]).toContain("routes[1]: permission");
  });
});
