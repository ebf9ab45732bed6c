import { z } from "zod";
import { flag, milliseconds, optionalText, port, type SettingValues } from "../settings.js";

/** The database's settings: where it is, or where the embedded one lives, and the pool's bounds. */
export const databaseEnvironment = {
  /** PostgreSQL connection string; unset: an embedded PostgreSQL under WARDEN_DATA_DIR. */
  DATABASE_URL: optionalText,
  /** The embedded PostgreSQL's data and its generated password. */
  WARDEN_DATA_DIR: z.string().default(".warden"),
  /** The embedded PostgreSQL's port (loopback only). */
  WARDEN_EMBEDDED_PG_PORT: port(54329),
  WARDEN_DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  /** Bound on getting a connection. */
  WARDEN_DB_CONNECT_TIMEOUT_MS: milliseconds(2000),
  /** `statement_timeout` and `lock_timeout`. */
  WARDEN_DB_STATEMENT_TIMEOUT_MS: milliseconds(5000),
  /** Apply pending migrations before serving. */
  WARDEN_MIGRATE_ON_START: flag.default(true),
};

export interface DatabaseOptions {
  /** Absent: Warden runs an embedded PostgreSQL under `embedded.dataDir`. */
  url: string | undefined;
  embedded: { dataDir: string; port: number };
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  migrateOnStart: boolean;
}

export function compileDatabaseOptions(env: SettingValues<typeof databaseEnvironment>): DatabaseOptions {
  return {
    url: env.DATABASE_URL,
    embedded: { dataDir: env.WARDEN_DATA_DIR, port: env.WARDEN_EMBEDDED_PG_PORT },
    poolMax: env.WARDEN_DB_POOL_MAX,
    connectTimeoutMs: env.WARDEN_DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: env.WARDEN_DB_STATEMENT_TIMEOUT_MS,
    migrateOnStart: env.WARDEN_MIGRATE_ON_START,
  };
}
