import { once } from "node:events";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import { eventually, startReplica, type Replica } from "./support/warden.js";

let db: TestDatabase;
let spoolDir: string;
let replica: Replica | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  spoolDir = await mkdtemp(path.join(tmpdir(), "warden-spool-"));
});
afterAll(async () => {
  // A replica a failed assertion left running.
  if (replica?.process.exitCode === null) replica.process.kill("SIGKILL");
  await db.drop();
});

const serve = () =>
  startReplica(db.url, {
    WARDEN_EVENT_SPOOL_DIR: spoolDir,
    // Events wait long for company, so a crash always finds many uncommitted.
    WARDEN_EVENT_LINGER_MS: "300",
    WARDEN_LOCKOUT_ENABLED: "false",
    WARDEN_RISK_ENABLED: "false",
  });

/** Authenticate from `callers` concurrent loops until the server dies; the event ids of every answer received. */
async function loadUntilKilled(replica: Replica, callers: number, killAfterMs: number): Promise<string[]> {
  const answered: string[] = [];
  let alive = true;
  const loop = async () => {
    while (alive) {
      try {
        const response = await replica.client.authenticate(AuthenticateRequest.fromPartial({ credential: "nope" }), {
          deadlineMs: 2000,
        });
        answered.push(response.eventId);
      } catch {
        return;
      }
    }
  };
  const loops = Array.from({ length: callers }, loop);
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  const exited = once(replica.process, "exit");
  replica.process.kill("SIGKILL");
  alive = false;
  await Promise.all(loops);
  await exited;
  replica.client.close();
  return answered;
}

const stored = async (ids: string[]) => {
  const [row] = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM security_events WHERE event_id = ANY($1::uuid[])",
    [ids],
  );
  return row!.n;
};

it("kill -9 under Authenticate load, three times: every answered event is stored after the restart", async () => {
  replica = await serve();
  const answeredBefore: string[] = [];
  for (let round = 0; round < 3; round += 1) {
    const answered = await loadUntilKilled(replica, 16, 1500);
    expect(answered.length).toBeGreaterThan(100);
    answeredBefore.push(...answered);
    replica = await serve();
    await eventually(async () => ((await stored(answeredBefore)) === answeredBefore.length ? true : undefined), 15_000);
  }
  // Replayed files are deleted once their events are committed.
  await eventually(async () => ((await readdir(spoolDir)).length === 0 ? true : undefined), 5000);
  const exited = once(replica.process, "exit");
  replica.process.kill("SIGTERM");
  expect((await exited)[0]).toBe(0);
  replica.client.close();
}, 120_000);

it("a shutdown past its grace with the database hung: exits 0 with the queue spooled, 1 without a spool", async () => {
  const target = new URL(db.url);
  const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
  const dir = await mkdtemp(path.join(tmpdir(), "warden-spool-"));
  const stopHung = async (env: Record<string, string>) => {
    const hung = await startReplica(proxy.rewrite(db.url), {
      ...env,
      WARDEN_EVENT_LINGER_MS: "60000",
      WARDEN_SHUTDOWN_GRACE_MS: "300",
      WARDEN_DB_STATEMENT_TIMEOUT_MS: "500",
      WARDEN_DB_CONNECT_TIMEOUT_MS: "500",
      WARDEN_LOCKOUT_ENABLED: "false",
      WARDEN_RISK_ENABLED: "false",
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        hung.client.authenticate(AuthenticateRequest.fromPartial({ credential: "nope" })),
      ),
    );
    proxy.blackhole = true;
    const exited = once(hung.process, "exit");
    hung.process.kill("SIGTERM");
    const [code] = (await exited) as [number];
    hung.client.close();
    proxy.blackhole = false;
    return { code, ids: answers.map((answer) => answer.eventId) };
  };
  try {
    expect((await stopHung({})).code).toBe(1);
    const spooled = await stopHung({ WARDEN_EVENT_SPOOL_DIR: dir });
    expect(spooled.code).toBe(0);
    replica = await startReplica(db.url, { WARDEN_EVENT_SPOOL_DIR: dir });
    await eventually(async () => ((await stored(spooled.ids)) === spooled.ids.length ? true : undefined), 10_000);
    replica.process.kill("SIGTERM");
    replica.client.close();
  } finally {
    await proxy.stop();
  }
}, 120_000);
