import { execFile } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { migrate } from "../../src/db/migrate.js";

const run = promisify(execFile);

function bin(root: string, name: string): string {
  return path.join(root, "node_modules", ".bin", name);
}

/** Regenerates ts-proto code and the reflection descriptor sets under `outDir` (laid out like the repo). */
export async function generateProto(root: string, outDir: string): Promise<void> {
  const buf = bin(root, "buf");
  await run(buf, ["generate", "--output", outDir], { cwd: root });
  const gen = path.join(outDir, "src", "gen");
  await mkdir(gen, { recursive: true });
  await run(buf, ["build", "--as-file-descriptor-set", "-o", path.join(gen, "warden.binpb")], { cwd: root });
  await run(
    buf,
    ["build", "node_modules/grpc-health-check/proto", "--as-file-descriptor-set", "-o", path.join(gen, "health.binpb")],
    { cwd: root },
  );
}

/**
 * Migrates `databaseUrl` from sql/migrations, then runs pgtyped over a copy of
 * sql/queries in `outDir`. pgtyped exits 0 even when a query names a missing
 * table or column, so its output is searched for errors, which are returned.
 */
export async function generateSqlTypes(root: string, databaseUrl: string, outDir: string): Promise<string[]> {
  await migrate(databaseUrl, pino({ level: "warn" }), path.join(root, "sql", "migrations"));
  const queries = path.join(outDir, "sql", "queries");
  await rm(queries, { recursive: true, force: true });
  await mkdir(queries, { recursive: true });
  for (const file of await readdir(path.join(root, "sql", "queries"))) {
    if (file.endsWith(".sql")) await cp(path.join(root, "sql", "queries", file), path.join(queries, file));
  }
  const config = JSON.parse(await readFile(path.join(root, "pgtyped.json"), "utf8")) as Record<string, unknown>;
  const configFile = path.join(outDir, "pgtyped.json");
  // Run from outDir with the repo's relative srcDir so the generated headers match.
  await writeFile(configFile, JSON.stringify(config));

  const result = await run(bin(root, "pgtyped"), ["-c", configFile], {
    cwd: outDir,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => ({
    stdout: error.stdout ?? "",
    stderr: `${error.stderr ?? ""}\n${error.message}`,
  }));
  const output = `${result.stdout}\n${result.stderr}`;
  const problems: string[] = [];
  for (const match of output.matchAll(/Error processing (\S+): (.*)/g))
    problems.push(`${path.basename(match[1]!)}: ${match[2]}`);
  for (const match of output.matchAll(/message: '([^']*)'/g)) problems.push(`  database says: ${match[1]}`);
  for (const match of output.matchAll(/\((\d+:\d+)\) (Parse error: .*)/g)) problems.push(`${match[1]} ${match[2]}`);
  if (problems.length === 0 && /error/i.test(output)) problems.push(output.trim());
  return problems;
}
