/**
 * Open-loop load from h2load (nghttp2's C load generator), when it is
 * installed: a grpc-js client costs about as much CPU per call as the server
 * under test, which on a two-core machine leaves no room to hold a steady
 * 2,000 calls/s. h2load cannot read gRPC trailers, so calls are counted by
 * gRPC status from the server's own metrics.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { LoadResult } from "./load.js";

const run = promisify(execFile);

export async function h2loadAvailable(): Promise<boolean> {
  return run("h2load", ["--version"]).then(
    () => true,
    () => false,
  );
}

/** Calls completed per gRPC status code for one method name (as logged), from /metrics. */
async function callsByCode(httpPort: number, method: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  const pattern = new RegExp(`^warden_rpc_total\\{method="${method}",code="([A-Z_]+)"\\} (\\d+)$`, "gm");
  for (const [, code, count] of text.matchAll(pattern)) counts[code!] = Number(count);
  return counts;
}

export interface H2loadSpec {
  grpcPort: number;
  httpPort: number;
  /** Full path, e.g. /warden.v1.AccessService/Check. */
  path: string;
  /**
   * The name the server's metrics use for it, e.g. Check; undefined for a
   * method they do not count (the health check), whose calls are then counted
   * by HTTP status.
   */
  metricsMethod: string | undefined;
  payload: Uint8Array;
  ratePerSecond: number;
  durationMs: number;
  clients: number;
}

export async function h2loadOpenLoop(spec: H2loadSpec): Promise<LoadResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "warden-h2load-"));
  try {
    // One gRPC message: uncompressed flag, big-endian length, body.
    const frame = Buffer.alloc(5 + spec.payload.length);
    frame.writeUInt32BE(spec.payload.length, 1);
    frame.set(spec.payload, 5);
    await writeFile(path.join(dir, "body"), frame);
    const counted = (method: string | undefined) =>
      method === undefined ? Promise.resolve({}) : callsByCode(spec.httpPort, method);
    const before: Record<string, number> = await counted(spec.metricsMethod);
    const started = performance.now();
    await run("h2load", [
      "--clients",
      String(spec.clients),
      "--max-concurrent-streams",
      "64",
      "--rps",
      String(spec.ratePerSecond / spec.clients),
      "--duration",
      `${Math.round(spec.durationMs)}ms`,
      "--data",
      path.join(dir, "body"),
      "--header",
      "content-type: application/grpc",
      "--header",
      "te: trailers",
      "--log-file",
      path.join(dir, "log"),
      `http://127.0.0.1:${spec.grpcPort}${spec.path}`,
    ]);
    const elapsedMs = performance.now() - started;
    const after: Record<string, number> = await counted(spec.metricsMethod);
    // Columns: start (µs since the epoch), HTTP status, µs until the response ended.
    const logged = (await readFile(path.join(dir, "log"), "utf8"))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.split("\t"));
    const latenciesMs = logged.map((columns) => Number(columns[2]) / 1000).sort((a, b) => a - b);
    if (spec.metricsMethod === undefined) {
      const answered = logged.filter((columns) => columns[1] === "200").length;
      return {
        ok: answered,
        errors: answered === logged.length ? {} : { HTTP: logged.length - answered },
        elapsedMs,
        latenciesMs,
      };
    }
    const errors: Record<string, number> = {};
    for (const [code, count] of Object.entries(after)) {
      const added = count - (before[code] ?? 0);
      if (code !== "OK" && added > 0) errors[code] = added;
    }
    return { ok: (after.OK ?? 0) - (before.OK ?? 0), errors, elapsedMs, latenciesMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
