import { randomBytes } from "node:crypto";
import pRetry from "p-retry";
import pg from "pg";
import { pino } from "pino";
import { inject } from "vitest";
import { createPool, type PoolClient } from "../../src/db/pool.js";
import { databaseUrl } from "../../scripts/lib/scratch-db.js";

export interface TestDatabase {
  url: string;
  /** A direct connection for assertions about what is stored. */
  query<Row extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

/** A migrated database of this test file's own, cloned from the template the global setup built. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("adminDatabaseUrl");
  const name = `warden_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Two clones of one template at the same moment can collide; retry briefly.
  await pRetry(() => admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject("templateDatabase")}`), {
    retries: 10,
    minTimeout: 50,
  });
  const url = databaseUrl(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // DROP DATABASE ... WITH (FORCE) ends idle connections; that is expected here.
  pool.on("error", () => undefined);
  return {
    url,
    async query<Row extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<Row>(sql, params)).rows;
    },
    async drop() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * Rows `statement` reads from `table`, by scanning it or through `index`, in a
 * transaction rolled back afterwards. The counters are read before and after
 * it, since they also hold what earlier statements of the session read and
 * the session has not yet reported.
 */
export async function rowsRead(
  client: pg.ClientBase,
  table: string,
  index: string,
  statement: () => Promise<unknown>,
): Promise<number> {
  const read = async () => {
    const { rows } = await client.query<{ read: string }>(
      "SELECT pg_stat_get_xact_tuples_returned($1::regclass) + pg_stat_get_xact_tuples_returned($2::regclass) AS read",
      [table, index],
    );
    return Number(rows[0]!.read);
  };
  await client.query("BEGIN");
  try {
    const before = await read();
    await statement();
    return (await read()) - before;
  } finally {
    await client.query("ROLLBACK");
  }
}

/**
 * Runs `work` on the one connection of a Warden pool, in a database of its
 * own: Warden's statements are prepared there, so a plan can outlive what it
 * was made for.
 */
export async function withWardenConnection(work: (client: PoolClient) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  const pool = createPool(
    { url: db.url, max: 1, connectTimeoutMs: 5000, statementTimeoutMs: 5000 },
    pino({ level: "silent" }),
  );
  const client = await pool.connect();
  try {
    await work(client);
  } finally {
    client.release();
    await pool.end();
    await db.drop();
  }
}
