import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { runner } from "node-pg-migrate";
import pg from "pg";
import type { Logger } from "../log.js";
import { MIGRATIONS_DIR } from "../paths.js";

const MIGRATIONS_TABLE = "pgmigrations";
const CHECKSUMS_TABLE = "warden_migration_checksums";
// One key for every Warden process: replicas starting together apply migrations one at a time.
const MIGRATION_LOCK_KEY = 0x5741_5244; // "WARD"

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

export interface MigrationFile {
  name: string;
  sha256: string;
}

/** The migrations in `dir` in the order they apply, each with the SHA-256 of its file. */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
  return Promise.all(
    names.map(async (file) => ({
      name: path.basename(file, ".sql"),
      sha256: createHash("sha256")
        .update(await readFile(path.join(dir, file)))
        .digest("hex"),
    })),
  );
}

/**
 * Applies pending migrations with node-pg-migrate. Around it, under one
 * advisory lock, Warden refuses to start if a migration that was already
 * applied has since been edited or deleted: history is append-only.
 */
export async function migrate(databaseUrl: string, log: Logger, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "warden-migrate" });
  await client.connect();
  try {
    await client.query("SET lock_timeout = '60s'");
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${CHECKSUMS_TABLE} (name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const recorded = await client.query<{ name: string; sha256: string }>(
        `SELECT name, sha256 FROM ${CHECKSUMS_TABLE}`,
      );
      const byName = new Map(files.map((file) => [file.name, file.sha256]));
      for (const row of recorded.rows) {
        const current = byName.get(row.name);
        if (current === undefined) {
          throw new MigrationError(
            `migration ${row.name} was applied to this database but its file is missing from ${dir}`,
          );
        }
        if (current !== row.sha256) {
          throw new MigrationError(
            `migration ${row.name} was changed after it was applied (applied sha256 ${row.sha256.slice(0, 12)}…, file sha256 ${current.slice(0, 12)}…); add a new migration instead`,
          );
        }
      }

      const applied = await runner({
        dbClient: client,
        dir,
        direction: "up",
        migrationsTable: MIGRATIONS_TABLE,
        checkOrder: true,
        singleTransaction: true,
        noLock: true,
        logger: {
          debug: (message: string) => log.debug(message),
          info: (message: string) => log.debug(message),
          warn: (message: string) => log.warn(message),
          error: (message: string) => log.error(message),
        },
      });

      const appliedNames = applied.map((migration) => migration.name);
      for (const file of files) {
        await client.query(
          `INSERT INTO ${CHECKSUMS_TABLE} (name, sha256) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
          [file.name, file.sha256],
        );
      }
      if (appliedNames.length > 0) log.info({ migrations: appliedNames }, "applied migrations");
      return appliedNames;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
