/**
 * `npm run check`: proves that proto/, sql/, the live schema and the code agree.
 *
 *   buf-lint, buf-format, buf-breaking   the contracts themselves
 *   access-options                       every RPC declares who may call it (warden.v1.access)
 *   proto-types                          src/gen/ equals what buf + ts-proto generate now
 *   sql-types                            sql/queries/*.queries.ts equal what pgtyped generates
 *                                        against a fresh database migrated from sql/migrations
 *   tsc                                  the code compiles against both
 *   lint                                 eslint and prettier
 *
 * Every step runs; the summary names each mismatch. `--only a,b` runs some steps.
 * Needs a PostgreSQL for sql-types: DATABASE_URL, or an embedded one.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import { readAccessRules } from "../src/rpc/edge/access-rules.js";
import { generateProto, generateSqlTypes } from "./lib/generate.js";
import { adminDatabase, withScratchDatabase } from "./lib/scratch-db.js";

const run = promisify(execFile);
const STEPS = [
  "buf-lint",
  "buf-format",
  "buf-breaking",
  "access-options",
  "proto-types",
  "sql-types",
  "tsc",
  "lint",
] as const;
type Step = (typeof STEPS)[number];

const options = new Command()
  .option("--only <steps>", `comma-separated subset of: ${STEPS.join(", ")}`)
  .option("--root <dir>", "project root", process.cwd())
  .parse()
  .opts<{ only?: string; root: string }>();
const root = path.resolve(options.root);
const selected = new Set<Step>(options.only === undefined ? STEPS : (options.only.split(",") as Step[]));
for (const step of selected) if (!STEPS.includes(step)) throw new Error(`unknown step ${step}`);

async function command(file: string, args: string[]): Promise<string | undefined> {
  try {
    await run(file, args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return undefined;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return `${stdout}${stderr}`.trim() || (error as Error).message;
  }
}

const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

async function listFiles(dir: string): Promise<string[]> {
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (!exists) return [];
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
async function withSourceLines(output: string): Promise<string> {
  const lines: string[] = [];
  for (const line of output.split("\n")) {
    lines.push(line);
    const at = /^(.+?)\((\d+),\d+\): error/.exec(line);
    if (at === null) continue;
    const source = await readFile(path.join(root, at[1]!), "utf8").catch(() => undefined);
    const text = source?.split("\n")[Number(at[2]) - 1]?.trim();
    if (text) lines.push(`    > ${text}`);
  }
  return lines.join("\n");
}

async function mainBranchHasProto(): Promise<boolean> {
  const ref = await command("git", ["rev-parse", "--verify", "--quiet", "main:proto"]);
  return ref === undefined;
}

const checks: Record<Step, () => Promise<string | undefined>> = {
  "buf-lint": () => command(bin("buf"), ["lint"]),
  "buf-format": () => command(bin("buf"), ["format", "--diff", "--exit-code"]),
  "buf-breaking": async () => {
    if (!(await mainBranchHasProto())) return undefined;
    return command(bin("buf"), ["breaking", "--against", ".git#branch=main"]);
  },
  "access-options": async () => {
    const out = await mkdtemp(path.join(tmpdir(), "warden-access-"));
    try {
      const descriptors = path.join(out, "warden.binpb");
      const failed = await command(bin("buf"), ["build", "--as-file-descriptor-set", "-o", descriptors]);
      if (failed !== undefined) return failed;
      const problems = [...readAccessRules(await readFile(descriptors)).values()].filter(
        (rule): rule is string => typeof rule === "string",
      );
      return problems.length === 0
        ? undefined
        : `${problems.join("\n")}\nadd option (warden.v1.access) = { scope: "…" } (or public: true) to each`;
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  },
  "proto-types": async () => {
    const out = await mkdtemp(path.join(tmpdir(), "warden-proto-"));
    try {
      await generateProto(root, out);
      const problems = await compare(out, "src/gen", () => true);
      return problems.length === 0
        ? undefined
        : `${problems.join("\n")}\nrun \`npm run gen:proto\` and commit the result`;
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  },
  "sql-types": async () => {
    const out = await mkdtemp(path.join(tmpdir(), "warden-sql-"));
    const admin = await adminDatabase(root);
    try {
      const errors = await withScratchDatabase(admin.url, "warden_check", (url) => generateSqlTypes(root, url, out));
      if (errors.length > 0) return `pgtyped rejected queries against the migrated schema:\n${errors.join("\n")}`;
      const problems = await compare(out, "sql/queries", (file) => file.endsWith(".queries.ts"));
      return problems.length === 0
        ? undefined
        : `${problems.join("\n")}\nrun \`npm run gen:sql\` and commit the result`;
    } finally {
      await admin.release();
      await rm(out, { recursive: true, force: true });
    }
  },
  tsc: async () => {
    const output = await command(bin("tsc"), ["--noEmit", "-p", "tsconfig.json", "--pretty", "false"]);
    return output === undefined ? undefined : withSourceLines(output);
  },
  lint: async () => {
    const eslint = await command(bin("eslint"), ["--max-warnings", "0", "."]);
    const prettier = await command(bin("prettier"), ["--check", "."]);
    return [eslint, prettier].filter((output) => output !== undefined).join("\n") || undefined;
  },
};

let failed = 0;
for (const step of STEPS) {
  if (!selected.has(step)) continue;
  const started = Date.now();
  const problem = await checks[step]();
  const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
  if (problem === undefined) {
    console.log(`ok    ${step} (${took})`);
  } else {
    failed += 1;
    console.log(`FAIL  ${step} (${took})\n${problem.replace(/^/gm, "      ")}`);
  }
}
console.log(failed === 0 ? "check: all steps passed" : `check: ${failed} step(s) failed`);
process.exit(failed === 0 ? 0 : 1);
