/**
 * `warden schema check` against live databases: one that matches the
 * migrations, one altered by hand, one with a pending migration and one whose
 * applied migration was edited. Each runs the real CLI.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { migrate } from "../src/db/migrate.js";
import { MIGRATIONS_DIR } from "../src/paths.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";

const run = promisify(execFile);
let databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  databases = [];
});

async function migratedDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

async function schemaCheck(db: TestDatabase): Promise<{ code: number; output: string }> {
  const env = { ...process.env, DATABASE_URL: db.url, WARDEN_LOG_LEVEL: "warn" };
  try {
    const { stdout, stderr } = await run("node_modules/.bin/tsx", ["src/cli.ts", "schema", "check"], { env });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout = "", stderr = "" } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? 1, output: stdout + stderr };
  }
}

describe("warden schema check", { timeout: 60_000 }, () => {
  it("exits 0 on a database that matches the migrations", async () => {
    const result = await schemaCheck(await migratedDatabase());
    expect(result.output).toMatch(/the database matches the \d+ migrations/);
    expect(result.code).toBe(0);
  });

  it("names a column retyped and an index dropped by hand, with the SQL that would undo each", async () => {
    const db = await migratedDatabase();
    await db.query("ALTER TABLE alerts ALTER COLUMN summary TYPE varchar(40)");
    await db.query("DROP INDEX alerts_created_idx");
    const result = await schemaCheck(db);
    expect(result.code).toBe(1);
    expect(result.output).toContain('alter table "public"."alerts" alter column "summary" set data type text');
    expect(result.output).toContain("CREATE INDEX alerts_created_idx ON public.alerts");
  });

  it("names a pending migration", async () => {
    const db = await createTestDatabase();
    databases.push(db);
    await db.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    const older = await mkdtemp(path.join(tmpdir(), "warden-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, older, { recursive: true, filter: (file) => !file.endsWith("0008_rbac.sql") });
      await migrate(db.url, pino({ level: "silent" }), older);
    } finally {
      await rm(older, { recursive: true, force: true });
    }
    const result = await schemaCheck(db);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/pending migrations \(not applied yet\):\n {2}0008_rbac/);
    expect(result.output).toContain('create table "public"."rbac_roles"');
  });

  it("names an applied migration whose file changed since", async () => {
    const db = await migratedDatabase();
    await db.query("UPDATE warden_migration_checksums SET sha256 = repeat('0', 64) WHERE name = '0005_alerts'");
    const result = await schemaCheck(db);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/0005_alerts: changed after it was applied/);
  });
});
