import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isCompiled } from "../paths.js";
import type { EmbeddedHostOptions } from "./embedded-host.js";

/**
 * Where PostgreSQL's runtime and data go when running as root and the postgres
 * user cannot reach the checkout (a home folder of mode 700, say): a system
 * location, one folder per data folder, so nothing outside it changes mode.
 */
export const SYSTEM_ROOT = "/var/lib/warden";

export interface EmbeddedPostgres {
  url: string;
  /** Where its data lives: the folder asked for, or its place under /var/lib/warden when root's postgres user cannot reach that. */
  dataDir: string;
  stop(): Promise<void>;
}

type HostMessage = { ready: string; dataDir: string } | { error: string };

/**
 * Starts (initialising on first use) a PostgreSQL whose data lives in
 * `options.dataDir` and survives restarts. It runs in a child process; see
 * embedded-host.ts for why.
 */
export function startEmbeddedPostgres(options: EmbeddedHostOptions, timeoutMs = 120_000): Promise<EmbeddedPostgres> {
  const hostFile = fileURLToPath(new URL(isCompiled ? "./embedded-host.js" : "./embedded-host.ts", import.meta.url));
  const child = fork(hostFile, [JSON.stringify(options)], {
    execArgv: isCompiled ? [] : ["--import", "tsx"],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    // Its own process group: a Ctrl-C or a supervisor's SIGTERM to the server's
    // group must not stop the database while the server is still flushing events.
    // The host stops when this process disconnects, i.e. exits.
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.connected) child.disconnect();
    await exited;
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`embedded PostgreSQL did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", (message: HostMessage) => {
      if ("ready" in message) {
        clearTimeout(timer);
        resolve({ url: message.ready, dataDir: message.dataDir, stop });
      } else if ("error" in message) {
        clearTimeout(timer);
        reject(new Error(`embedded PostgreSQL failed to start: ${message.error}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded PostgreSQL host exited with code ${code ?? "null"} before it was ready`));
    });
  });
}
