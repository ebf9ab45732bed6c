/**
 * The load generator: a separate process whose worker threads each drive their
 * own gRPC connection with pre-encoded request bodies, so the client does no
 * protobuf work and the server's CPU is measured alone.
 *
 * Closed loop: `concurrency` calls in flight per worker, as fast as answers come.
 * Open loop: a fixed total rate; latency counts from the scheduled send time,
 * so a stalled server cannot hide its queueing (no coordinated omission).
 */
import { isMainThread } from "node:worker_threads";
import { Client, credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { runOnThread, serveThread } from "./threads.js";

export interface LoadSpec {
  address: string;
  /** Full method path, e.g. /warden.v1.AuthService/Authenticate. */
  method: string;
  /** Encoded request messages, used in turn; with `once`, each exactly once. */
  payloads: Uint8Array[];
  once: boolean;
  workers: number;
  durationMs: number;
  metadata?: Record<string, string>;
  mode: { kind: "closed"; concurrency: number } | { kind: "open"; ratePerSecond: number };
}

export interface LoadResult {
  ok: number;
  errors: Record<string, number>;
  elapsedMs: number;
  /** Milliseconds, ascending. */
  latenciesMs: number[];
}

interface WorkerInput {
  spec: LoadSpec;
  index: number;
}

function runWorker({ spec, index }: WorkerInput): Promise<LoadResult> {
  const client = new Client(spec.address, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(spec.metadata ?? {})) metadata.set(key, value);
  // Payloads sent once are split between workers; repeated ones are all sent by every worker.
  const mine = spec.payloads
    .filter((_, i) => !spec.once || i % spec.workers === index)
    .map((payload) => Buffer.from(payload));
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  const started = performance.now();
  const deadlineAt = started + spec.durationMs;

  const take = (): Buffer | undefined => {
    if (spec.once && next >= mine.length) return undefined;
    return mine[next++ % mine.length];
  };
  const send = (payload: Buffer, from: number, done: () => void) => {
    client.makeUnaryRequest(
      spec.method,
      (body: Buffer) => body,
      (body: Buffer) => body,
      payload,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null) => {
        if (error === null) {
          ok += 1;
          latencies.push(performance.now() - from);
        } else {
          const name = status[error.code] ?? String(error.code);
          errors[name] = (errors[name] ?? 0) + 1;
        }
        done();
      },
    );
  };

  return new Promise((resolve) => {
    let inFlight = 0;
    let finished = false;
    const finish = () => {
      if (finished || inFlight > 0) return;
      finished = true;
      client.close();
      resolve({ ok, errors, elapsedMs: performance.now() - started, latenciesMs: latencies });
    };

    if (spec.mode.kind === "closed") {
      const loop = () => {
        const payload = performance.now() < deadlineAt ? take() : undefined;
        if (payload === undefined) return finish();
        inFlight += 1;
        send(payload, performance.now(), () => {
          inFlight -= 1;
          loop();
        });
      };
      for (let i = 0; i < spec.mode.concurrency; i += 1) loop();
      return;
    }

    const intervalMs = 1000 / (spec.mode.ratePerSecond / spec.workers);
    let sent = 0;
    // Until the last tick, a call that ends does not close the client: a tick behind schedule may still send.
    let scheduling = true;
    const tick = () => {
      const now = performance.now();
      const due = Math.min(Math.floor((Math.min(now, deadlineAt) - started) / intervalMs), Number.MAX_SAFE_INTEGER);
      while (sent < due) {
        const payload = take();
        if (payload === undefined) break;
        const scheduledAt = started + sent * intervalMs;
        sent += 1;
        inFlight += 1;
        send(payload, scheduledAt, () => {
          inFlight -= 1;
          if (!scheduling) finish();
        });
      }
      if (now < deadlineAt) setTimeout(tick, 1);
      else {
        scheduling = false;
        finish();
      }
    };
    tick();
  });
}

/** Runs `spec` across worker threads and merges their results. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const results = await Promise.all(
    Array.from({ length: spec.workers }, (_, index) =>
      runOnThread<LoadResult>(import.meta.url, { spec, index } satisfies WorkerInput),
    ),
  );
  const errors: Record<string, number> = {};
  for (const result of results) {
    for (const [code, count] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + count;
  }
  return {
    ok: results.reduce((sum, result) => sum + result.ok, 0),
    errors,
    elapsedMs: Math.max(...results.map((result) => result.elapsedMs)),
    latenciesMs: results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b),
  };
}

serveThread(import.meta.url, runWorker);
if (isMainThread && process.send !== undefined) {
  // Started as the load process: one spec in over IPC, one result out.
  process.once("message", (spec: LoadSpec) => {
    const decoded = {
      ...spec,
      payloads: spec.payloads.map((payload) => Buffer.from(payload as unknown as string, "base64")),
    };
    void runLoad(decoded).then((result) => {
      process.send!(result, () => process.exit(0));
    });
  });
}
