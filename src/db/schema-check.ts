/**
 * `warden schema check`: does a live database hold what sql/migrations
 * produce? It reads the migration bookkeeping for pending, edited and missing
 * migrations, then migrates a throwaway database on the same server and diffs
 * the two schemas with migra, which names every object added, dropped or
 * altered by hand. The live database is only read.
 */
import { randomBytes } from "node:crypto";
import { createClient } from "@pgkit/client";
import { Migration } from "@pgkit/migra";
import pg from "pg";
import pRetry from "p-retry";
import type { Logger } from "../log.js";
import { MIGRATIONS_DIR } from "../paths.js";
import { migrate, readMigrationFiles } from "./migrate.js";

export interface SchemaReport {
  migrations: number;
  /** Migrations in sql/migrations the database has not applied. */
  pending: string[];
  /** Applied migrations whose file changed since, or whose file is gone. */
  edited: string[];
  /** SQL that would turn the live schema into the migrated one: one statement per difference. */
  differences: string[];
}

// Monthly partitions of security_events are made at run time, ahead of each month, not by migrations.
const RUNTIME_PARTITION = /"security_events_\d{4}_\d{2}"/;

async function bookkeeping(
  databaseUrl: string,
  dir: string,
): Promise<Pick<SchemaReport, "migrations" | "pending" | "edited">> {
  const files = await readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "warden-schema-check" });
  await client.connect();
  try {
    const tables = await client.query<{ applied: string | null; checksums: string | null }>(
      "SELECT to_regclass('pgmigrations')::text AS applied, to_regclass('warden_migration_checksums')::text AS checksums",
    );
    const { applied, checksums } = tables.rows[0]!;
    const appliedNames = new Set(
      applied === null
        ? []
        : (await client.query<{ name: string }>("SELECT name FROM pgmigrations")).rows.map((r) => r.name),
    );
    const recorded =
      checksums === null
        ? []
        : (await client.query<{ name: string; sha256: string }>("SELECT name, sha256 FROM warden_migration_checksums"))
            .rows;
    const byName = new Map(files.map((file) => [file.name, file.sha256]));
    const edited = recorded.flatMap((row) => {
      const current = byName.get(row.name);
      if (current === undefined) return [`${row.name}: applied, but its file is missing from sql/migrations`];
      if (current !== row.sha256) {
        return [
          `${row.name}: changed after it was applied (applied sha256 ${row.sha256.slice(0, 12)}…, file ${current.slice(0, 12)}…)`,
        ];
      }
      return [];
    });
    return {
      migrations: files.length,
      pending: files.filter((file) => !appliedNames.has(file.name)).map((file) => file.name),
      edited,
    };
  } finally {
    await client.end();
  }
}

function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** What sql/migrations produce, in a throwaway database on the live server, diffed against the live one. */
async function schemaDifferences(databaseUrl: string, dir: string, log: Logger): Promise<string[]> {
  const name = `warden_schema_check_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: databaseUrl, application_name: "warden-schema-check" });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const expectedUrl = databaseUrlFor(databaseUrl, name);
      // The throwaway database's "applied migrations" would read as if the live one had been migrated.
      await migrate(expectedUrl, log.child({}, { level: "warn" }), dir);
      const live = createClient(databaseUrl);
      const expected = createClient(expectedUrl);
      try {
        const migration = await Migration.create(live, expected, {});
        migration.set_safety(false);
        migration.add_all_changes();
        return [...migration.statements]
          .map((statement) => statement.trim())
          .filter((statement) => statement !== "" && !RUNTIME_PARTITION.test(statement));
      } finally {
        await Promise.all([live.end(), expected.end()]);
      }
    } finally {
      // Not WITH (FORCE): migra's pools resolve end() before their backends exit, and a
      // forced drop would kill those, an error their ended pools no longer catch.
      await pRetry(() => admin.query(`DROP DATABASE IF EXISTS ${name}`), { retries: 10, minTimeout: 100 });
    }
  } finally {
    await admin.end();
  }
}

export async function checkSchema(
  databaseUrl: string,
  log: Logger,
  dir: string = MIGRATIONS_DIR,
): Promise<SchemaReport> {
  const history = await bookkeeping(databaseUrl, dir);
  return { ...history, differences: await schemaDifferences(databaseUrl, dir, log) };
}

export function schemaMatches(report: SchemaReport): boolean {
  return report.pending.length + report.edited.length + report.differences.length === 0;
}

/** The report as a reader wants it: what differs, then the SQL that would make the database match. */
export function formatSchemaReport(report: SchemaReport): string {
  if (schemaMatches(report))
    return `schema check: the database matches the ${report.migrations} migrations in sql/migrations\n`;
  const sections = ["schema check: the database differs from sql/migrations"];
  if (report.pending.length > 0)
    sections.push(`pending migrations (not applied yet):\n${report.pending.map((name) => `  ${name}`).join("\n")}`);
  if (report.edited.length > 0)
    sections.push(
      `migrations edited or removed after they were applied:\n${report.edited.map((line) => `  ${line}`).join("\n")}`,
    );
  if (report.differences.length > 0) {
    sections.push(
      `objects that differ; this SQL would make the database match the migrations:\n${report.differences
        .map((statement) => statement.replace(/^/gm, "  "))
        .join("\n")}`,
    );
  }
  return `${sections.join("\n\n")}\n`;
}
