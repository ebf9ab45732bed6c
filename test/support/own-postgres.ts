import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { pino } from "pino";
import { migrate } from "../../src/db/migrate.js";
import type { TestDatabase } from "./database.js";

const run = promisify(execFile);

/** A PostgreSQL cluster of a test's own, which it may stop, freeze and resume without touching the shared server. */
export interface OwnPostgres extends TestDatabase {
  /** SIGSTOP to the postmaster and every backend: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT to the same processes. */
  thaw(): void;
  /** A fast shutdown: connections are refused until start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** The newest PostgreSQL server binaries installed from Debian's packages. */
function binaries(): string {
  const root = "/usr/lib/postgresql";
  const newest = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL under ${root}`);
  return path.join(root, newest, "bin");
}

/** A loopback port that is free at the moment (nothing holds it for the caller). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Children of `pid` (PostgreSQL's backends make themselves group leaders, so a group signal misses them). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name, in parentheses, may hold spaces: fields follow its closing one.
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

/** Starts a fresh, migrated cluster (trust authentication, loopback only) in a temporary folder. */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binaries();
  const dir = await mkdtemp(path.join(tmpdir(), "warden-own-pg-"));
  // PostgreSQL refuses to run as root.
  const user: { uid: number; gid: number } | Record<string, never> =
    process.getuid?.() === 0 ? await postgresUser() : {};
  if ("uid" in user) await chown(dir, user.uid, user.gid);
  const dataDir = path.join(dir, "data");
  await run(path.join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "--locale=C", "-E", "UTF8"], {
    ...user,
  });
  const port = await freePort();
  let server: ChildProcess | undefined;

  const start = async () => {
    const started = spawn(
      path.join(bin, "postgres"),
      ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`],
      { ...user, stdio: ["ignore", "ignore", "pipe"] },
    );
    let output = "";
    await new Promise<void>((resolve, reject) => {
      started.stderr.on("data", (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
        if (output.includes("ready to accept connections")) resolve();
      });
      started.once("exit", (code) => reject(new Error(`postgres exited with ${code ?? "null"}: ${output}`)));
    });
    server = started;
  };
  const stop = async () => {
    const stopping = server;
    server = undefined;
    if (stopping === undefined || stopping.exitCode !== null) return;
    const exited = new Promise((resolve) => stopping.once("exit", resolve));
    stopping.kill("SIGCONT");
    stopping.kill("SIGINT");
    await exited;
  };
  const signalAll = (signal: NodeJS.Signals) => {
    const postmaster = server!.pid!;
    // The postmaster first, so it forks no backend the loop misses.
    process.kill(postmaster, signal);
    for (const child of childrenOf(postmaster)) {
      try {
        process.kill(child, signal);
      } catch {
        // A backend that ended meanwhile.
      }
    }
  };

  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await migrate(url, pino({ level: "warn" }));
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  return {
    url,
    async query<Row extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<Row>(sql, params)).rows;
    },
    freeze: () => signalAll("SIGSTOP"),
    thaw: () => signalAll("SIGCONT"),
    stop,
    start,
    async drop() {
      if (server !== undefined) signalAll("SIGCONT");
      await pool.end().catch(() => undefined);
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number((await run("id", [flag, "postgres"])).stdout);
  return { uid: await id("-u"), gid: await id("-g") };
}
