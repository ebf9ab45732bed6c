/**
 * Proves that `npm run check` catches disagreement between proto/, sql/, the
 * live schema and the code, one case per class of drift. Each case copies the
 * repository to a scratch folder, makes one change a developer might make
 * without updating the rest, runs the whole check there and expects it to
 * fail with a first failure that names the mismatch. Run by `npm run test:drift`.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const ROOT = process.cwd();

/** A copy of the files git would commit (tracked or new), with the repo's node_modules. */
async function copyRepository(dir: string): Promise<void> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
  for (const file of stdout.split("\0").filter((name) => name !== "")) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await cp(path.join(ROOT, file), path.join(dir, file)).catch((error: NodeJS.ErrnoException) => {
      // A file deleted in the work tree but not yet in git's index.
      if (error.code !== "ENOENT") throw error;
    });
  }
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
}

async function edit(file: string, from: string | RegExp, to: string): Promise<void> {
  const before = await readFile(file, "utf8");
  const after = before.replace(from, to);
  if (after === before) throw new Error(`edit of ${file} matched nothing`);
  await writeFile(file, after);
}

async function sh(dir: string, file: string, args: string[]): Promise<{ code: number; output: string }> {
  const env = { ...process.env, DATABASE_URL: inject("adminDatabaseUrl") };
  try {
    const { stdout, stderr } = await run(file, args, { cwd: dir, env, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout = "", stderr = "" } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? 1, output: stdout + stderr };
  }
}

interface CheckResult {
  code: number;
  output: string;
  /** The first failing step's report: its FAIL line and the lines under it. */
  first: string;
}

async function check(dir: string): Promise<CheckResult> {
  const { code, output } = await sh(dir, "npm", ["run", "--silent", "check"]);
  const first = /^FAIL {2}.*\n(?: {6}.*\n?)*/m.exec(output)?.[0] ?? "";
  return { code, output, first };
}

async function withScratch(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "warden-drift-"));
  try {
    await copyRepository(dir);
    await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const git = (dir: string, ...args: string[]) =>
  run("git", ["-c", "user.email=drift@warden.local", "-c", "user.name=drift", ...args], { cwd: dir });

const addMigration = (dir: string, name: string, sql: string) =>
  writeFile(path.join(dir, "sql/migrations", `${name}.sql`), `-- Up Migration\n${sql}\n`);

const EVENT_PROTO = "proto/warden/v1/event.proto";

describe("npm run check: each class of drift fails, and the first failure names it", { timeout: 300_000 }, () => {
  it("the unchanged copy passes (so the failures below are caused by the edits)", () =>
    withScratch(async (dir) => {
      const result = await check(dir);
      expect(result.output).toContain("check: all steps passed");
      expect(result.code).toBe(0);
    }));

  it("migration-history: an applied migration edited", () =>
    withScratch(async (dir) => {
      await edit(
        path.join(dir, "sql/migrations/0002_service_tokens.sql"),
        "  last_rotated_at timestamptz,",
        "  last_rotated_at timestamptz,\n  rotated_by text,",
      );
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(
        /^FAIL {2}migration-history.*\n {6}sql\/migrations\/0002_service_tokens\.sql was edited after it was applied/,
      );
    }));

  it("buf-breaking: a renumbered field committed on main, checked on a clone of main as CI does", () =>
    withScratch(async (dir) => {
      await git(dir, "init", "-q", "-b", "main");
      await git(dir, "add", "-A", "--", ".", ":!node_modules");
      await git(dir, "commit", "-qm", "released");
      await edit(path.join(dir, EVENT_PROTO), "uint32 risk_score = 10;", "uint32 risk_score = 30;");
      await git(dir, "commit", "-qam", "renumber risk_score");

      const clone = await mkdtemp(path.join(tmpdir(), "warden-drift-clone-"));
      try {
        await run("git", ["clone", "-q", dir, clone]);
        await symlink(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
        const result = await check(clone);
        expect(result.code).toBe(1);
        expect(result.first).toMatch(
          /^FAIL {2}buf-breaking.*\n.*"10" with name "risk_score" on message "AuthenticationEvent"/,
        );
      } finally {
        await rm(clone, { recursive: true, force: true });
      }
    }));

  it("access-options: a new RPC that declares no access option", () =>
    withScratch(async (dir) => {
      const file = path.join(dir, "proto/warden/v1/risk_service.proto");
      await edit(
        file,
        "service RiskService {\n",
        "service RiskService {\n  rpc ForgetRiskProfile(ForgetRiskProfileRequest) returns (ForgetRiskProfileResponse);\n",
      );
      await writeFile(
        file,
        `${await readFile(file, "utf8")}\nmessage ForgetRiskProfileRequest {\n  string subject = 1;\n}\n\nmessage ForgetRiskProfileResponse {}\n`,
      );
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(
        /^FAIL {2}access-options.*\n {6}warden\.v1\.RiskService\.ForgetRiskProfile declares no \(warden\.v1\.access\) option/,
      );
    }));

  it("sql-queries: a migration renaming a column that a query uses", () =>
    withScratch(async (dir) => {
      await addMigration(
        dir,
        "0900_rename_subject",
        "ALTER TABLE security_events RENAME COLUMN subject TO subject_id;",
      );
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(/^FAIL {2}sql-queries/);
      expect(result.first).toContain('column "subject" of relation "security_events" does not exist');
    }));

  it("enums: a new value on a non-event proto enum (AlertState), before regenerating", () =>
    withScratch(async (dir) => {
      await edit(
        path.join(dir, "proto/warden/v1/alert_service.proto"),
        "ALERT_STATE_RESOLVED = 3;",
        "ALERT_STATE_RESOLVED = 3;\n  ALERT_STATE_SUPPRESSED = 4;",
      );
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(
        /^FAIL {2}enums.*\n {6}proto enum warden\.v1\.AlertState has SUPPRESSED, which PostgreSQL enum alert_state lacks/,
      );
    }));

  it("enums: a database enum value the proto does not have", () =>
    withScratch(async (dir) => {
      await addMigration(dir, "0900_new_reason", "ALTER TYPE failure_reason ADD VALUE 'CAPTCHA_FAILED';");
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(
        /^FAIL {2}enums.*\n {6}PostgreSQL enum failure_reason has CAPTCHA_FAILED, which proto enum warden\.v1\.FailureReason lacks/,
      );
    }));

  it("columns: a column narrowed below the validator's limit, with the same TypeScript type", () =>
    withScratch(async (dir) => {
      await addMigration(
        dir,
        "0900_narrow_user_agent",
        "ALTER TABLE security_events ALTER COLUMN user_agent TYPE varchar(64);",
      );
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(
        /^FAIL {2}columns.*\n {6}security_events\.user_agent is character varying\(64\): it holds 64 characters, but EVENT_LIMITS\.text\.user_agent lets through 1024/,
      );
    }));

  it("plpgsql: a column renamed under a PL/pgSQL function", () =>
    withScratch(async (dir) => {
      await addMigration(
        dir,
        "0900_rename_failed_subject",
        "ALTER TABLE lockout_failed_subjects RENAME COLUMN subject TO subject_name;",
      );
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(
        /^FAIL {2}plpgsql.*\n {6}function lockout_detect_stuffing\(.*\) line \d+: column "subject" of relation "lockout_failed_subjects" does not exist/,
      );
    }));

  it("tsc: a retyped column, before regenerating, names the code that uses it", () =>
    withScratch(async (dir) => {
      await addMigration(dir, "0900_count_bigint", "ALTER TABLE alerts ALTER COLUMN count TYPE bigint;");
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(/^FAIL {2}tsc.*\n.*generated from proto\/ and sql\/ as they are now/);
      expect(result.first).toMatch(/src\/alerts\/alerts\.ts\(\d+,\d+\): error[\s\S]*property 'count' are incompatible/);
      // Regenerating is advice, after the mismatch itself.
      expect(result.output.indexOf("FAIL  generated")).toBeGreaterThan(result.output.indexOf("FAIL  tsc"));
    }));

  it("buf-breaking: without a released contract to compare with, the step fails (it never passes silently)", () =>
    withScratch(async (dir) => {
      await rm(path.join(dir, "contract/released.binpb"));
      const result = await sh(dir, "node_modules/.bin/tsx", ["scripts/check.ts", "--only", "buf-breaking"]);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/FAIL {2}buf-breaking.*\n {6}no released contract at contract\/released\.binpb/);
    }));

  it("generated: a proto edited without regenerating, and a migration not yet in the lock", () =>
    withScratch(async (dir) => {
      await edit(path.join(dir, EVENT_PROTO), "enum EventType {", "// What happened.\nenum EventType {");
      await addMigration(dir, "0900_comment", "COMMENT ON TABLE alerts IS 'alerts';");
      const result = await check(dir);
      expect(result.code).toBe(1);
      expect(result.first).toMatch(/^FAIL {2}generated/);
      expect(result.first).toContain("src/gen/warden/v1/event.ts: differs");
      expect(result.first).toContain("sql/migrations/0900_comment.sql: not in sql/migrations.lock yet");
      expect(result.first).toContain("npm run gen");
    }));
});
