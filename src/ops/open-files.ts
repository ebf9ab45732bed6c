import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { Logger } from "../log.js";

const run = promisify(execFile);

export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/** This process's RLIMIT_NOFILE, from /proc (Linux); undefined where it cannot be read. */
export async function openFileLimit(): Promise<OpenFileLimit | undefined> {
  try {
    const limits = await readFile("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
    if (match === null) return undefined;
    const value = (text: string) => (text === "unlimited" ? Number.POSITIVE_INFINITY : Number(text));
    return { soft: value(match[1]!), hard: value(match[2]!) };
  } catch {
    return undefined;
  }
}

/**
 * Raises the soft open-file limit to the hard one, so that connections, not
 * a low default, bound the server. Node already does this as it starts (in
 * its platform set-up) and has no setrlimit of its own; should the soft limit
 * still be lower (an embedder, a changed runtime), util-linux's `prlimit`
 * sets it on this process by pid, which needs no privilege up to the hard
 * limit. Returns the limit in force.
 */
export async function raiseOpenFileLimit(log: Logger): Promise<OpenFileLimit | undefined> {
  const limit = await openFileLimit();
  if (limit === undefined || limit.soft >= limit.hard) return limit;
  const hard = Number.isFinite(limit.hard) ? String(limit.hard) : "unlimited";
  try {
    await run("prlimit", ["--pid", String(process.pid), `--nofile=${hard}:${hard}`]);
  } catch (error) {
    log.warn({ err: error, ...limit }, "could not raise the open-file limit to the hard limit");
  }
  return openFileLimit();
}
