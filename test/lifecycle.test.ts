import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest, LogEventRequest } from "../src/gen/warden/v1/auth_service.js";
import { AuthenticationEvent, EventType, Outcome } from "../src/gen/warden/v1/event.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { authClient, reporterOf, startTestWarden } from "./support/warden.js";

describe("graceful stop", () => {
  it("writes every event Authenticate queued before it stops", async () => {
    const t = await startTestWarden({}, {}, await createTestDatabase());
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => t.client.authenticate(AuthenticateRequest.fromPartial({ credential: "nope" }))),
    );
    t.client.close();
    await t.warden.stop();
    const [row] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM security_events");
    expect(row!.n).toBe(responses.length);
    await t.db.drop();
  });
});

describe("the warden CLI", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it("serves, logs one line per RPC without credentials, and on SIGTERM flushes events and exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve"], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        WARDEN_PLAINTEXT: "true",
        WARDEN_GRPC_HOST: "127.0.0.1",
        WARDEN_GRPC_PORT: "0",
        WARDEN_HTTP_HOST: "127.0.0.1",
        WARDEN_HTTP_PORT: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: Record<string, unknown>[] = [];
    const serving = new Promise<Record<string, unknown>>((resolve) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (entry.msg === "warden serving") resolve(entry);
      });
    });
    const { grpcPort, httpPort } = (await serving) as { grpcPort: number; httpPort: number };
    const client = authClient(`127.0.0.1:${grpcPort}`, reporterOf(db.url));
    const secret = "secret-credential-value-that-must-not-be-logged";
    const auth = await client.authenticate(AuthenticateRequest.fromPartial({ credential: secret }));
    await client.logEvent(
      LogEventRequest.fromPartial({
        event: AuthenticationEvent.fromPartial({ type: EventType.LOGOUT, outcome: Outcome.SUCCESS }),
      }),
    );
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/warden_rpc_total\{method="Authenticate",code="OK"\} 1/);
    expect(metrics).toMatch(/warden_rpc_duration_seconds_bucket\{le="[^"]+",method="LogEvent",code="OK"\}/);
    expect(metrics).toMatch(/warden_event_queue_depth \d+/);
    expect(metrics).toMatch(/warden_db_pool_connections\{state="total"\} \d+/);
    expect(metrics).toMatch(/warden_event_loop_delay_seconds_count [1-9]\d*/);
    client.close();

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);

    const rpcLines = lines.filter((line) => line.msg === "rpc");
    expect(rpcLines.map((line) => line.method)).toEqual(["Authenticate", "LogEvent"]);
    for (const line of rpcLines) {
      expect(line.code).toBe("OK");
      expect(typeof line.requestId).toBe("string");
      expect(typeof line.durationMs).toBe("number");
    }
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(await db.query("SELECT type FROM security_events WHERE event_id = $1", [auth.eventId])).toEqual([
      { type: "TOKEN_AUTH_FAILURE" },
    ]);
  });

  it("exits 2 naming each bad setting", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve"], {
      env: { ...process.env, DATABASE_URL: db.url, WARDEN_GRPC_PORT: "not-a-port", WARDEN_JWT_ALGORITHMS: "none" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain("WARDEN_GRPC_PORT");
    expect(stderr).toContain("WARDEN_JWT_ALGORITHMS");
  });

  it("exits 2 naming the bad rule when the alert rules file is wrong", async () => {
    const rulesFile = path.join(await mkdtemp(path.join(tmpdir(), "warden-rules-")), "rules.json");
    await writeFile(
      rulesFile,
      JSON.stringify({ rules: [{ name: "Bad Name", match: { type: ["LOGIN_FAILURE"] }, group_by: "subject" }] }),
    );
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve"], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        WARDEN_PLAINTEXT: "true",
        WARDEN_GRPC_PORT: "0",
        WARDEN_HTTP_PORT: "0",
        WARDEN_ALERT_RULES_FILE: rulesFile,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain("WARDEN_ALERT_RULES_FILE: rules[0] (Bad Name)");
  });
});
