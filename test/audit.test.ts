import { credentials, status, type Metadata } from "@grpc/grpc-js";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuditServiceClient,
  ListAuditRecordsRequest,
  VerifyAuditChainRequest,
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
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { bearer, callError, createTokenWithCli, startTestWarden, type TestWarden } from "./support/warden.js";

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
  return { list, verify, close: () => client.close() };
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
  const t = await startTestWarden({ WARDEN_LOCKOUT_ENABLED: "false" }, {}, db);
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
