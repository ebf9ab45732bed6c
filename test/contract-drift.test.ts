/**
 * Proves that `npm run check` catches disagreement between proto/, sql/, the
 * live schema and the code. Each case copies the repository to a scratch
 * folder, makes one change a developer might make without updating the rest,
 * and runs the relevant check steps there, expecting a failure that names the
 * mismatch.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const ROOT = process.cwd();
const COPIED = [
  "buf.yaml",
  "buf.gen.yaml",
  "package.json",
  "pgtyped.json",
  "tsconfig.json",
  "proto",
  "sql",
  "src",
  "scripts",
  "test",
];

async function scratchCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "warden-drift-"));
  for (const entry of COPIED) await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

async function edit(file: string, from: string | RegExp, to: string): Promise<void> {
  const before = await readFile(file, "utf8");
  const after = before.replace(from, to);
  if (after === before) throw new Error(`edit of ${file} matched nothing`);
  await writeFile(file, after);
}

const env = () => ({ ...process.env, DATABASE_URL: inject("adminDatabaseUrl") });

async function sh(dir: string, file: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: dir, env: env(), maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout = "", stderr = "" } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? 1, output: stdout + stderr };
  }
}

const check = (dir: string, steps: string) =>
  sh(dir, path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/check.ts", "--only", steps]);
const regenerateProto = (dir: string) => sh(dir, "npm", ["run", "--silent", "gen:proto"]);
const regenerateSql = (dir: string) => sh(dir, "npm", ["run", "--silent", "gen:sql"]);

async function withScratch(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await scratchCopy();
  try {
    await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const EVENT_PROTO = "proto/warden/v1/event.proto";

describe("npm run check catches drift", { timeout: 120_000 }, () => {
  it("the unchanged copy passes (so the failures below are caused by the edits)", () =>
    withScratch(async (dir) => {
      const result = await check(dir, "proto-types,sql-types,tsc");
      expect(result.output).toContain("check: all steps passed");
      expect(result.code).toBe(0);
    }));

  it("a migration renaming a column that a query uses", () =>
    withScratch(async (dir) => {
      await writeFile(
        path.join(dir, "sql/migrations/0900_rename_subject.sql"),
        "ALTER TABLE security_events RENAME COLUMN subject TO subject_id;\n",
      );
      const result = await check(dir, "sql-types");
      expect(result.code).toBe(1);
      expect(result.output).toContain("FAIL  sql-types");
      expect(result.output).toContain('column "subject" of relation "security_events" does not exist');
    }));

  it("a migration dropping a table that a query uses (the security_events_monitor failure)", () =>
    withScratch(async (dir) => {
      await writeFile(path.join(dir, "sql/migrations/0900_drop_events.sql"), "DROP TABLE security_events;\n");
      const result = await check(dir, "sql-types");
      expect(result.code).toBe(1);
      expect(result.output).toContain('relation "security_events" does not exist');
    }));

  it("a database enum value the proto does not have", () =>
    withScratch(async (dir) => {
      await writeFile(
        path.join(dir, "sql/migrations/0900_new_reason.sql"),
        "ALTER TYPE failure_reason ADD VALUE 'CAPTCHA_FAILED';\n",
      );
      expect((await check(dir, "sql-types")).output).toContain("sql/queries/events.queries.ts: differs");
      expect((await regenerateSql(dir)).code).toBe(0);
      const result = await check(dir, "tsc");
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/onlyInDatabase: "CAPTCHA_FAILED"/);
    }));

  it("a renamed proto field, before and after regenerating the TypeScript", () =>
    withScratch(async (dir) => {
      await run("git", ["init", "-q", "-b", "main"], { cwd: dir });
      await run("git", ["add", "proto", "buf.yaml"], { cwd: dir });
      await run("git", ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base"], { cwd: dir });
      await edit(path.join(dir, EVENT_PROTO), "string service_token_name = 4;", "string token_name = 4;");

      const stale = await check(dir, "buf-breaking,proto-types");
      expect(stale.code).toBe(1);
      expect(stale.output).toMatch(/FAIL {2}buf-breaking[\s\S]*service_token_name/);
      expect(stale.output).toContain("src/gen/warden/v1/event.ts: differs");

      expect((await regenerateProto(dir)).code).toBe(0);
      const regenerated = await check(dir, "tsc");
      expect(regenerated.code).toBe(1);
      expect(regenerated.output).toContain("serviceTokenName");
    }));

  it("a retyped proto field", () =>
    withScratch(async (dir) => {
      await edit(path.join(dir, EVENT_PROTO), "uint32 risk_score = 10;", "string risk_score = 10;");
      expect((await regenerateProto(dir)).code).toBe(0);
      const result = await check(dir, "tsc");
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/riskScore|risk_score/);
      expect(result.output).toMatch(/src\/events\/event\.ts/);
    }));

  it("a proto enum value the database does not have", () =>
    withScratch(async (dir) => {
      await edit(
        path.join(dir, EVENT_PROTO),
        "EVENT_TYPE_AUTHORIZATION_CHANGED = 22;",
        "EVENT_TYPE_AUTHORIZATION_CHANGED = 22;\n  EVENT_TYPE_PASSKEY_ADDED = 23;",
      );
      expect((await regenerateProto(dir)).code).toBe(0);
      const result = await check(dir, "tsc");
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/onlyInProto: "PASSKEY_ADDED"/);
    }));
});
