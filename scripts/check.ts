/**
 * `npm run check`: proves that proto/, sql/, the live schema and the code agree.
 * Steps run in this order, so the first failure names the mismatch itself and
 * "regenerate" comes last, as advice:
 *
 *   migration-history   sql/migrations/ still holds the history in sql/migrations.lock, unedited
 *   buf-breaking        proto/ is wire-compatible with the released contract, contract/released.binpb
 *   buf-lint, buf-format
 *   access-options      every RPC declares who may call it: a (warden.v1.access) method option
 *   sql-queries         pgtyped accepts sql/queries/*.sql against a scratch database migrated from sql/migrations
 *   enums               every proto enum stored in PostgreSQL has the same values as its enum or CHECK there
 *   columns             every column a validator bounds accepts all that the validator lets through
 *   plpgsql             plpgsql_check finds no error in any PL/pgSQL function
 *   tsc                 the code compiles against proto and SQL types generated now, in a scratch copy
 *   generated           src/gen/, sql/queries/*.queries.ts and sql/migrations.lock equal what `npm run gen` makes
 *   lint                eslint and prettier
 *
 * Every step runs; the summary names each mismatch. `--only a,b` runs some steps.
 * Needs a PostgreSQL: DATABASE_URL, or an embedded one.
 */
import { execFile } from "node:child_process";
import { access, cp, mkdir, readdir, readFile, rm, stat, symlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import pg from "pg";
import { columnLimitProblems } from "./lib/column-limits.js";
import { readAccessRules } from "../src/rpc/edge/access-rules.js";
import { generateProto, generateSqlTypes } from "./lib/generate.js";
import { historyReport, LOCK_FILE } from "./lib/migration-lock.js";
import { plpgsqlProblems } from "./lib/plpgsql.js";
import { adminDatabase, withScratchDatabase } from "./lib/scratch-db.js";
import { storedEnumProblems } from "./lib/stored-enums.js";

const run = promisify(execFile);
const STEPS = [
  "migration-history",
  "buf-breaking",
  "buf-lint",
  "buf-format",
  "access-options",
  "sql-queries",
  "enums",
  "columns",
  "plpgsql",
  "tsc",
  "generated",
  "lint",
] as const;
type Step = (typeof STEPS)[number];
/** Steps that need the scratch copy with freshly generated types, and its migrated database. */
const FRESH_STEPS = new Set<Step>(["sql-queries", "enums", "columns", "plpgsql", "tsc", "generated"]);
/** The released contract that buf-breaking compares with; `npm run contract:release` rewrites it. */
const RELEASED_CONTRACT = "contract/released.binpb";
/** What the scratch copy needs to type-check: tsconfig.json's include, and package.json for module resolution. */
const TYPE_CHECKED = ["package.json", "tsconfig.json", "src", "sql", "test", "scripts", "bench", "vitest.config.ts"];

const options = new Command()
  .option("--only <steps>", `comma-separated subset of: ${STEPS.join(", ")}`)
  .option("--root <dir>", "project root", process.cwd())
  .parse()
  .opts<{ only?: string; root: string }>();
const root = path.resolve(options.root);
const selected = new Set<Step>(options.only === undefined ? STEPS : (options.only.split(",") as Step[]));
for (const step of selected) if (!STEPS.includes(step)) throw new Error(`unknown step ${step}`);

async function command(file: string, args: string[], cwd = root): Promise<string | undefined> {
  try {
    await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return undefined;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return `${stdout}${stderr}`.trim() || (error as Error).message;
  }
}

const TSC_BUILD_INFO = path.join(root, ".warden", "check.tsbuildinfo");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

async function listFiles(dir: string): Promise<string[]> {
  if (
    !(await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** Files under `relative` that differ between the repo and a fresh generation in `generatedRoot`. */
async function compare(generatedRoot: string, relative: string, include: (file: string) => boolean): Promise<string[]> {
  const committed = (await listFiles(path.join(root, relative))).filter(include);
  const generated = (await listFiles(path.join(generatedRoot, relative))).filter(include);
  const problems: string[] = [];
  for (const file of new Set([...committed, ...generated])) {
    const name = path.join(relative, file);
    if (!generated.includes(file)) problems.push(`${name}: no longer generated (delete it)`);
    else if (!committed.includes(file)) problems.push(`${name}: generated but missing from the repo`);
    else {
      const [a, b] = await Promise.all([readFile(path.join(root, name)), readFile(path.join(generatedRoot, name))]);
      if (!a.equals(b)) problems.push(`${name}: differs from what the generator produces now`);
    }
  }
  return problems;
}

/**
 * tsc names the file and line but often not the field ("Type 'number' is not
 * assignable to type 'string'"); quoting the line shows which field disagrees.
 */
async function withSourceLines(output: string, dir: string): Promise<string> {
  const lines: string[] = [];
  for (const line of output.split("\n")) {
    lines.push(line);
    const at = /^(.+?)\((\d+),\d+\): error/.exec(line);
    if (at === null) continue;
    const source = await readFile(path.join(dir, at[1]!), "utf8").catch(() => undefined);
    const text = source?.split("\n")[Number(at[2]) - 1]?.trim();
    if (text) lines.push(`    > ${text}`);
  }
  return lines.join("\n");
}

/**
 * A scratch copy of the code with src/gen and sql/queries/*.queries.ts
 * generated from proto/ and sql/ as they are now, and the database those
 * migrations produce.
 */
interface Fresh {
  dir: string;
  database?: pg.Client;
  /** Why the scratch copy or its database could not be made, when they could not. */
  setupError?: string;
  pgtypedErrors: string[];
}

async function prepareFresh(dir: string, databaseUrl: string): Promise<Fresh> {
  for (const entry of TYPE_CHECKED) {
    await cp(path.join(root, entry), path.join(dir, entry), {
      recursive: true,
      filter: (source) => !source.endsWith(".queries.ts") && !source.startsWith(path.join(root, "src", "gen")),
    });
  }
  await symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  try {
    await generateProto(root, dir);
  } catch (error) {
    return { dir, setupError: `buf generate failed (see buf-lint): ${(error as Error).message}`, pgtypedErrors: [] };
  }
  let pgtypedErrors: string[];
  try {
    pgtypedErrors = await generateSqlTypes(root, databaseUrl, dir);
  } catch (error) {
    return { dir, setupError: `sql/migrations do not apply: ${(error as Error).message}`, pgtypedErrors: [] };
  }
  const database = new pg.Client({ connectionString: databaseUrl });
  await database.connect();
  return { dir, database, pgtypedErrors };
}

interface Outcome {
  problem?: string;
  skipped?: string;
}
const passed: Outcome = {};
const failure = (problem: string | undefined): Outcome => (problem === undefined ? passed : { problem });
const problemList = (problems: string[], advice: string): Outcome =>
  problems.length === 0 ? passed : { problem: `${problems.join("\n")}\n${advice}` };

function withDatabase(fresh: Fresh, work: (database: pg.Client) => Promise<Outcome>): Promise<Outcome> {
  if (fresh.database === undefined) return Promise.resolve({ problem: `not checked: ${fresh.setupError}` });
  return work(fresh.database);
}

const checks: Record<Exclude<Step, "lint">, (fresh: Fresh) => Promise<Outcome>> = {
  "migration-history": async () => {
    const { violations } = await historyReport(root);
    return problemList(violations, `the history in ${LOCK_FILE} is append-only: change the schema in a new migration`);
  },
  "buf-breaking": async () => {
    if (!(await exists(path.join(root, RELEASED_CONTRACT)))) {
      return {
        problem: `no released contract at ${RELEASED_CONTRACT} to compare proto/ with\nrecord one deliberately: npm run contract:release`,
      };
    }
    // The public module alone: the released contract is proto/, not proto-internal/.
    const output = await command(bin("buf"), ["breaking", "proto", "--against", RELEASED_CONTRACT]);
    return failure(
      output &&
        `${output}\nproto/ is not wire-compatible with the released contract (${RELEASED_CONTRACT}): keep field numbers and names, ` +
          `reserve removed ones; only a deliberate new release may break it (npm run contract:release)`,
    );
  },
  "buf-lint": async () => failure(await command(bin("buf"), ["lint"])),
  "buf-format": async () =>
    failure((await command(bin("buf"), ["format", "--diff", "--exit-code"])) && "run `npm run format`"),
  "access-options": async (fresh) => {
    if (fresh.setupError !== undefined) return { problem: fresh.setupError };
    const rules = readAccessRules(await readFile(path.join(fresh.dir, "src", "gen", "warden.binpb")));
    return problemList(
      [...rules.values()].filter((rule): rule is string => typeof rule === "string"),
      'add option (warden.v1.access) = {scope: "…"} (or public: true) to each',
    );
  },
  "sql-queries": (fresh) => {
    if (fresh.setupError !== undefined) return Promise.resolve({ problem: fresh.setupError });
    return Promise.resolve(
      problemList(
        fresh.pgtypedErrors.length === 0
          ? []
          : ["pgtyped rejected queries against the migrated schema:", ...fresh.pgtypedErrors],
        "fix the query or the migration",
      ),
    );
  },
  enums: (fresh) =>
    withDatabase(fresh, async (database) =>
      problemList(
        await storedEnumProblems(database, path.join(fresh.dir, "src", "gen", "warden.binpb")),
        "add the value on the other side too (ALTER TYPE … ADD VALUE in a new migration, or a proto enum value)",
      ),
    ),
  columns: (fresh) =>
    withDatabase(fresh, async (database) =>
      problemList(
        await columnLimitProblems(database),
        "widen the column in a new migration, or lower the limit in the validator",
      ),
    ),
  plpgsql: (fresh) =>
    withDatabase(fresh, async (database) => {
      const result = await plpgsqlProblems(database);
      if ("unavailable" in result) {
        const why = `${result.unavailable}: PL/pgSQL function bodies were NOT checked (install postgresql-<version>-plpgsql-check)`;
        return process.env.CI === "true" ? { problem: why } : { skipped: why };
      }
      return problemList(result.problems, "update the function in a new migration (CREATE OR REPLACE FUNCTION)");
    }),
  tsc: async (fresh) => {
    if (fresh.setupError !== undefined) return { problem: `not checked: ${fresh.setupError}` };
    const output = await command(
      bin("tsc"),
      ["--noEmit", "--incremental", "--tsBuildInfoFile", TSC_BUILD_INFO, "-p", "tsconfig.json", "--pretty", "false"],
      fresh.dir,
    );
    if (output === undefined) return passed;
    return {
      problem: `the code does not compile against types generated from proto/ and sql/ as they are now:\n${await withSourceLines(output, fresh.dir)}`,
    };
  },
  generated: async (fresh) => {
    const problems = [
      ...(fresh.setupError === undefined ? await compare(fresh.dir, "src/gen", () => true) : []),
      ...(fresh.setupError === undefined
        ? await compare(fresh.dir, "sql/queries", (file) => file.endsWith(".queries.ts"))
        : []),
      ...(await historyReport(root)).unlocked.map(
        (migration) => `sql/migrations/${migration.name}.sql: not in ${LOCK_FILE} yet`,
      ),
    ];
    return problemList(problems, "regenerate with `npm run gen` and commit the result");
  },
};

async function lintOutcome(): Promise<Outcome> {
  const eslint = await command(bin("eslint"), ["--max-warnings", "0", "."]);
  const prettier = await command(bin("prettier"), ["--check", "."]);
  return failure([eslint, prettier].filter((output) => output !== undefined).join("\n") || undefined);
}

async function timed(work: () => Promise<Outcome>): Promise<Outcome & { took: string }> {
  const started = Date.now();
  const outcome = await work().catch((error: unknown) => ({
    problem: error instanceof Error ? (error.stack ?? error.message) : String(error),
  }));
  return { ...outcome, took: `${((Date.now() - started) / 1000).toFixed(1)}s` };
}

// Lint needs nothing the other steps make: it runs alongside them.
const lint = selected.has("lint") ? timed(lintOutcome) : undefined;

/** Runs the selected steps and prints them in order. */
async function runSteps(fresh: Fresh): Promise<{ failed: number; skipped: number }> {
  let failed = 0;
  let skipped = 0;
  for (const step of STEPS) {
    if (!selected.has(step)) continue;
    const outcome = step === "lint" ? await lint! : await timed(() => checks[step](fresh));
    if (outcome.problem !== undefined) {
      failed += 1;
      console.log(`FAIL  ${step} (${outcome.took})\n${outcome.problem.replace(/^/gm, "      ")}`);
    } else if (outcome.skipped !== undefined) {
      skipped += 1;
      console.log(`SKIPPED  ${step} (${outcome.took}) !!!\n      ${outcome.skipped}`);
    } else {
      console.log(`ok    ${step} (${outcome.took})`);
    }
  }
  return { failed, skipped };
}

const needsFresh = [...selected].some((step) => FRESH_STEPS.has(step));
// A fixed place (git, eslint and prettier ignore .warden/), so tsc's build info from the last run
// stays valid and it re-checks only what changed: seconds instead of a cold compile.
const dir = path.join(root, ".warden", "check");
await rm(dir, { recursive: true, force: true });
await mkdir(dir, { recursive: true });
const admin = needsFresh ? await adminDatabase(root) : undefined;
let result: { failed: number; skipped: number };
try {
  result =
    admin === undefined
      ? await runSteps({ dir, pgtypedErrors: [] })
      : await withScratchDatabase(admin.url, "warden_check", async (url) => {
          const fresh = await prepareFresh(dir, url);
          try {
            return await runSteps(fresh);
          } finally {
            await fresh.database?.end();
          }
        });
} finally {
  await admin?.release();
  await rm(dir, { recursive: true, force: true });
}
const skippedNote = result.skipped === 0 ? "" : `, ${result.skipped} SKIPPED`;
console.log(
  result.failed === 0
    ? `check: all steps passed${skippedNote}`
    : `check: ${result.failed} step(s) failed${skippedNote}`,
);
process.exit(result.failed === 0 ? 0 : 1);
