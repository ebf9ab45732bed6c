import { createHash } from "node:crypto";
import pg from "pg";
import type { Logger } from "../log.js";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** What the generated queries run against: the pool, or a client inside a transaction. */
export type Db = pg.Pool | pg.PoolClient;

export interface PoolOptions {
  url: string;
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName?: string;
}

const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `warden_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

type QueryFunction = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Sends each parameterised query as a named prepared statement, so PostgreSQL
 * parses and plans it once per connection rather than on every call. Only the
 * generated queries (fixed texts) are parameterised, so the names are bounded.
 */
class PreparingClient extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as QueryFunction;
    this.query = ((config: unknown, values?: unknown, callback?: unknown) =>
      typeof config === "string" && Array.isArray(values)
        ? query({ name: statementName(config), text: config, values }, callback)
        : query(config, values, callback)) as pg.Client["query"];
  }
}

/**
 * A pool in which every wait is bounded: acquiring a connection (connect
 * timeout), a statement on the server (statement_timeout) and the reply on the
 * wire (query_timeout, for a server that stops answering mid-query).
 */
export function createPool(options: PoolOptions, log: Logger): Pool {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    lock_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    query_timeout: options.statementTimeoutMs + 1000,
    application_name: options.applicationName ?? "warden",
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the pool drops it.
  pool.on("error", (error) => log.warn({ err: error }, "idle database connection failed"));
  return pool;
}

export interface TransactionOptions {
  isolation?: "READ COMMITTED" | "REPEATABLE READ" | "SERIALIZABLE";
  readOnly?: boolean;
}

export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no error listener of the pool's: without this, a
  // connection dying mid-transaction would be an uncaught error.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on("error", onError);
  try {
    await client.query(
      `BEGIN ISOLATION LEVEL ${options.isolation ?? "READ COMMITTED"}${options.readOnly === true ? " READ ONLY" : ""}`,
    );
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // A client that cannot even roll back may still be inside the transaction: it must not be reused.
    await client.query("ROLLBACK").catch((rollbackError: unknown) => {
      broken ??= rollbackError instanceof Error ? rollbackError : new Error("ROLLBACK failed");
    });
    throw error;
  } finally {
    client.off("error", onError);
    // Released with the error, a broken connection is discarded rather than reused.
    client.release(broken);
  }
}

/**
 * A Db whose queries stop when `signal` aborts: the running statement is
 * cancelled on the server (pg_cancel_backend, from a connection of its own,
 * since the pool may be exhausted) and its connection returns to the pool.
 * For reads on behalf of a caller who may go away or run out of time.
 */
export function withSignal(pool: Pool, signal: AbortSignal, connectionString: string): Db {
  const query = async (text: string, values?: unknown[]) => {
    signal.throwIfAborted();
    const client = await pool.connect();
    let cancelling: Promise<void> | undefined;
    const cancel = () => {
      // pg keeps the backend's process id on the client but leaves it out of its types.
      cancelling = cancelBackend(connectionString, (client as unknown as { processID: number }).processID);
    };
    try {
      signal.throwIfAborted();
      signal.addEventListener("abort", cancel, { once: true });
      return await client.query(text, values);
    } finally {
      signal.removeEventListener("abort", cancel);
      // Released only once the cancel has landed, so it cannot hit a later query on the same connection.
      await cancelling;
      client.release();
    }
  };
  return { query } as unknown as Db;
}

async function cancelBackend(connectionString: string, processId: number): Promise<void> {
  const canceller = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await canceller.connect();
    await canceller.query("SELECT pg_cancel_backend($1)", [processId]);
  } catch {
    // The statement_timeout still bounds the query if the cancel cannot be sent.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}
