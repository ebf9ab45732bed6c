import { credentials, status, type Metadata } from "@grpc/grpc-js";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuditServiceClient,
  ExportAuditRequest,
  ExportEventsRequest,
  ExportFormat,
  GetSecuritySummaryRequest,
  ListAuditRecordsRequest,
  SummaryBucket,
  VerifyAuditChainRequest,
  type ExportEventsResponse,
  type GetSecuritySummaryResponse,
  type AuditRecord,
  type ListAuditRecordsResponse,
  type VerifyAuditChainResponse,
} from "../src/gen/warden/v1/audit_service.js";
import {
  CreateServiceTokenRequest,
  RevokeAllServiceTokensRequest,
  RevokeServiceTokenRequest,
  RotateServiceTokenRequest,
} from "../src/gen/warden/v1/token_service.js";
import { LogEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import { AuthenticationEvent, EventType, Outcome, PrincipalKind, Severity } from "../src/gen/warden/v1/event.js";
import { pino } from "pino";
import { DEFAULT_RETENTION, planRetention, runRetention } from "../src/audit/retention.js";
import { createPool } from "../src/db/pool.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  bearer,
  callError,
  createTokenWithCli,
  startTestWarden,
  wardenCli,
  type TestWarden,
} from "./support/warden.js";

function auditClient(address: string) {
  const client = new AuditServiceClient(address, credentials.createInsecure());
  const list = (request: Partial<ListAuditRecordsRequest>, metadata: Metadata) =>
    new Promise<ListAuditRecordsResponse>((resolve, reject) =>
      client.listAuditRecords(ListAuditRecordsRequest.fromPartial(request), metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const verify = (request: Partial<VerifyAuditChainRequest>, metadata: Metadata) =>
    new Promise<VerifyAuditChainResponse>((resolve, reject) =>
      client.verifyAuditChain(VerifyAuditChainRequest.fromPartial(request), metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const summary = (request: Partial<GetSecuritySummaryRequest>, metadata: Metadata) =>
    new Promise<GetSecuritySummaryResponse>((resolve, reject) =>
      client.getSecuritySummary(GetSecuritySummaryRequest.fromPartial(request), metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  /** Streams an export, handing each chunk to `onChunk` and keeping nothing. */
  const exportEvents = (
    request: Partial<ExportEventsRequest>,
    metadata: Metadata,
    onChunk: (chunk: ExportEventsResponse) => void,
  ) =>
    new Promise<void>((resolve, reject) => {
      const stream = client.exportEvents(ExportEventsRequest.fromPartial(request), metadata);
      stream.on("data", onChunk);
      stream.on("error", reject);
      stream.on("end", resolve);
    });
  return { list, verify, summary, exportEvents, close: () => client.close() };
}

interface Fixture {
  db: TestDatabase;
  t: TestWarden;
  admin: Metadata;
  audit: ReturnType<typeof auditClient>;
  stop(): Promise<void>;
}

/** A server on a database of its own: tampering tests break the chain on purpose. */
async function fixture(): Promise<Fixture> {
  const db = await createTestDatabase();
  // Only the events the tests report: no lockout or risk events of Warden's own.
  const t = await startTestWarden({ WARDEN_LOCKOUT_ENABLED: "false", WARDEN_RISK_ENABLED: "false" }, {}, db);
  const admin = bearer(await createTokenWithCli(db.url, "audit-admin", "admin"));
  const audit = auditClient(`127.0.0.1:${t.warden.grpcPort}`);
  return {
    db,
    t,
    admin,
    audit,
    async stop() {
      audit.close();
      await t.stop();
      await db.drop();
    },
  };
}

const withRequestId = (metadata: Metadata, id: string) => {
  const copy = metadata.clone();
  copy.set("x-request-id", id);
  return copy;
};

async function allRecords(f: Fixture): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let pageToken = "";
  do {
    const page = await f.audit.list({ pageSize: 7, pageToken }, f.admin);
    records.push(...page.records);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return records;
}

describe("audit records", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(async () => f.stop());

  it("records each token action in its transaction, with actor, request id, address, before and after, never a secret", async () => {
    const created = await f.t.tokens.createServiceToken(
      CreateServiceTokenRequest.fromPartial({ name: "audited", scopes: ["events:write"] }),
      { metadata: withRequestId(f.admin, "req-create") },
    );
    const rotated = await f.t.tokens.rotateServiceToken(
      RotateServiceTokenRequest.fromPartial({ token: { name: "audited" } }),
      { metadata: withRequestId(f.admin, "req-rotate") },
    );
    await f.t.tokens.revokeServiceToken(
      RevokeServiceTokenRequest.fromPartial({ token: { name: "audited" }, reason: "done" }),
      { metadata: f.admin },
    );
    // A refused change records nothing.
    await callError(
      f.t.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial({ name: "audit-admin", scopes: ["admin"] }), {
        metadata: f.admin,
      }),
    );

    const id = created.token!.id;
    const records = (await allRecords(f)).filter((r) => r.target === `service_token:${id}`);
    expect(records.map((r) => [r.action, r.target])).toEqual([
      ["service_token.revoke", `service_token:${id}`],
      ["service_token.rotate", `service_token:${id}`],
      ["service_token.create", `service_token:${id}`],
    ]);
    const [revoke, rotate, create] = records as [AuditRecord, AuditRecord, AuditRecord];
    expect(create).toMatchObject({
      actor: "service_token:audit-admin",
      requestId: "req-create",
      clientIp: "127.0.0.1",
    });
    expect(rotate.requestId).toBe("req-rotate");
    expect(create.beforeJson).toBe("");
    expect(JSON.parse(create.afterJson)).toMatchObject({
      name: "audited",
      scopes: ["events:write"],
      state: "SERVICE_TOKEN_STATE_ACTIVE",
    });
    expect(JSON.parse(revoke.beforeJson)).toMatchObject({ state: "SERVICE_TOKEN_STATE_ACTIVE" });
    expect(JSON.parse(revoke.beforeJson)).toHaveProperty("lastRotatedAt");
    expect(JSON.parse(revoke.afterJson)).toMatchObject({ state: "SERVICE_TOKEN_STATE_REVOKED", revokedReason: "done" });

    const everything = JSON.stringify(await allRecords(f));
    for (const secret of [created.secret, rotated.secret]) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(createHash("sha256").update(secret).digest("hex"));
    }
  });

  it("records an emergency revocation once, naming every token revoked", async () => {
    const before = (await allRecords(f)).length;
    const { revokedCount } = await f.t.tokens.revokeAllServiceTokens(
      RevokeAllServiceTokensRequest.fromPartial({ confirmation: "REVOKE ALL SERVICE TOKENS", reason: "drill" }),
      { metadata: f.admin },
    );
    // The admin token went too; the CLI makes another, and records that as well.
    f.admin = bearer(await createTokenWithCli(f.db.url, "audit-admin-2", "audit:read"));
    const records = await allRecords(f);
    expect(records.map((r) => [r.action, r.actor])).toEqual(
      expect.arrayContaining([["service_token.revoke_all", "service_token:audit-admin"]]),
    );
    expect(records).toHaveLength(before + 2);
    expect(records[0]).toMatchObject({
      action: "service_token.create",
      actor: expect.stringMatching(/^cli:/) as unknown,
    });
    expect(records[1]!.action).toBe("service_token.revoke_all");
    expect((JSON.parse(records[1]!.afterJson) as { revoked: string[] }).revoked).toHaveLength(revokedCount);
  });

  it("filters in SQL, pages by keyset, and checks scope and input", async () => {
    const revokes = await f.audit.list({ action: "service_token.revoke" }, f.admin);
    expect(revokes.records.map((r) => r.action)).toEqual(["service_token.revoke"]);
    const later = await f.audit.list({ recordedAfter: new Date(Date.now() + 60_000) }, f.admin);
    expect(later.records).toEqual([]);
    const tooBig = await callError(f.audit.list({ pageSize: 1001 }, f.admin));
    expect([tooBig.code, tooBig.details]).toEqual([status.INVALID_ARGUMENT, "page_size: at most 1000"]);
    const badToken = await callError(f.audit.list({ pageToken: "x" }, f.admin));
    expect(badToken.code).toBe(status.INVALID_ARGUMENT);
    const reader = bearer(await createTokenWithCli(f.db.url, "not-an-auditor", "events:read"));
    const denied = await callError(f.audit.list({}, reader));
    expect([denied.code, denied.details]).toEqual([status.PERMISSION_DENIED, "missing scope audit:read"]);
  });

  it("refuses a filter with a NUL or over 1,024 characters with INVALID_ARGUMENT naming it", async () => {
    const before = await allRecords(f);
    for (const field of ["actor", "action", "target"] as const) {
      const nul = await callError(f.audit.list({ [field]: "service_token.revoke\u0000" }, f.admin));
      expect([nul.code, nul.details]).toEqual([status.INVALID_ARGUMENT, `${field}: contains a NUL character`]);
      const long = await callError(f.audit.list({ [field]: "x".repeat(1025) }, f.admin));
      expect([long.code, long.details]).toEqual([status.INVALID_ARGUMENT, `${field}: longer than 1024 characters`]);
      expect((await f.audit.list({ [field]: "x".repeat(1024) }, f.admin)).records).toEqual([]);
    }
    expect(await allRecords(f)).toEqual(before);
  });
});

describe("configuration changes", () => {
  it("audits a lockout policy when a replica starts with a different one, and not when it is unchanged", async () => {
    const db = await createTestDatabase();
    const changes = () =>
      db.query<{ target: string; before: { max_failures: number } | null; after: { max_failures: number } }>(
        "SELECT target, before, after FROM audit_records WHERE action = 'configuration.lockout_policy' ORDER BY seq",
      );
    try {
      await (await startTestWarden({}, {}, db)).stop();
      const created = await changes();
      expect(created.map((c) => [c.target, c.before])).toEqual([
        ["lockout_policy:SUBJECT", null],
        ["lockout_policy:SUBJECT_IP", null],
        ["lockout_policy:IP", null],
      ]);
      await (await startTestWarden({}, {}, db)).stop();
      expect(await changes()).toHaveLength(3);
      await (await startTestWarden({ WARDEN_LOCKOUT_SUBJECT: "max_failures=7" }, {}, db)).stop();
      const all = await changes();
      expect(all).toHaveLength(4);
      expect(all[3]).toMatchObject({
        target: "lockout_policy:SUBJECT",
        before: { max_failures: created[0]!.after.max_failures },
        after: { max_failures: 7 },
      });
      const [actor] = await db.query<{ actor: string }>("SELECT actor FROM audit_records ORDER BY seq DESC LIMIT 1");
      expect(actor!.actor).toMatch(/^config:/);
    } finally {
      await db.drop();
    }
  });
});

describe("the hash chain", () => {
  it("holds under concurrent writers, and a fork cannot be stored", async () => {
    const f = await fixture();
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          f.t.tokens.createServiceToken(
            CreateServiceTokenRequest.fromPartial({ name: `parallel-${i}`, scopes: ["events:write"] }),
            { metadata: f.admin },
          ),
        ),
      );
      expect(await f.audit.verify({}, f.admin)).toEqual({
        intact: true,
        // The 40, and the admin token the CLI made.
        recordsChecked: 41,
        firstBrokenSeq: 0,
        problem: "",
      });
      const fork = f.db.query(
        `INSERT INTO audit_records (record_id, recorded_at, actor, action, target, prev_hash, hash)
         SELECT gen_random_uuid(), now(), 'mallory', 'service_token.create', 'x', prev_hash, hash
         FROM audit_records ORDER BY seq DESC LIMIT 1`,
      );
      await expect(fork).rejects.toThrow(/audit_records_prev_hash_idx/);
    } finally {
      await f.stop();
    }
  });

  it("finds a record edited in SQL, and one removed", async () => {
    const f = await fixture();
    try {
      for (let i = 0; i < 5; i += 1) {
        await f.t.tokens.createServiceToken(
          CreateServiceTokenRequest.fromPartial({ name: `chained-${i}`, scopes: ["events:write"] }),
          { metadata: f.admin },
        );
      }
      const seqs = (await f.db.query<{ seq: string }>("SELECT seq::text FROM audit_records ORDER BY seq")).map((r) =>
        Number(r.seq),
      );
      expect((await f.audit.verify({}, f.admin)).intact).toBe(true);

      await f.db.query(`UPDATE audit_records SET after = jsonb_set(after, '{scopes}', '["admin"]') WHERE seq = $1`, [
        seqs[2],
      ]);
      expect(await f.audit.verify({}, f.admin)).toEqual({
        intact: false,
        recordsChecked: 6,
        firstBrokenSeq: seqs[2],
        problem: "its hash no longer matches its content: the record was altered",
      });
      // A range after the edit is still intact on its own.
      expect((await f.audit.verify({ fromSeq: seqs[3] }, f.admin)).intact).toBe(true);

      await f.db.query("DELETE FROM audit_records WHERE seq = $1", [seqs[3]]);
      const removed = await f.audit.verify({ fromSeq: seqs[3] }, f.admin);
      expect(removed).toMatchObject({ intact: false, firstBrokenSeq: seqs[4] });
      expect(removed.problem).toMatch(/does not name its predecessor's hash/);

      const backwards = await callError(f.audit.verify({ fromSeq: 5, toSeq: 2 }, f.admin));
      expect(backwards.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      await f.stop();
    }
  });
});

describe("GetSecuritySummary", () => {
  it("equals counts made by hand from a fixture", async () => {
    const f = await fixture();
    try {
      const at = (day: number, time: string) => new Date(`2025-03-0${day}T${time}:00Z`);
      const events = [
        {
          at: at(1, "10:00"),
          type: EventType.LOGIN_FAILURE,
          outcome: Outcome.FAILURE,
          subject: "alice",
          ip: "10.0.0.1",
        },
        {
          at: at(1, "10:05"),
          type: EventType.LOGIN_FAILURE,
          outcome: Outcome.FAILURE,
          subject: "alice",
          ip: "10.0.0.2",
        },
        {
          at: at(1, "11:00"),
          type: EventType.LOGIN_SUCCESS,
          outcome: Outcome.SUCCESS,
          subject: "alice",
          ip: "10.0.0.1",
        },
        {
          at: at(1, "12:00"),
          type: EventType.TOKEN_AUTH_FAILURE,
          outcome: Outcome.FAILURE,
          token: "billing",
          ip: "10.0.0.2",
          severity: Severity.WARNING,
        },
        {
          at: at(2, "09:00"),
          type: EventType.ACCOUNT_LOCKED,
          outcome: Outcome.FAILURE,
          subject: "bob",
          ip: "10.0.0.3",
          severity: Severity.WARNING,
        },
        { at: at(2, "09:01"), type: EventType.LOGIN_FAILURE, outcome: Outcome.FAILURE, subject: "bob", ip: "10.0.0.2" },
        {
          at: at(2, "23:59"),
          type: EventType.TOKEN_AUTH_FAILURE,
          outcome: Outcome.FAILURE,
          token: "billing",
          ip: "10.0.0.2",
          severity: Severity.WARNING,
        },
        // Outside the range (its end is exclusive).
        {
          at: at(3, "00:00"),
          type: EventType.LOGIN_FAILURE,
          outcome: Outcome.FAILURE,
          subject: "carol",
          ip: "10.0.0.9",
        },
      ];
      await f.t.client.logEvents(
        LogEventsRequest.fromPartial({
          events: events.map((e) =>
            AuthenticationEvent.fromPartial({
              type: e.type,
              outcome: e.outcome,
              severity: e.severity ?? Severity.INFO,
              occurredAt: e.at,
              principal:
                e.token === undefined
                  ? { subject: e.subject, kind: PrincipalKind.USER }
                  : { subject: "tok-billing", kind: PrincipalKind.SERVICE_TOKEN, serviceTokenName: e.token },
              client: { ipAddress: e.ip },
            }),
          ),
        }),
      );
      await f.db.query(
        `INSERT INTO alerts (alert_id, rule, fingerprint, group_key, severity, summary, first_seen_at, last_seen_at, created_at)
         SELECT gen_random_uuid(), 'r', 'r/all', 'all', s::alert_severity, 's', now(), now(), '2025-03-01T08:00:00Z'
         FROM unnest(ARRAY['HIGH', 'HIGH', 'CRITICAL']) AS s`,
      );

      const summary = await f.audit.summary(
        { from: at(1, "00:00"), to: at(3, "00:00"), bucket: SummaryBucket.DAY, top: 5 },
        f.admin,
      );
      const kc = (pairs: [string, number][]) => pairs.map(([key, count]) => ({ key, count }));
      expect(summary).toEqual({
        buckets: [
          {
            start: at(1, "00:00"),
            byType: kc([
              ["LOGIN_FAILURE", 2],
              ["LOGIN_SUCCESS", 1],
              ["TOKEN_AUTH_FAILURE", 1],
            ]),
            byOutcome: kc([
              ["FAILURE", 3],
              ["SUCCESS", 1],
            ]),
            bySeverity: kc([
              ["INFO", 3],
              ["WARNING", 1],
            ]),
          },
          {
            start: at(2, "00:00"),
            byType: kc([
              ["ACCOUNT_LOCKED", 1],
              ["LOGIN_FAILURE", 1],
              ["TOKEN_AUTH_FAILURE", 1],
            ]),
            byOutcome: kc([["FAILURE", 3]]),
            bySeverity: kc([
              ["WARNING", 2],
              ["INFO", 1],
            ]),
          },
        ],
        topFailingSubjects: kc([
          ["alice", 2],
          ["bob", 2],
        ]),
        topFailingIps: kc([
          ["10.0.0.2", 4],
          ["10.0.0.1", 1],
          ["10.0.0.3", 1],
        ]),
        topFailingServiceTokens: kc([["billing", 2]]),
        lockouts: 1,
        alertsBySeverity: kc([
          ["CRITICAL", 1],
          ["HIGH", 2],
        ]),
      });

      const hourly = await f.audit.summary(
        { from: at(1, "00:00"), to: at(2, "00:00"), bucket: SummaryBucket.HOUR },
        f.admin,
      );
      expect(hourly.buckets.map((b) => [b.start!.toISOString(), b.byType.reduce((n, c) => n + c.count, 0)])).toEqual([
        ["2025-03-01T10:00:00.000Z", 2],
        ["2025-03-01T11:00:00.000Z", 1],
        ["2025-03-01T12:00:00.000Z", 1],
      ]);
      const missing = await callError(f.audit.summary({ to: at(2, "00:00") }, f.admin));
      expect([missing.code, missing.details]).toEqual([status.INVALID_ARGUMENT, "from: required"]);
      const tooLong = await callError(
        f.audit.summary({ from: new Date("2020-01-01"), to: new Date("2022-01-01") }, f.admin),
      );
      expect([tooLong.code, tooLong.details]).toEqual([status.INVALID_ARGUMENT, "to: at most 366 days after from"]);
    } finally {
      await f.stop();
    }
  });
});

describe("ExportEvents", () => {
  it("needs events:read, as ListEvents does, not audit:read", async () => {
    const f = await fixture();
    try {
      const range = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) };
      const auditor = bearer(await createTokenWithCli(f.db.url, "only-an-auditor", "audit:read"));
      const denied = await callError(f.audit.exportEvents(range, auditor, () => undefined));
      expect([denied.code, denied.details]).toEqual([status.PERMISSION_DENIED, "missing scope events:read"]);
      const reader = bearer(await createTokenWithCli(f.db.url, "events-reader", "events:read"));
      let rows = 0;
      await f.audit.exportEvents(range, reader, (chunk) => (rows = chunk.rowsSoFar));
      expect(rows).toBeGreaterThan(0);
    } finally {
      await f.stop();
    }
  });

  it("streams 100,000 events with memory flat, reporting progress", async () => {
    const f = await fixture();
    try {
      await f.db.query(
        `INSERT INTO security_events (event_id, occurred_at, type, severity, outcome, subject, client_ip, user_agent, details)
         SELECT gen_random_uuid(), timestamptz '2025-01-01' + g * interval '1 millisecond', 'LOGIN_FAILURE', 'INFO',
           'FAILURE', 'user-' || (g % 5000), ('10.1.' || (g % 250) || '.' || (g % 200))::inet,
           'Mozilla/5.0 (X11; Linux x86_64) export-test ' || g, jsonb_build_object('attempt', g::text, 'pad', repeat('x', 120))
         FROM generate_series(1, 100000) g`,
      );
      // What stays live, sampled with garbage collected: it must not grow with the export.
      const collect = global.gc;
      if (collect === undefined) throw new Error("run with --expose-gc (vitest.config.ts sets it)");
      collect();
      const baseline = process.memoryUsage().heapUsed;
      let peak = baseline;
      let bytes = 0;
      let lines = 0;
      const progress: number[] = [];
      await f.audit.exportEvents(
        { from: new Date("2025-01-01"), to: new Date("2025-01-02"), format: ExportFormat.JSONL },
        f.admin,
        (chunk) => {
          bytes += chunk.data.length;
          for (const byte of chunk.data) if (byte === 10) lines += 1;
          progress.push(chunk.rowsSoFar);
          if (progress.length % 10 === 0) {
            collect();
            peak = Math.max(peak, process.memoryUsage().heapUsed);
          }
        },
      );
      expect(lines).toBe(100_000);
      expect(progress.at(-1)).toBe(100_000);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      // The export is far larger than what was ever live at once.
      expect(bytes).toBeGreaterThan(40 * 1024 * 1024);
      expect(peak - baseline).toBeLessThan(16 * 1024 * 1024);
      console.log(
        `export: ${(bytes / 2 ** 20).toFixed(1)} MiB sent; heap peak +${((peak - baseline) / 2 ** 20).toFixed(1)} MiB`,
      );
    } finally {
      await f.stop();
    }
  });

  it("exports the audit trail as JSON Lines, oldest first", async () => {
    const f = await fixture();
    try {
      for (const name of ["exported-1", "exported-2"]) {
        await f.t.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial({ name, scopes: ["events:read"] }), {
          metadata: f.admin,
        });
      }
      let text = "";
      await new Promise<void>((resolve, reject) => {
        const client = new AuditServiceClient(`127.0.0.1:${f.t.warden.grpcPort}`, credentials.createInsecure());
        const stream = client.exportAudit(
          ExportAuditRequest.fromPartial({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) }),
          f.admin,
        );
        stream.on("data", (chunk: ExportEventsResponse) => (text += Buffer.from(chunk.data).toString("utf8")));
        stream.on("error", reject);
        stream.on("end", () => {
          client.close();
          resolve();
        });
      });
      const records = text
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { seq: string; action: string; target: string });
      const listed = (await f.audit.list({}, f.admin)).records.reverse();
      expect(records.map((r) => [Number(r.seq), r.action, r.target])).toEqual(
        listed.map((r) => [r.seq, r.action, r.target]),
      );
      expect(records).toHaveLength(3);
    } finally {
      await f.stop();
    }
  });

  it("writes CSV with a header and quotes what needs quoting", async () => {
    const f = await fixture();
    try {
      await f.t.client.logEvents(
        LogEventsRequest.fromPartial({
          events: [
            AuthenticationEvent.fromPartial({
              type: EventType.LOGIN_FAILURE,
              outcome: Outcome.FAILURE,
              occurredAt: new Date("2025-02-01T10:00:00Z"),
              principal: { subject: '=cmd|"x"', kind: PrincipalKind.USER },
              client: { ipAddress: "10.0.0.1", userAgent: "a, b" },
            }),
          ],
        }),
      );
      let text = "";
      await f.audit.exportEvents(
        { from: new Date("2025-02-01"), to: new Date("2025-02-02"), format: ExportFormat.CSV },
        f.admin,
        (chunk) => (text += chunk.data.toString("utf8")),
      );
      const [header, row, end] = text.split("\n");
      expect(header).toBe(
        "event_id,occurred_at,received_at,type,severity,outcome,subject,principal_kind,email,service_token_name,token_id,client_ip,user_agent,request_id,source_service,failure_reason,risk_score,risk_signals,details,identity_provider",
      );
      // Quoted, and made text so a spreadsheet does not run it as a formula.
      expect(row).toContain(`,"'=cmd|""x""",USER,`);
      expect(row).toContain(',10.0.0.1,"a, b",');
      expect(end).toBe("");
    } finally {
      await f.stop();
    }
  });
});

describe("retention", () => {
  it("removes only expired events, by severity, in batches; prunes audit records past 7 years and records it", async () => {
    const f = await fixture();
    try {
      await f.db.query(
        `INSERT INTO security_events (event_id, occurred_at, type, severity, outcome, subject)
         SELECT gen_random_uuid(), now() - make_interval(days => d), 'LOGIN_FAILURE', s::event_severity, 'FAILURE', label
         FROM (VALUES (100, 'INFO', 'info-old'), (10, 'INFO', 'info-new'), (200, 'WARNING', 'warning-kept'),
                      (400, 'CRITICAL', 'critical-old'), (300, 'CRITICAL', 'critical-kept')) AS v(d, s, label)`,
      );
      for (const name of ["kept-1", "kept-2"]) {
        await f.t.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial({ name, scopes: ["events:read"] }), {
          metadata: f.admin,
        });
      }
      // The CLI's admin token and the first created are from long ago (their hashes no longer matter once pruned).
      const oldest = await f.db.query<{ seq: string }>("SELECT seq::text FROM audit_records ORDER BY seq LIMIT 2");
      await f.db.query(
        "UPDATE audit_records SET recorded_at = now() - interval '8 years' WHERE seq = ANY($1::bigint[])",
        [oldest.map((r) => r.seq)],
      );
      const subjects = async () =>
        (
          await f.db.query<{ subject: string }>(
            "SELECT subject FROM security_events WHERE type = 'LOGIN_FAILURE' ORDER BY subject",
          )
        ).map((r) => r.subject);
      const everything = await subjects();

      const dryRun = await wardenCli(f.db.url, ["retention", "run", "--dry-run"]);
      expect(dryRun).toMatch(/^events:INFO\twould remove 1\t/m);
      expect(dryRun).toMatch(/^events:WARNING\twould remove 0\t/m);
      expect(dryRun).toMatch(/^events:CRITICAL\twould remove 1\t/m);
      expect(dryRun).toMatch(/^audit\twould remove 2\t/m);
      expect(await subjects()).toEqual(everything);

      const run = await wardenCli(f.db.url, ["retention", "run"]);
      expect(run).toMatch(/^events:INFO\tremoved 1\t/m);
      expect(run).toMatch(/^audit\tremoved 2\t/m);
      expect(await subjects()).toEqual(everything.filter((s) => s !== "info-old" && s !== "critical-old"));
      const actions = await f.db.query<{ action: string }>("SELECT action FROM audit_records ORDER BY seq");
      expect(actions.map((r) => r.action)).toEqual(["service_token.create", "audit.prune"]);
      // The chain now starts at the recorded anchor, and still checks out.
      expect((await f.audit.verify({}, f.admin)).intact).toBe(true);
      // Removing its first record without a recorded prune is caught.
      await f.db.query("DELETE FROM audit_records WHERE seq = (SELECT min(seq) FROM audit_records)");
      expect((await f.audit.verify({}, f.admin)).intact).toBe(false);
    } finally {
      await f.stop();
    }
  });
});

describe("retention by partition", () => {
  it("drops whole months every severity has outlived, keeping the rest", async () => {
    const f = await fixture();
    const pool = createPool(
      { url: f.db.url, max: 2, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 },
      pino({ level: "silent" }),
    );
    try {
      const [placed] = await f.db.query<{ partition: string }>(
        `INSERT INTO security_events (event_id, occurred_at, type, severity, outcome, subject)
         VALUES (gen_random_uuid(), date_trunc('month', now(), 'UTC') + interval '1 month 1 day', 'LOGOUT', 'CRITICAL', 'SUCCESS', 'next-month')
         RETURNING tableoid::regclass::text AS partition`,
      );
      expect(placed!.partition).toMatch(/^security_events_\d{4}_\d{2}$/);
      // Two years on, that month is past every severity's limit, audit records are not.
      const later = new Date(Date.now() + 2 * 365 * 86_400_000);
      const planned = await planRetention(pool, DEFAULT_RETENTION, later);
      expect(planned).toContainEqual(expect.objectContaining({ what: `partition:${placed!.partition}`, rows: 1 }));
      expect(await f.db.query("SELECT to_regclass($1) IS NOT NULL AS exists", [placed!.partition])).toEqual([
        { exists: true },
      ]);

      const lines = await runRetention(pool, DEFAULT_RETENTION, later, { principal: "test" });
      expect(lines).toContainEqual(expect.objectContaining({ what: `partition:${placed!.partition}`, rows: 1 }));
      expect(await f.db.query("SELECT to_regclass($1) IS NOT NULL AS exists", [placed!.partition])).toEqual([
        { exists: false },
      ]);
      expect(await f.db.query("SELECT count(*)::int AS n FROM security_events WHERE subject = 'next-month'")).toEqual([
        { n: 0 },
      ]);
      expect(
        await f.db.query("SELECT to_regclass('security_events_before_partitioning') IS NOT NULL AS exists"),
      ).toEqual([{ exists: true }]);
      expect(lines.find((line) => line.what === "audit")!.rows).toBe(0);
    } finally {
      await pool.end();
      await f.stop();
    }
  });
});

describe("warden export", () => {
  it("writes a range to a file as CSV", async () => {
    const f = await fixture();
    try {
      await f.db.query(
        `INSERT INTO security_events (event_id, occurred_at, type, severity, outcome, subject)
         SELECT gen_random_uuid(), timestamptz '2025-05-01' + g * interval '1 minute', 'LOGIN_SUCCESS', 'INFO', 'SUCCESS', 'u' || g
         FROM generate_series(0, 2499) g`,
      );
      const file = path.join(await mkdtemp(path.join(tmpdir(), "warden-export-")), "events.csv");
      await wardenCli(f.db.url, [
        "export",
        "--from",
        "2025-05-01T00:00:00Z",
        "--to",
        "2025-05-02T00:00:00Z",
        "--format",
        "csv",
        "--out",
        file,
      ]);
      const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
      expect(lines).toHaveLength(1 + 1440);
      expect(lines[1]).toContain(",u0,");
      expect(lines.at(-1)).toContain(",u1439,");

      // And the audit trail, with its hashes in hex, matching what ListAuditRecords returns.
      const auditFile = path.join(path.dirname(file), "audit.csv");
      const now = Date.now();
      await wardenCli(f.db.url, [
        "export",
        "--audit",
        "--from",
        new Date(now - 3_600_000).toISOString(),
        "--to",
        new Date(now + 60_000).toISOString(),
        "--format",
        "csv",
        "--out",
        auditFile,
      ]);
      const audit = (await readFile(auditFile, "utf8")).trimEnd().split("\n");
      expect(audit[0]).toBe(
        "seq,record_id,recorded_at,actor,action,target,request_id,client_ip,before,after,prev_hash,hash",
      );
      const [listed] = (await f.audit.list({}, f.admin)).records.slice(-1);
      expect(audit[1]).toContain(`,${Buffer.from(listed!.hash).toString("hex")}`);
      expect(audit).toHaveLength(2);
    } finally {
      await f.stop();
    }
  });
});
