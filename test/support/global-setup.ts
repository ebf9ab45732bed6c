/**
 * Provides every test file with a real PostgreSQL: DATABASE_URL when set;
 * otherwise a container when a Docker engine answers; otherwise the embedded
 * PostgreSQL (in a child process, so its exit hooks never touch the test
 * runner's exit code). Migrations run once into a template database that each
 * test file clones (see database.ts).
 */
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";
import { migrate } from "../../src/db/migrate.js";
import { databaseUrl } from "../../scripts/lib/scratch-db.js";

declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

async function dockerPostgres(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  const { getContainerRuntimeClient } = await import("testcontainers");
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:16-alpine").start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

async function postgresServer(): Promise<{ url: string; stop: () => Promise<void>; kind: string }> {
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== "") return { url, stop: () => Promise.resolve(), kind: "DATABASE_URL" };
  const docker = await dockerPostgres();
  if (docker !== undefined) return { ...docker, kind: "testcontainers" };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.resolve(".warden", "test-pg"),
    port: Number(process.env.WARDEN_TEST_PG_PORT ?? 54332),
    database: "postgres",
  });
  return { url: embedded.url, stop: () => embedded.stop(), kind: "embedded" };
}

/** The server, or a plain account of why there is none and exit: vitest would go on to say "No test files found". */
async function postgresServerOrExit(): ReturnType<typeof postgresServer> {
  try {
    return await postgresServer();
  } catch (error) {
    process.stderr.write(
      `\nnpm test: no test can run, because the test database did not start.\n` +
        `  ${error instanceof Error ? error.message : String(error)}\n` +
        `  Fix that, or set DATABASE_URL to a PostgreSQL on which the tests may create databases.\n\n`,
    );
    process.exit(1);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await postgresServerOrExit();
  const template = `warden_template_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await migrate(databaseUrl(server.url, template), pino({ level: "warn" }));
  console.log(`tests use PostgreSQL from ${server.kind}; template database ${template}`);

  project.provide("adminDatabaseUrl", server.url);
  project.provide("templateDatabase", template);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
    await server.stop();
  };
}
