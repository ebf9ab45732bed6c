import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";

/**
 * A server to create throwaway databases on: DATABASE_URL when set, otherwise
 * an embedded PostgreSQL kept under .warden/tooling-pg.
 */
export async function adminDatabase(root: string): Promise<{ url: string; release: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== "") return { url, release: () => Promise.resolve() };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(root, ".warden", "tooling-pg"),
    port: Number(process.env.WARDEN_TOOLING_PG_PORT ?? 54331),
    database: "postgres",
  });
  return { url: embedded.url, release: () => embedded.stop() };
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `work` against a fresh, empty database that is dropped afterwards. */
export async function withScratchDatabase<T>(
  adminUrl: string,
  prefix: string,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      return await work(databaseUrl(adminUrl, name));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
