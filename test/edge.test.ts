import { once } from "node:events";
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client, credentials, loadPackageDefinition, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { loadSync } from "@grpc/proto-loader";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAccessRules } from "../src/rpc/edge/access-rules.js";
import { WARDEN_DESCRIPTOR_SET } from "../src/rpc/server.js";
import type { Scope } from "../src/authz/scopes.js";
import { CheckBatchRequest, CheckRequest } from "../src/gen/warden/v1/access_service.js";
import { AlertServiceClient, WatchAlertsRequest } from "../src/gen/warden/v1/alert_service.js";
import { AuditServiceClient, ExportEventsRequest, ExportFormat } from "../src/gen/warden/v1/audit_service.js";
import { ListEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import { PrincipalKind } from "../src/gen/warden/v1/event.js";
import { GetRiskProfileRequest } from "../src/gen/warden/v1/risk_service.js";
import { RevokeServiceTokenRequest } from "../src/gen/warden/v1/token_service.js";
import { AccessRule } from "../src/gen/warden/v1/options.js";
import {
  authClient,
  bearer,
  callError,
  createToken,
  eventually,
  startReplica,
  startTestWarden,
  type Replica,
  type TestWarden,
} from "./support/warden.js";

const descriptors = readFileSync(WARDEN_DESCRIPTOR_SET);
const rules = readAccessRules(descriptors);
const streamingPaths = new Set(
  [...createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptors)).files]
    .flatMap((file) => file.services)
    .flatMap((service) => service.methods.map((method) => ({ service, method })))
    .filter(({ method }) => method.methodKind === "server_streaming")
    .map(({ service, method }) => `/${service.typeName}/${method.name}`),
);

/** A client that calls any method by path with raw bytes: an empty request decodes to every field's default. */
function rawCall(client: Client, path: string, streaming: boolean, metadata: Metadata, request: Buffer) {
  const identity = (bytes: Buffer) => bytes;
  return new Promise<ServiceError | undefined>((resolve) => {
    if (!streaming) {
      client.makeUnaryRequest(path, identity, identity, request, metadata, { deadline: Date.now() + 10_000 }, (error) =>
        resolve(error ?? undefined),
      );
      return;
    }
    const stream = client.makeServerStreamRequest(path, identity, identity, request, metadata, {
      deadline: Date.now() + 10_000,
    });
    stream.on("data", () => undefined);
    stream.on("error", (error: ServiceError) => resolve(error));
    stream.on("end", () => resolve(undefined));
  });
}

/** Inserts `count` events a millisecond apart on 2025-01-01: enough to keep an export busy for seconds. */
async function seedEvents(t: TestWarden, count: number): Promise<void> {
  await t.db.query(
    `INSERT INTO security_events (event_id, occurred_at, type, severity, outcome, subject, client_ip, user_agent, details)
     SELECT gen_random_uuid(), timestamptz '2025-01-01' + g * interval '1 millisecond', 'LOGIN_FAILURE', 'INFO',
       'FAILURE', 'user-' || (g % 5000), ('10.1.' || (g % 250) || '.' || (g % 200))::inet,
       'Mozilla/5.0 edge-test ' || g, jsonb_build_object('attempt', g::text, 'pad', repeat('x', 120))
     FROM generate_series(1, $1::int) g`,
    [count],
  );
}

/** A Check or CheckBatch request that vouches for a principal rather than carrying a credential. */
function vouchingRequest(path: string): Buffer {
  const principal = { subject: "someone", kind: PrincipalKind.USER };
  return Buffer.from(
    path.endsWith("/CheckBatch")
      ? CheckBatchRequest.encode(CheckBatchRequest.fromPartial({ principal })).finish()
      : CheckRequest.encode(CheckRequest.fromPartial({ principal })).finish(),
  );
}

const EXPORT_RANGE = ExportEventsRequest.fromPartial({
  from: new Date("2025-01-01"),
  to: new Date("2025-01-02"),
  format: ExportFormat.JSONL,
});

/** How a stream ended: its status code and when. */
function ending(stream: NodeJS.EventEmitter): Promise<{ code: status; details: string; at: number }> {
  return new Promise((resolve) => {
    stream.on("error", (error: ServiceError) => resolve({ code: error.code, details: error.details, at: Date.now() }));
    stream.on("end", () => resolve({ code: status.OK, details: "", at: Date.now() }));
  });
}

describe("the edge", () => {
  let t: TestWarden;
  let raw: Client;
  const holders = new Map<Scope, Metadata>();
  const holding = async (scope: Scope) => {
    let metadata = holders.get(scope);
    if (metadata === undefined) {
      metadata = bearer(await createToken(t.db.url, `holder-of-${scope.replace(":", "-")}`, [scope]));
      holders.set(scope, metadata);
    }
    return metadata;
  };

  beforeAll(async () => {
    t = await startTestWarden();
    raw = new Client(`127.0.0.1:${t.warden.grpcPort}`, credentials.createInsecure());
  });
  afterAll(async () => {
    raw.close();
    await t.stop();
  });

  it("reads an access rule for every method of every service in the descriptor set", () => {
    const problems = [...rules.values()].filter((rule) => typeof rule === "string");
    expect(problems).toEqual([]);
    expect(rules.size).toBeGreaterThan(30);
  });

  it("refuses every RPC not declared public, without a credential and with one lacking its scope", async () => {
    let walked = 0;
    for (const [path, rule] of rules) {
      if (typeof rule === "string" || rule.kind === "public") continue;
      walked += 1;
      const streaming = streamingPaths.has(path);
      const vouching = rule.kind === "public-unless-set" ? vouchingRequest(path) : Buffer.alloc(0);

      const anonymous = await rawCall(raw, path, streaming, new Metadata(), vouching);
      expect({ path, code: anonymous?.code }).toEqual({ path, code: status.UNAUTHENTICATED });

      const other: Scope = rule.scope === "risk:read" ? "tokens:read" : "risk:read";
      const lacking = await rawCall(raw, path, streaming, await holding(other), vouching);
      expect({ path, code: lacking?.code, details: lacking?.details }).toEqual({
        path,
        code: status.PERMISSION_DENIED,
        details: `missing scope ${rule.scope}`,
      });
    }
    expect(walked).toBeGreaterThan(30);
  });

  it("serves each RPC's access option through reflection, for clients that have no proto files", async () => {
    const definition = loadSync("grpc/reflection/v1/reflection.proto", {
      includeDirs: [path.resolve("node_modules/@grpc/reflection/build/proto")],
    });
    const { grpc } = loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: typeof Client } } };
    };
    const reflection = new grpc.reflection.v1.ServerReflection(
      `127.0.0.1:${t.warden.grpcPort}`,
      credentials.createInsecure(),
    ) as Client & { serverReflectionInfo(): NodeJS.EventEmitter & { write(m: object): void; end(): void } };
    try {
      const stream = reflection.serverReflectionInfo();
      const answer = new Promise<{ fileDescriptorResponse: { fileDescriptorProto: Buffer[] } }>((resolve, reject) => {
        stream.on("data", resolve);
        stream.on("error", reject);
      });
      stream.write({ fileContainingSymbol: "warden.v1.RiskService" });
      const files = (await answer).fileDescriptorResponse.fileDescriptorProto.map((bytes) =>
        fromBinary(FileDescriptorProtoSchema, bytes),
      );
      stream.end();
      const method = files
        .flatMap((file) => file.service)
        .find((service) => service.name === "RiskService")!
        .method.find((m) => m.name === "GetRiskProfile")!;
      const option = method.options!.$unknown!.find((field) => field.no === 51001)!;
      expect(AccessRule.decode(new BinaryReader(option.data).bytes())).toEqual(
        AccessRule.fromPartial({ scope: "risk:read" }),
      );
    } finally {
      reflection.close();
    }
  });

  it("lets anyone call a public RPC, and asks for access:check only when the request vouches for a principal", async () => {
    const anonymousCheck = await rawCall(
      raw,
      "/warden.v1.AccessService/Check",
      false,
      new Metadata(),
      Buffer.from(
        CheckRequest.encode(
          CheckRequest.fromPartial({ credential: "not-a-credential", permission: "orders:read" }),
        ).finish(),
      ),
    );
    // Answered by the handler: a decision about the credential, not a refusal of the caller.
    expect(anonymousCheck).toBeUndefined();
    const authenticate = await rawCall(
      raw,
      "/warden.v1.AuthService/Authenticate",
      false,
      new Metadata(),
      Buffer.alloc(0),
    );
    expect(authenticate?.code).toBe(status.INVALID_ARGUMENT);
  });

  it("cancels a handler's query when its deadline passes, and when its caller goes away", async () => {
    const reader = await holding("events:read");
    const client = authClient(`127.0.0.1:${t.warden.grpcPort}`);
    // A transaction of the test's own holds the table, so ListEvents' query waits until it is cancelled.
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    const waiting = () =>
      t.db.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'warden' AND state = 'active'
            AND query LIKE '%Keyset page, newest first%' AND pid <> pg_backend_pid()`,
      );
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE security_events IN ACCESS EXCLUSIVE MODE");

      const timedOut = await callError(
        client.listEvents(ListEventsRequest.fromPartial({ pageSize: 10 }), { metadata: reader, deadlineMs: 400 }),
      );
      expect(timedOut.code).toBe(status.DEADLINE_EXCEEDED);
      await eventually(async () => ((await waiting()).length === 0 ? true : undefined), 2000);

      const call = client.raw.listEvents(ListEventsRequest.fromPartial({ pageSize: 10 }), reader, () => undefined);
      await eventually(async () => ((await waiting()).length > 0 ? true : undefined), 2000);
      call.cancel();
      await eventually(async () => ((await waiting()).length === 0 ? true : undefined), 2000);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
      client.close();
    }
    // The pool got its connections back: the next read answers.
    const page = await t.listEvents(ListEventsRequest.fromPartial({ pageSize: 1 }));
    expect(page.events.length).toBeLessThanOrEqual(1);
  });

  it("cancels the query of every admin read whose deadline passes", async () => {
    const admin = await holding("admin");
    // Each read, a table it reads, which the test holds so that the read waits until it is cancelled, and its
    // query's text (background writers, such as token usage, may wait on the same table meanwhile).
    const reads = [
      ["/warden.v1.AuditService/ListAuditRecords", "audit_records", "%Keyset page, newest first%audit_records%"],
      ["/warden.v1.AuditService/VerifyAuditChain", "audit_records", "%Recomputes every hash%"],
      ["/warden.v1.AlertService/ListAlerts", "alerts", "%Keyset page, newest first%FROM alerts%"],
      ["/warden.v1.TokenService/ListServiceTokens", "service_tokens", "%keyset on (created_at, id), newest first%"],
      ["/warden.v1.RoleService/ListRoles", "rbac_roles", "%SELECT name FROM rbac_roles WHERE name >%"],
      ["/warden.v1.RoleService/ListPermissions", "rbac_permissions", "%FROM rbac_permissions%WHERE name >%"],
      ["/warden.v1.LockoutService/ListLockouts", "lockout_counters", "%Keyset page over (key_kind, key)%"],
      [
        // Its profile is read first; the wait is on its latest assessment (risk_profiles is also written by
        // the flush of observations that comes before the read).
        "/warden.v1.RiskService/GetRiskProfile",
        "security_events",
        "%FROM security_events%WHERE subject = $1 AND type IN%",
        Buffer.from(GetRiskProfileRequest.encode({ subject: "held-profile", recentLimit: 0 }).finish()),
      ],
    ] as const;
    await t.db.query("INSERT INTO risk_profiles (subject, kind, first_seen_at) VALUES ('held-profile', 'USER', now())");
    const call = (path: string, deadlineMs: number, body: Buffer = Buffer.alloc(0)) =>
      new Promise<ServiceError | undefined>((resolve) => {
        const identity = (bytes: Buffer) => bytes;
        raw.makeUnaryRequest(path, identity, identity, body, admin, { deadline: Date.now() + deadlineMs }, (e) =>
          resolve(e ?? undefined),
        );
      });
    const waiting = async (query: string) =>
      (
        await t.db.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'warden' AND wait_event_type = 'Lock'
              AND query LIKE $1`,
          [query],
        )
      ).length;
    for (const [path, table, query, body] of reads) {
      // Answered once unhindered, so the caller's token is cached and only the read itself waits.
      expect(await call(path, 10_000, body)).toBeUndefined();
      const holder = new pg.Client({ connectionString: t.db.url });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
        const answer = call(path, 1500, body);
        // Seen waiting first, so the pattern is the read's own query.
        expect(await eventually(async () => ((await waiting(query)) > 0 ? path : undefined), 1500)).toBe(path);
        expect({ path, code: (await answer)?.code }).toEqual({ path, code: status.DEADLINE_EXCEEDED });
        expect(await eventually(async () => ((await waiting(query)) === 0 ? path : undefined), 2000)).toBe(path);
      } finally {
        await holder.query("ROLLBACK");
        await holder.end();
      }
    }
  });
});

describe("streams", () => {
  let t: TestWarden;
  let replica: Replica;
  let admin: Metadata;
  let adminSecret: string;

  beforeAll(async () => {
    t = await startTestWarden({ WARDEN_LOCKOUT_ENABLED: "false", WARDEN_RISK_ENABLED: "false" });
    // The replica rechecks on a timer too slow to matter: its streams can only end in time through the notification.
    replica = await startReplica(t.db.url, {
      WARDEN_LOCKOUT_ENABLED: "false",
      WARDEN_RISK_ENABLED: "false",
      WARDEN_STREAM_RECHECK_MS: "60000",
    });
    adminSecret = await createToken(t.db.url, "stream-admin", ["admin"]);
    admin = bearer(adminSecret);
    // Enough that an export read slowly outlives the revocation below.
    await seedEvents(t, 100_000);
  });
  afterAll(async () => {
    replica.client.close();
    replica.process.kill("SIGTERM");
    await once(replica.process, "exit");
    await t.stop();
  });

  it("end with UNAUTHENTICATED within a second of their caller's token being revoked, on every replica", async () => {
    const secret = await createToken(t.db.url, "stream-reader", ["alerts:read", "events:read"]);
    const caller = bearer(secret);
    const tokenId = (await t.db.query<{ id: string }>("SELECT id FROM service_tokens WHERE name = 'stream-reader'"))[0]!
      .id;
    const here = `127.0.0.1:${t.warden.grpcPort}`;
    const there = `127.0.0.1:${replica.port}`;
    const alerts = [
      new AlertServiceClient(here, credentials.createInsecure()),
      new AlertServiceClient(there, credentials.createInsecure()),
    ];
    const audits = [
      new AuditServiceClient(here, credentials.createInsecure()),
      new AuditServiceClient(there, credentials.createInsecure()),
    ];
    try {
      const watches = alerts.map((client) => client.watchAlerts(WatchAlertsRequest.fromPartial({}), caller));
      const exports = audits.map((client) => {
        const stream = client.exportEvents(EXPORT_RANGE, caller);
        // A reader that keeps up, slowly: the export outlives the revocation.
        stream.on("data", () => {
          stream.pause();
          setTimeout(() => stream.resume(), 40);
        });
        return stream;
      });
      const endings = [...watches, ...exports].map(ending);
      await new Promise((resolve) => setTimeout(resolve, 700));

      await t.tokens.revokeServiceToken(
        RevokeServiceTokenRequest.fromPartial({ token: { id: tokenId }, reason: "test" }),
        {
          metadata: admin,
        },
      );
      // Counted from the revoking transaction's start, not from the admin call's: how long the call took to
      // reach the database is no part of how fast streams learn of the revocation.
      const revokedAt = (
        await t.db.query<{ ms: number }>(
          "SELECT (extract(epoch FROM revoked_at) * 1000)::float8 AS ms FROM service_tokens WHERE id = $1",
          [tokenId],
        )
      )[0]!.ms;
      const ended = await Promise.all(endings);
      for (const end of ended) {
        expect(end.code).toBe(status.UNAUTHENTICATED);
        expect(end.details).toMatch(/no longer valid/);
        expect(end.at - revokedAt).toBeLessThan(1000);
      }
    } finally {
      for (const client of [...alerts, ...audits]) client.close();
    }
  });

  it("end at their maximum lifetime", async () => {
    const bounded = await startTestWarden(
      { WARDEN_LOCKOUT_ENABLED: "false", WARDEN_RISK_ENABLED: "false", WARDEN_STREAM_MAX_LIFETIME_MS: "1500" },
      {},
      t.db,
    );
    const alerts = new AlertServiceClient(`127.0.0.1:${bounded.warden.grpcPort}`, credentials.createInsecure());
    try {
      const opened = Date.now();
      const end = await ending(alerts.watchAlerts(WatchAlertsRequest.fromPartial({}), admin));
      expect(end.code).toBe(status.DEADLINE_EXCEEDED);
      expect(end.details).toMatch(/maximum lifetime of 1500 ms/);
      expect(end.at - opened).toBeGreaterThanOrEqual(1400);
    } finally {
      alerts.close();
      await bounded.stop();
    }
  });

  it("end when the client reads nothing for too long", async () => {
    const bounded = await startTestWarden(
      { WARDEN_LOCKOUT_ENABLED: "false", WARDEN_RISK_ENABLED: "false", WARDEN_STREAM_DRAIN_TIMEOUT_MS: "300" },
      {},
      t.db,
    );
    // A client that grants the stream no flow-control window: the server can send nothing, so its writes back up
    // after a few pages, whatever the machine's buffers and speed.
    const session = http2.connect(`http://127.0.0.1:${bounded.warden.grpcPort}`, {
      settings: { initialWindowSize: 0 },
    });
    try {
      const body = ExportEventsRequest.encode(EXPORT_RANGE).finish();
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      const stream = session.request({
        ":method": "POST",
        ":path": "/warden.v1.AuditService/ExportEvents",
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${adminSecret}`,
      });
      stream.end(frame);
      const trailers = once(stream, "trailers") as Promise<[http2.IncomingHttpHeaders]>;
      await eventually(async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${bounded.warden.httpPort}/metrics`)).text();
        return /warden_rpc_total\{method="ExportEvents",code="RESOURCE_EXHAUSTED"\} 1/.test(metrics) ? true : undefined;
      }, 20_000);
      // Once the server has given up, the client reads again and hears why, after the messages already sent.
      session.settings({ initialWindowSize: 16 * 1024 * 1024 });
      stream.on("data", () => undefined);
      const [ended] = await trailers;
      expect(ended["grpc-status"]).toBe(String(status.RESOURCE_EXHAUSTED));
      expect(decodeURIComponent(String(ended["grpc-message"]))).toMatch(/read nothing for 300 ms/);
    } finally {
      session.close();
      await bounded.stop();
    }
  });
});

describe("the server's own bound on a unary call", () => {
  let t: TestWarden;
  let raw: Client;

  beforeAll(async () => {
    t = await startTestWarden({ WARDEN_RPC_TIMEOUT_MS: "700" });
    raw = new Client(`127.0.0.1:${t.warden.grpcPort}`, credentials.createInsecure());
  });
  afterAll(async () => {
    raw.close();
    await t.stop();
  });

  it("ends a call whose caller set no deadline after WARDEN_RPC_TIMEOUT_MS, and cancels its query, whichever calls end around it", async () => {
    const admin = bearer(await createToken(t.db.url, "bounded-admin", ["admin"]));
    // Without a deadline from the client grpc-js never times a call out, so only Warden's own bound can.
    const listAudit = (deadlineMs?: number) =>
      new Promise<{ code: status | undefined; ms: number }>((resolve) => {
        const identity = (bytes: Buffer) => bytes;
        const started = Date.now();
        raw.makeUnaryRequest(
          "/warden.v1.AuditService/ListAuditRecords",
          identity,
          identity,
          Buffer.alloc(0),
          admin,
          deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
          (e) => resolve({ code: e?.code, ms: Date.now() - started }),
        );
      });
    const waiting = async () =>
      (
        await t.db.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'warden' AND wait_event_type = 'Lock'
              AND query LIKE '%Keyset page, newest first%audit_records%'`,
        )
      ).length;
    // Answered once unhindered, so the caller's token is cached and only the read itself waits.
    expect((await listAudit()).code).toBeUndefined();
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE audit_records IN ACCESS EXCLUSIVE MODE");
      const bounded = await listAudit();
      expect(bounded.code).toBe(status.DEADLINE_EXCEEDED);
      expect(bounded.ms).toBeGreaterThanOrEqual(650);
      expect(bounded.ms).toBeLessThan(3000);
      expect(await eventually(async () => ((await waiting()) === 0 ? true : undefined), 2000)).toBe(true);

      // Three waiting calls, the middle one with an earlier deadline of its caller's: once it is
      // cut short, the calls around it still end at Warden's own bound.
      const first = listAudit();
      expect(await eventually(async () => ((await waiting()) === 1 ? true : undefined), 1000)).toBe(true);
      const middle = listAudit(450);
      expect(await eventually(async () => ((await waiting()) === 2 ? true : undefined), 1000)).toBe(true);
      const last = listAudit();
      // All three linked before the middle one leaves, so it leaves from between the other two.
      expect(await eventually(async () => ((await waiting()) === 3 ? true : undefined), 1000)).toBe(true);
      expect((await middle).code).toBe(status.DEADLINE_EXCEEDED);
      for (const ended of [await first, await last]) {
        expect(ended.code).toBe(status.DEADLINE_EXCEEDED);
        expect(ended.ms).toBeGreaterThanOrEqual(650);
        expect(ended.ms).toBeLessThan(3000);
      }
      expect(await eventually(async () => ((await waiting()) === 0 ? true : undefined), 2000)).toBe(true);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
  });
});
