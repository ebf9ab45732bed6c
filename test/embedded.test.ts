/**
 * The embedded PostgreSQL as root from a folder the postgres user cannot pass
 * through (root's home, mode 700): its data goes to one folder under
 * /var/lib/warden, the same on every start, and survives a restart. Only root
 * can show this; CI runs as root (and runs the whole quick start so, in .ci/run).
 */
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startEmbeddedPostgres, SYSTEM_ROOT } from "../src/db/embedded.js";

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.runIf(process.getuid?.() === 0)("embedded PostgreSQL as root", { timeout: 120_000 }, () => {
  it("keeps data out of the postgres user's reach under /var/lib/warden, across restarts", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "warden-home-")); // mode 700, like root's home
    const dataDir = path.join(home, "checkout", ".warden");
    const options = { dataDir, port: await freePort(), database: "warden" };
    let placed: string | undefined;
    try {
      const first = await startEmbeddedPostgres(options);
      placed = first.dataDir;
      try {
        await query(first.url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('before the restart')");
      } finally {
        await first.stop();
      }
      expect(path.dirname(placed)).toBe(SYSTEM_ROOT);
      expect(await readFile(path.join(placed, "data-dir"), "utf8")).toBe(`${dataDir}\n`);

      const second = await startEmbeddedPostgres(options);
      try {
        expect(second.dataDir).toBe(placed);
        expect(await query(second.url, "SELECT note FROM kept")).toEqual([{ note: "before the restart" }]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(home, { recursive: true, force: true });
      if (placed?.startsWith(`${SYSTEM_ROOT}/`)) await rm(placed, { recursive: true, force: true });
    }
  });
});
