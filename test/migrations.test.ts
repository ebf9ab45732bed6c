import { cp, mkdtemp, readdir, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { migrate } from "../src/db/migrate.js";
import { MIGRATIONS_DIR } from "../src/paths.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";

const log = pino({ level: "silent" });
let databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  databases = [];
});

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  // The template is migrated already; start these tests from nothing.
  await db.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  return db;
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "warden-migrations-"));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe("migrations", () => {
  it("applies every migration once, then nothing", async () => {
    const db = await freshDatabase();
    const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith(".sql"));
    expect(await migrate(db.url, log)).toEqual(files.map((file) => file.replace(/\.sql$/, "")));
    expect(await migrate(db.url, log)).toEqual([]);
    expect(await db.query("SELECT to_regclass('security_events') IS NOT NULL AS exists")).toEqual([{ exists: true }]);
  });

  it("lets replicas starting together race safely: each migration runs exactly once", async () => {
    const db = await freshDatabase();
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(db.url, log)));
    expect(results.flat().sort()).toEqual(
      (await readdir(MIGRATIONS_DIR))
        .filter((f) => f.endsWith(".sql"))
        .map((f) => f.slice(0, -4))
        .sort(),
    );
    const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pgmigrations");
    expect(row!.n).toBe(results.flat().length);
  });

  it("refuses to run when an applied migration was edited", async () => {
    const db = await freshDatabase();
    const dir = await copyOfMigrations();
    await migrate(db.url, log, dir);
    await appendFile(path.join(dir, "0001_security_events.sql"), "\n-- an innocent-looking edit\n");
    await expect(migrate(db.url, log, dir)).rejects.toThrow(
      /migration 0001_security_events was changed after it was applied/,
    );
  });

  it("refuses to run when an applied migration was deleted", async () => {
    const db = await freshDatabase();
    const dir = await copyOfMigrations();
    await writeFile(path.join(dir, "0002_extra.sql"), "CREATE TABLE extra (id int);");
    await migrate(db.url, log, dir);
    const { rm } = await import("node:fs/promises");
    await rm(path.join(dir, "0002_extra.sql"));
    await expect(migrate(db.url, log, dir)).rejects.toThrow(
      /0002_extra was applied to this database but its file is missing/,
    );
  });

  it("rolls back a failing migration completely", async () => {
    const db = await freshDatabase();
    const dir = await copyOfMigrations();
    await writeFile(
      path.join(dir, "0002_broken.sql"),
      "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;",
    );
    await expect(migrate(db.url, log, dir)).rejects.toThrow(/no_such_table/);
    expect(await db.query("SELECT to_regclass('half_done') AS t, to_regclass('security_events') AS e")).toEqual([
      { t: null, e: null },
    ]);
  });

  it("partitions an existing security_events by month without losing or copying a row", async () => {
    const db = await freshDatabase();
    const dir = await copyOfMigrations();
    // The database as it was before partitioning: migrations from 0007 on are held back.
    const { readFile, readdir: list, rm } = await import("node:fs/promises");
    const later = (await list(dir)).filter((file) => file.endsWith(".sql") && file >= "0007").sort();
    const heldBack = await Promise.all(later.map(async (file) => [file, await readFile(path.join(dir, file), "utf8")]));
    for (const file of later) await rm(path.join(dir, file));
    await migrate(db.url, log, dir);
    expect(await db.query("SELECT relkind FROM pg_class WHERE relname = 'security_events'")).toEqual([
      { relkind: "r" },
    ]);
    await db.query(
      `INSERT INTO security_events (event_id, occurred_at, type, severity, outcome, subject)
       SELECT gen_random_uuid(), now() - make_interval(days => g), 'LOGIN_SUCCESS', 'INFO', 'SUCCESS', 'user-' || g
       FROM generate_series(0, 999) g`,
    );
    const before = await db.query<{ event_id: string }>("SELECT event_id FROM security_events ORDER BY event_id");

    for (const [file, text] of heldBack) await writeFile(path.join(dir, file!), text!);
    expect(await migrate(db.url, log, dir)).toEqual(later.map((file) => file.replace(/\.sql$/, "")));

    expect(await db.query("SELECT relkind FROM pg_class WHERE relname = 'security_events'")).toEqual([
      { relkind: "p" },
    ]);
    expect(await db.query("SELECT event_id FROM security_events ORDER BY event_id")).toEqual(before);
    expect(await db.query("SELECT event_id FROM security_event_ids ORDER BY event_id")).toEqual(before);
    // The old rows were attached in place, not copied.
    const [held] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM security_events_before_partitioning");
    expect(held!.n).toBe(1000);
    // New months go to monthly partitions, created ahead of time.
    const [placed] = await db.query<{ partition: string }>(
      `INSERT INTO security_events (event_id, occurred_at, type, severity, outcome)
       VALUES (gen_random_uuid(), date_trunc('month', now(), 'UTC') + interval '2 months 1 day', 'LOGOUT', 'INFO', 'SUCCESS')
       RETURNING tableoid::regclass::text AS partition`,
    );
    expect(placed!.partition).toMatch(/^security_events_\d{4}_\d{2}$/);
  });
});
