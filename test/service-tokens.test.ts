import { status, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason, PrincipalKind } from "../src/gen/warden/v1/event.js";
import {
  CreateServiceTokenRequest,
  GetServiceTokenRequest,
  ListServiceTokensRequest,
  RevokeAllServiceTokensRequest,
  RevokeServiceTokenRequest,
  RotateServiceTokenRequest,
  ServiceTokenState,
} from "../src/gen/warden/v1/token_service.js";
import { generateServiceToken, isWellFormedServiceToken } from "../src/tokens/format.js";
import { createPool } from "../src/db/pool.js";
import { ServiceTokens } from "../src/tokens/tokens.js";
import { pino } from "pino";
import { TcpProxy } from "./support/tcp-proxy.js";
import { createTestDatabase } from "./support/database.js";
import {
  bearer,
  createTokenWithCli,
  eventually,
  startTestWarden,
  wardenCli,
  type TestWarden,
} from "./support/warden.js";

let t: TestWarden;
let admin: Metadata;

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (caught: ServiceError) => caught,
  );
  if (error === undefined) throw new Error("expected the call to fail");
  return error;
}

const authenticate = (credential: string) =>
  t.client.authenticate(AuthenticateRequest.fromPartial({ credential, sourceService: "tests" }));

async function create(
  name: string,
  scopes: string[] = ["events:write"],
  extra: Partial<CreateServiceTokenRequest> = {},
) {
  return t.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial({ name, scopes, ...extra }), {
    metadata: admin,
  });
}

async function lookups(warden: TestWarden = t): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${warden.warden.httpPort}/metrics`)).text();
  return Number(/^warden_service_token_lookups (\d+)/m.exec(metrics)![1]);
}

async function eventFor(eventId: string) {
  return eventually(async () => {
    const [row] = await t.db.query<{ failure_reason: string | null; service_token_name: string | null; type: string }>(
      "SELECT type, failure_reason, service_token_name FROM security_events WHERE event_id = $1",
      [eventId],
    );
    return row;
  });
}

beforeAll(async () => {
  t = await startTestWarden();
  admin = bearer(await createTokenWithCli(t.db.url, "root-admin", "admin"));
});
afterAll(async () => {
  await t.stop();
});

describe("service token format", () => {
  it("is wdn_ + 30 base62 characters + a 6-character CRC32 checksum", () => {
    const token = generateServiceToken();
    expect(token).toMatch(/^wdn_[0-9A-Za-z]{36}$/);
    expect(isWellFormedServiceToken(token)).toBe(true);
    const last = token.at(-1)!;
    expect(isWellFormedServiceToken(token.slice(0, -1) + (last === "a" ? "b" : "a"))).toBe(false);
    // A changed character inside the random part (never the one already there).
    const changed = token[10] === "X" ? "Y" : "X";
    expect(isWellFormedServiceToken(`${token.slice(0, 10)}${changed}${token.slice(11)}`)).toBe(false);
    expect(new Set(Array.from({ length: 1000 }, generateServiceToken)).size).toBe(1000);
  });
});

describe("issuing and authenticating", () => {
  it("shows the secret once, stores only its SHA-256, and authenticates it", async () => {
    const { token, secret } = await create("billing-api", ["events:write", "events:read"], {
      description: "billing service",
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    expect(token).toMatchObject({
      name: "billing-api",
      state: ServiceTokenState.ACTIVE,
      createdBy: "service_token:root-admin",
    });
    const stored = await t.db.query<{ secret_hash: Buffer }>(
      "SELECT secret_hash FROM service_token_secrets WHERE token_id = $1",
      [token!.id],
    );
    expect(stored).toEqual([{ secret_hash: createHash("sha256").update(secret).digest() }]);
    const everything = JSON.stringify(await t.db.query("SELECT * FROM service_tokens")) + JSON.stringify(stored);
    expect(everything).not.toContain(secret);

    const response = await authenticate(secret);
    expect(response.authenticated).toBe(true);
    expect(response.principal).toMatchObject({
      subject: token!.id,
      kind: PrincipalKind.SERVICE_TOKEN,
      serviceTokenName: "billing-api",
      tokenId: token!.id,
      scopes: ["events:write", "events:read"],
    });
    expect(response.principal!.expiresAt?.getTime()).toBe(token!.expiresAt!.getTime());
    expect(await eventFor(response.eventId)).toEqual({
      type: "TOKEN_AUTH_SUCCESS",
      failure_reason: null,
      service_token_name: "billing-api",
    });

    const viaMetadata = await t.client.authenticate(AuthenticateRequest.fromPartial({}), { metadata: bearer(secret) });
    expect(viaMetadata.principal?.serviceTokenName).toBe("billing-api");
  });

  it("serves a repeated token from the cache and writes usage in batches", async () => {
    const { token, secret } = await create("cached-caller");
    const before = await lookups();
    for (let i = 0; i < 20; i += 1) expect((await authenticate(secret)).authenticated).toBe(true);
    expect((await lookups()) - before).toBe(1);
    await eventually(async () => {
      const [row] = await t.db.query<{ use_count: string; last_used_at: Date | null }>(
        "SELECT use_count, last_used_at FROM service_tokens WHERE id = $1",
        [token!.id],
      );
      return row?.use_count === "20" && row.last_used_at !== null ? row : undefined;
    });
  });

  it("refuses malformed and bad-checksum tokens without a database lookup", async () => {
    const good = generateServiceToken();
    const badChecksum = good.slice(0, -1) + (good.at(-1) === "0" ? "1" : "0");
    const before = await lookups();
    for (const candidate of [badChecksum, "wdn_short", `${good}x`, "wdn_" + "!".repeat(36)]) {
      const response = await authenticate(candidate);
      expect(response.failureReason).toBe(FailureReason.MALFORMED_CREDENTIAL);
    }
    expect(await lookups()).toBe(before);
  });

  it("tells unknown, expired, revoked and rotated-out tokens apart, in the response and the event", async () => {
    const unknown = await authenticate(generateServiceToken());
    expect(unknown.failureReason).toBe(FailureReason.UNKNOWN_TOKEN);
    expect((await eventFor(unknown.eventId)).failure_reason).toBe("UNKNOWN_TOKEN");

    const expiring = await create("expired-caller");
    await t.db.query("UPDATE service_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1", [
      expiring.token!.id,
    ]);
    const expired = await authenticate(expiring.secret);
    expect(expired.failureReason).toBe(FailureReason.EXPIRED);
    expect(await eventFor(expired.eventId)).toMatchObject({
      failure_reason: "EXPIRED",
      service_token_name: "expired-caller",
    });

    const revoking = await create("revoked-caller");
    expect((await authenticate(revoking.secret)).authenticated).toBe(true);
    await t.tokens.revokeServiceToken(
      RevokeServiceTokenRequest.fromPartial({ token: { name: "revoked-caller" }, reason: "compromised" }),
      { metadata: admin },
    );
    const revoked = await authenticate(revoking.secret);
    expect(revoked.failureReason).toBe(FailureReason.TOKEN_REVOKED);
    expect(await eventFor(revoked.eventId)).toMatchObject({
      failure_reason: "TOKEN_REVOKED",
      service_token_name: "revoked-caller",
    });

    const rotating = await create("rotated-caller");
    const rotation = await t.tokens.rotateServiceToken(
      RotateServiceTokenRequest.fromPartial({
        token: { id: rotating.token!.id },
        gracePeriod: { seconds: 0, nanos: 0 },
      }),
      { metadata: admin },
    );
    const rotatedOut = await authenticate(rotating.secret);
    expect(rotatedOut.failureReason).toBe(FailureReason.TOKEN_ROTATED_OUT);
    expect(await eventFor(rotatedOut.eventId)).toMatchObject({ failure_reason: "TOKEN_ROTATED_OUT" });
    expect((await authenticate(rotation.secret)).authenticated).toBe(true);
  });
});

describe("rotation", () => {
  it("keeps the old secret working through the grace period, then stops it", async () => {
    const { token, secret: oldSecret } = await create("deploying-service");
    expect((await authenticate(oldSecret)).authenticated).toBe(true); // now cached
    const rotation = await t.tokens.rotateServiceToken(
      RotateServiceTokenRequest.fromPartial({
        token: { name: "deploying-service" },
        gracePeriod: { seconds: 2, nanos: 0 },
      }),
      { metadata: admin },
    );
    expect(rotation.secret).not.toBe(oldSecret);
    expect(rotation.token!.lastRotatedAt).toBeInstanceOf(Date);
    const graceEnds = rotation.previousSecretExpiresAt!.getTime();
    expect(graceEnds - Date.now()).toBeGreaterThan(1000);

    expect((await authenticate(oldSecret)).authenticated).toBe(true);
    expect((await authenticate(rotation.secret)).authenticated).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, graceEnds - Date.now() + 100));
    expect((await authenticate(oldSecret)).failureReason).toBe(FailureReason.TOKEN_ROTATED_OUT);
    expect((await authenticate(rotation.secret)).principal?.tokenId).toBe(token!.id);
  });

  it("defaults the grace period to 24 hours and refuses one over 30 days or a revoked token", async () => {
    await create("default-grace");
    const rotation = await t.tokens.rotateServiceToken(
      RotateServiceTokenRequest.fromPartial({ token: { name: "default-grace" } }),
      {
        metadata: admin,
      },
    );
    expect(Math.round((rotation.previousSecretExpiresAt!.getTime() - Date.now()) / 3_600_000)).toBe(24);
    const tooLong = await failure(
      t.tokens.rotateServiceToken(
        RotateServiceTokenRequest.fromPartial({
          token: { name: "default-grace" },
          gracePeriod: { seconds: 31 * 86_400, nanos: 0 },
        }),
        { metadata: admin },
      ),
    );
    expect(tooLong.code).toBe(status.INVALID_ARGUMENT);
    expect(tooLong.details).toMatch(/^grace_period: /);

    await t.tokens.revokeServiceToken(
      RevokeServiceTokenRequest.fromPartial({ token: { name: "default-grace" }, reason: "done" }),
      {
        metadata: admin,
      },
    );
    const revoked = await failure(
      t.tokens.rotateServiceToken(RotateServiceTokenRequest.fromPartial({ token: { name: "default-grace" } }), {
        metadata: admin,
      }),
    );
    expect(revoked.code).toBe(status.FAILED_PRECONDITION);
  });
});

describe("reading tokens", () => {
  it("gets by id or name, lists by state with keyset pages, and never returns secrets", async () => {
    const created = await create("listed-1");
    await create("listed-2");
    const byId = await t.tokens.getServiceToken(
      GetServiceTokenRequest.fromPartial({ token: { id: created.token!.id } }),
      {
        metadata: admin,
      },
    );
    const byName = await t.tokens.getServiceToken(GetServiceTokenRequest.fromPartial({ token: { name: "listed-1" } }), {
      metadata: admin,
    });
    expect(byId).toEqual(byName);

    const all = [];
    let pageToken = "";
    do {
      const page = await t.tokens.listServiceTokens(ListServiceTokensRequest.fromPartial({ pageSize: 2, pageToken }), {
        metadata: admin,
      });
      all.push(...page.tokens);
      pageToken = page.nextPageToken;
      expect(JSON.stringify(page)).not.toMatch(/wdn_/);
    } while (pageToken !== "");
    const [count] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM service_tokens");
    expect(all).toHaveLength(count!.n);
    expect(new Set(all.map((token) => token.id)).size).toBe(count!.n);

    const revoked = await t.tokens.listServiceTokens(
      ListServiceTokensRequest.fromPartial({ state: ServiceTokenState.REVOKED }),
      {
        metadata: admin,
      },
    );
    expect(revoked.tokens.every((token) => token.state === ServiceTokenState.REVOKED)).toBe(true);
    const active = await t.tokens.listServiceTokens(
      ListServiceTokensRequest.fromPartial({ state: ServiceTokenState.ACTIVE }),
      {
        metadata: admin,
      },
    );
    expect(active.tokens.map((token) => token.name)).toContain("listed-1");
    expect(active.tokens.every((token) => token.state === ServiceTokenState.ACTIVE)).toBe(true);
  });

  it("answers NOT_FOUND for a missing token and INVALID_ARGUMENT for a bad selector", async () => {
    const missing = await failure(
      t.tokens.getServiceToken(GetServiceTokenRequest.fromPartial({ token: { name: "nope" } }), { metadata: admin }),
    );
    expect(missing.code).toBe(status.NOT_FOUND);
    const badId = await failure(
      t.tokens.getServiceToken(GetServiceTokenRequest.fromPartial({ token: { id: "123" } }), { metadata: admin }),
    );
    expect(badId.details).toBe("token.id: must be a UUID");
    const none = await failure(t.tokens.getServiceToken(GetServiceTokenRequest.fromPartial({}), { metadata: admin }));
    expect(none.details).toBe("token: set id or name");
  });
});

describe("bad input", () => {
  it.each([
    ["an empty name", { name: "", scopes: ["events:read"] }, "name: "],
    ["an over-long name", { name: "x".repeat(65), scopes: ["events:read"] }, "name: "],
    ["a name with spaces", { name: "my token", scopes: ["events:read"] }, "name: "],
    ["no scopes", { name: "no-scopes", scopes: [] }, "scopes: at least one scope is required"],
    ["an unknown scope", { name: "bad-scope", scopes: ["events:read", "root"] }, 'scopes[1]: unknown scope "root"'],
    [
      "an expiry in the past",
      { name: "past", scopes: ["events:read"], expiresAt: new Date(Date.now() - 1000) },
      "expires_at: must be in the future",
    ],
    [
      "an over-long description",
      { name: "wordy", scopes: ["events:read"], description: "x".repeat(513) },
      "description: ",
    ],
    [
      "a description with a NUL",
      { name: "nul-description", scopes: ["events:read"], description: "a\u0000b" },
      "description: contains a NUL character",
    ],
  ])("refuses %s with INVALID_ARGUMENT naming the field and creates nothing", async (_, request, message) => {
    const [before] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM service_tokens");
    const error = await failure(
      t.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial(request), { metadata: admin }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details.startsWith(message)).toBe(true);
    expect(await t.db.query("SELECT count(*)::int AS n FROM service_tokens")).toEqual([before]);
  });

  it("refuses a duplicate name with ALREADY_EXISTS and leaves the first token intact", async () => {
    const first = await create("unique-name");
    const [before] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM service_token_secrets");
    const error = await failure(create("unique-name"));
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect(error.details).toBe('name: a service token named "unique-name" already exists');
    expect(await t.db.query("SELECT count(*)::int AS n FROM service_token_secrets")).toEqual([before]);
    expect((await authenticate(first.secret)).authenticated).toBe(true);
  });

  it("requires a reason to revoke", async () => {
    await create("needs-reason");
    const error = await failure(
      t.tokens.revokeServiceToken(
        RevokeServiceTokenRequest.fromPartial({ token: { name: "needs-reason" }, reason: " " }),
        {
          metadata: admin,
        },
      ),
    );
    expect(error.details).toBe("reason: required");
  });

  it("refuses a NUL or an over-long name in a selector, and a NUL in a reason, and leaves the token as it was", async () => {
    const { token } = await create("nul-target");
    const snapshot = async () => ({
      token: await t.db.query("SELECT * FROM service_tokens WHERE id = $1", [token!.id]),
      secrets: await t.db.query("SELECT * FROM service_token_secrets WHERE token_id = $1", [token!.id]),
      audit: await t.db.query("SELECT count(*)::int AS n FROM audit_records"),
    });
    const before = await snapshot();
    const calls = (name: string, reason = "compromised") => ({
      GetServiceToken: () =>
        t.tokens.getServiceToken(GetServiceTokenRequest.fromPartial({ token: { name } }), { metadata: admin }),
      RevokeServiceToken: () =>
        t.tokens.revokeServiceToken(RevokeServiceTokenRequest.fromPartial({ token: { name }, reason }), {
          metadata: admin,
        }),
      RotateServiceToken: () =>
        t.tokens.rotateServiceToken(RotateServiceTokenRequest.fromPartial({ token: { name } }), { metadata: admin }),
    });
    const refusals = (name: string, details: string) =>
      Object.entries(calls(name)).map(([method, call]) => ({ method, call, details }));
    const cases = [
      ...refusals("nul-target\u0000", "token.name: contains a NUL character"),
      ...refusals("x".repeat(65), "token.name: longer than 64 characters"),
      {
        method: "RevokeServiceToken",
        call: calls("nul-target", "compromised\u0000").RevokeServiceToken,
        details: "reason: contains a NUL character",
      },
    ];
    for (const { method, call, details } of cases) {
      const error = await failure(call());
      expect({ method, code: error.code, details: error.details }).toEqual({
        method,
        code: status.INVALID_ARGUMENT,
        details,
      });
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("admin authorization", () => {
  const calls = (metadata?: Metadata) =>
    ({
      CreateServiceToken: [
        "tokens:write",
        () =>
          t.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial({ name: "x", scopes: ["admin"] }), {
            metadata,
          }),
      ],
      GetServiceToken: [
        "tokens:read",
        () =>
          t.tokens.getServiceToken(GetServiceTokenRequest.fromPartial({ token: { name: "root-admin" } }), { metadata }),
      ],
      ListServiceTokens: [
        "tokens:read",
        () => t.tokens.listServiceTokens(ListServiceTokensRequest.fromPartial({}), { metadata }),
      ],
      RevokeServiceToken: [
        "tokens:write",
        () =>
          t.tokens.revokeServiceToken(
            RevokeServiceTokenRequest.fromPartial({ token: { name: "root-admin" }, reason: "x" }),
            {
              metadata,
            },
          ),
      ],
      RotateServiceToken: [
        "tokens:write",
        () =>
          t.tokens.rotateServiceToken(RotateServiceTokenRequest.fromPartial({ token: { name: "root-admin" } }), {
            metadata,
          }),
      ],
      RevokeAllServiceTokens: [
        "tokens:write",
        () =>
          t.tokens.revokeAllServiceTokens(
            RevokeAllServiceTokensRequest.fromPartial({ confirmation: "REVOKE ALL SERVICE TOKENS", reason: "x" }),
            { metadata },
          ),
      ],
    }) as const;

  it("answers UNAUTHENTICATED on every admin RPC without a credential, or with a bad one", async () => {
    for (const [, call] of Object.values(calls())) expect((await failure(call())).code).toBe(status.UNAUTHENTICATED);
    for (const [, call] of Object.values(calls(bearer(generateServiceToken())))) {
      expect((await failure(call())).code).toBe(status.UNAUTHENTICATED);
    }
  });

  it("answers PERMISSION_DENIED naming the missing scope on every admin RPC", async () => {
    const weak = bearer((await create("weak-caller", ["events:read"])).secret);
    for (const [method, [scope, call]] of Object.entries(calls(weak))) {
      const error = await failure(call());
      expect({ method, code: error.code, details: error.details }).toEqual({
        method,
        code: status.PERMISSION_DENIED,
        details: `missing scope ${scope}`,
      });
    }
  });

  it("lets a caller hand on only scopes it holds, when creating or rotating", async () => {
    const writer = bearer((await create("scoped-writer", ["tokens:write", "events:write"])).secret);
    const mint = (name: string, scopes: string[]) =>
      t.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial({ name, scopes }), { metadata: writer });
    for (const scope of ["admin", "events:read"]) {
      const error = await failure(mint(`minted-${scope.replace(":", "-")}`, ["events:write", scope]));
      expect({ code: error.code, details: error.details }).toEqual({
        code: status.PERMISSION_DENIED,
        details: `missing scope ${scope}: a token can carry only scopes its issuer holds`,
      });
    }
    const refused = await failure(
      t.tokens.getServiceToken(GetServiceTokenRequest.fromPartial({ token: { name: "minted-admin" } }), {
        metadata: admin,
      }),
    );
    expect(refused.code).toBe(status.NOT_FOUND);
    expect((await mint("minted-writer", ["events:write"])).token?.scopes).toEqual(["events:write"]);

    const rotateAdmin = await failure(
      t.tokens.rotateServiceToken(RotateServiceTokenRequest.fromPartial({ token: { name: "root-admin" } }), {
        metadata: writer,
      }),
    );
    expect(rotateAdmin.details).toBe("missing scope admin: a token can carry only scopes its issuer holds");
    const rootAdmin = await t.tokens.getServiceToken(
      GetServiceTokenRequest.fromPartial({ token: { name: "root-admin" } }),
      { metadata: admin },
    );
    expect(rootAdmin.token?.lastRotatedAt).toBeUndefined();
    const rotated = await t.tokens.rotateServiceToken(
      RotateServiceTokenRequest.fromPartial({ token: { name: "minted-writer" } }),
      { metadata: writer },
    );
    expect(rotated.secret).toMatch(/^wdn_/);
  });

  it("lets tokens:read read but not write", async () => {
    const reader = bearer((await create("reader", ["tokens:read"])).secret);
    const [, get] = calls(reader).GetServiceToken;
    expect((await get()).token?.name).toBe("root-admin");
    const [, createCall] = calls(reader).CreateServiceToken;
    expect((await failure(createCall())).details).toBe("missing scope tokens:write");
  });
});

describe("lifecycle events", () => {
  it("records created, rotated and revoked with the token's name and the acting principal", async () => {
    const { token } = await create("audited");
    await t.tokens.rotateServiceToken(RotateServiceTokenRequest.fromPartial({ token: { name: "audited" } }), {
      metadata: admin,
    });
    await t.tokens.revokeServiceToken(
      RevokeServiceTokenRequest.fromPartial({ token: { name: "audited" }, reason: "retired" }),
      {
        metadata: admin,
      },
    );
    const rows = await t.db.query<{ type: string; service_token_name: string; actor: string }>(
      "SELECT type, service_token_name, details->>'actor' AS actor FROM security_events WHERE token_id = $1 AND type::text LIKE 'SERVICE_TOKEN_%' ORDER BY occurred_at",
      [token!.id],
    );
    expect(rows).toEqual(
      ["SERVICE_TOKEN_CREATED", "SERVICE_TOKEN_ROTATED", "SERVICE_TOKEN_REVOKED"].map((type) => ({
        type,
        service_token_name: "audited",
        actor: "service_token:root-admin",
      })),
    );
  });

  it("records SERVICE_TOKEN_EXPIRED exactly once per expired token", async () => {
    const { token } = await create("short-lived");
    await t.db.query("UPDATE service_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [token!.id]);
    const pool = createPool(
      { url: t.db.url, max: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000 },
      pino({ level: "silent" }),
    );
    try {
      const sweeps = await Promise.all([
        new ServiceTokens(pool).recordExpirations(),
        new ServiceTokens(pool).recordExpirations(),
      ]);
      expect(sweeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      const rows = await t.db.query(
        "SELECT 1 FROM security_events WHERE token_id = $1 AND type = 'SERVICE_TOKEN_EXPIRED'",
        [token!.id],
      );
      expect(rows).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });
});

describe("the token CLI", () => {
  it("lists and revokes directly against the database", async () => {
    await create("cli-target");
    expect(await wardenCli(t.db.url, ["token", "list", "--state", "active"])).toMatch(/^cli-target\t/m);
    expect(await wardenCli(t.db.url, ["token", "revoke", "cli-target", "--reason", "cli test"])).toMatch(
      /cli-target\t.*\tREVOKED\t/,
    );
  });
});

describe("emergency revocation", () => {
  it("needs the exact confirmation, then revokes every token and reports the count", async () => {
    const e = await startTestWarden();
    try {
      const root = bearer(await createTokenWithCli(e.db.url, "root", "admin"));
      const others = await Promise.all(
        ["a", "b", "c"].map((name) =>
          e.tokens.createServiceToken(CreateServiceTokenRequest.fromPartial({ name, scopes: ["events:read"] }), {
            metadata: root,
          }),
        ),
      );
      const wrong = await failure(
        e.tokens.revokeAllServiceTokens(
          RevokeAllServiceTokensRequest.fromPartial({ confirmation: "yes", reason: "breach" }),
          {
            metadata: root,
          },
        ),
      );
      expect(wrong.code).toBe(status.INVALID_ARGUMENT);
      expect(wrong.details).toMatch(/^confirmation: /);
      const nul = await failure(
        e.tokens.revokeAllServiceTokens(
          RevokeAllServiceTokensRequest.fromPartial({
            confirmation: "REVOKE ALL SERVICE TOKENS",
            reason: "breach\u0000",
          }),
          { metadata: root },
        ),
      );
      expect([nul.code, nul.details]).toEqual([status.INVALID_ARGUMENT, "reason: contains a NUL character"]);
      expect(await e.db.query("SELECT id FROM service_tokens WHERE revoked_at IS NOT NULL")).toEqual([]);

      const response = await e.tokens.revokeAllServiceTokens(
        RevokeAllServiceTokensRequest.fromPartial({ confirmation: "REVOKE ALL SERVICE TOKENS", reason: "breach" }),
        { metadata: root },
      );
      expect(response.revokedCount).toBe(4);
      for (const { secret } of others) {
        const result = await e.client.authenticate(AuthenticateRequest.fromPartial({ credential: secret }));
        expect(result.failureReason).toBe(FailureReason.TOKEN_REVOKED);
      }
      const again = await failure(
        e.tokens.listServiceTokens(ListServiceTokensRequest.fromPartial({}), { metadata: root }),
      );
      expect(again.code).toBe(status.UNAUTHENTICATED);
    } finally {
      await e.stop();
    }
  });
});

describe("a replica that loses its notification connection", () => {
  it("stops trusting its cache and re-checks the database", async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const r = await startTestWarden(
      {
        DATABASE_URL: proxy.rewrite(db.url),
        WARDEN_NOTIFY_HEARTBEAT_MS: "200",
        WARDEN_DB_CONNECT_TIMEOUT_MS: "500",
        WARDEN_DB_STATEMENT_TIMEOUT_MS: "500",
        // No outage window: a token the database cannot check is refused (test/outage.test.ts covers the window).
        WARDEN_TOKEN_OUTAGE_WINDOW_MS: "0",
      },
      {},
      db,
    );
    try {
      const secret = await createTokenWithCli(db.url, "watched", "events:read");
      await eventually(async () =>
        (await r.client.authenticate(AuthenticateRequest.fromPartial({ credential: secret }))).authenticated
          ? true
          : undefined,
      );
      const cachedLookups = await lookups(r);
      expect((await r.client.authenticate(AuthenticateRequest.fromPartial({ credential: secret }))).authenticated).toBe(
        true,
      );
      expect(await lookups(r)).toBe(cachedLookups);

      proxy.blackhole = true;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // The cached verification is no longer trusted: the call goes to the (unreachable) database.
      const error = await failure(r.client.authenticate(AuthenticateRequest.fromPartial({ credential: secret })));
      expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(error.code);
      expect(await lookups(r)).toBeGreaterThan(cachedLookups);

      proxy.blackhole = false;
      await eventually(
        async () =>
          (await r.client.authenticate(AuthenticateRequest.fromPartial({ credential: secret })).catch(() => undefined))
            ?.authenticated
            ? true
            : undefined,
        15_000,
      );
    } finally {
      proxy.blackhole = false;
      await r.stop();
      await proxy.stop();
      await db.drop();
    }
  });
});
