/**
 * The smallest program that does what a cached-token Authenticate owes, on
 * Warden's own stack (grpc-js, ts-proto, pino, prom-client, pg), to measure
 * beside the no-op in the same run: the floor the real server's edge and
 * pipeline are held to. `MINIMAL_MODE=duties` hashes the token, finds it in a
 * map, queues an event for a batched INSERT, counts and times the call,
 * writes one log line and answers after one promise hop; `bare` answers a
 * fixed response with none of that; `refused` refuses an empty credential
 * with INVALID_ARGUMENT, counting, timing and logging the call, as the real
 * server's authenticate-refused phase must. The health check is the no-op, as
 * in the real server. `nice-grpc` serves an Authenticate refused before any work
 * (as the real server's authenticate-refused phase) through nice-grpc with a
 * log-and-metrics middleware: the figure that decided between nice-grpc and
 * Warden's own thin edge on grpc-js. Same IPC as bench/server.ts: "cpu" and
 * "stop".
 */
import { hash, randomUUID } from "node:crypto";
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { createServer, ServerError, Status } from "nice-grpc";
import pg from "pg";
import { pino } from "pino";
import { stdoutInBatches } from "../src/log.js";
import { Counter, Histogram, Registry } from "prom-client";
import {
  AuthServiceService,
  AuthenticateResponse,
  type AuthenticateRequest,
} from "../src/gen/warden/v1/auth_service.js";
import { FailureReason, PrincipalKind } from "../src/gen/warden/v1/event.js";

const mode = process.env.MINIMAL_MODE ?? "duties";
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
await pool.query("CREATE TABLE IF NOT EXISTS minimal_events (id uuid, subject text, at timestamptz)");
// Written as Warden writes its lines: asynchronously, in batches.
const log = pino({ base: { service: "minimal" } }, stdoutInBatches());
const registry = new Registry();
const callCounter = new Counter({ name: "calls", help: "calls", labelNames: ["code"], registers: [registry] });
const callSeconds = new Histogram({ name: "seconds", help: "seconds", labelNames: ["code"], registers: [registry] });
const calls = callCounter.labels({ code: "OK" });
const durations = callSeconds.labels({ code: "OK" });
const refusals = callCounter.labels({ code: "INVALID_ARGUMENT" });
const refusalDurations = callSeconds.labels({ code: "INVALID_ARGUMENT" });

const principal = {
  subject: "token-1",
  kind: PrincipalKind.SERVICE_TOKEN,
  email: "",
  scopes: ["events:write"],
  roles: [],
  expiresAt: undefined,
  tokenId: "token-1",
  serviceTokenName: "bench",
};
const known = new Map<string, typeof principal>();
const fixed: AuthenticateResponse = {
  authenticated: true,
  principal,
  failureReason: FailureReason.UNSPECIFIED,
  eventId: randomUUID(),
  retryAfter: undefined,
  risk: undefined,
};

let queued: { id: string; subject: string; at: string }[] = [];
const flusher = setInterval(() => {
  if (queued.length === 0) return;
  const batch = queued;
  queued = [];
  void pool.query("INSERT INTO minimal_events SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])", [
    batch.map((e) => e.id),
    batch.map((e) => e.subject),
    batch.map((e) => e.at),
  ]);
}, 20);

/** Answers through one promise hop, as a handler that could await does. */
function authenticate(request: AuthenticateRequest): Promise<AuthenticateResponse> {
  const key = hash("sha256", request.credential, "base64");
  let found = known.get(key);
  if (found === undefined) {
    found = principal;
    known.set(key, found);
  }
  const eventId = randomUUID();
  queued.push({ id: eventId, subject: found.subject, at: new Date().toISOString() });
  return Promise.resolve({ ...fixed, principal: found, eventId });
}

/** The same refusal through nice-grpc, with the per-call log line and metrics as middleware. */
async function startNiceGrpc(): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = createServer({ "grpc.enable_channelz": 0 }).use(async function* observe(call, context) {
    const started = performance.now();
    let code = "OK";
    try {
      return yield* call.next(call.request, context);
    } catch (error) {
      code = error instanceof ServerError ? Status[error.code] : "INTERNAL";
      throw error;
    } finally {
      const ms = performance.now() - started;
      calls.inc();
      durations.observe(ms / 1000);
      log.info({ method: call.method.path, code, durationMs: ms, peer: context.peer }, "rpc");
    }
  });
  server.add(AuthServiceService, {
    authenticate: (request: AuthenticateRequest): Promise<AuthenticateResponse> => {
      if (request.credential === "") throw new ServerError(Status.INVALID_ARGUMENT, "credential: required");
      return Promise.resolve(fixed);
    },
    logEvent: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, "")),
    logEvents: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, "")),
    listEvents: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, "")),
    checkLockout: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, "")),
    exchangeToken: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, "")),
  });
  const port = await server.listen("127.0.0.1:0");
  return { port, stop: () => server.shutdown() };
}

async function startGrpcJs(): Promise<{ port: number; stop: () => Promise<void> }> {
  // As Warden's server: channelz's per-call trackers off.
  const server = new Server({ "grpc.enable_channelz": 0 });
  server.addService(AuthServiceService, {
    authenticate: (call: ServerUnaryCall<AuthenticateRequest, AuthenticateResponse>, done: sendUnaryData<unknown>) => {
      if (mode === "bare") {
        done(null, fixed);
        return;
      }
      const started = performance.now();
      if (mode === "refused" && call.request.credential === "") {
        const ms = performance.now() - started;
        refusals.inc();
        refusalDurations.observe(ms / 1000);
        log.info({ method: "Authenticate", code: "INVALID_ARGUMENT", durationMs: ms, peer: call.getPeer() }, "rpc");
        done({ code: status.INVALID_ARGUMENT, details: "credential: required" });
        return;
      }
      authenticate(call.request).then(
        (response) => {
          const ms = performance.now() - started;
          calls.inc();
          durations.observe(ms / 1000);
          log.info({ method: "Authenticate", code: "OK", durationMs: ms, peer: call.getPeer() }, "rpc");
          done(null, response);
        },
        () => done({ code: status.INTERNAL }),
      );
    },
    logEvent: () => undefined,
    logEvents: () => undefined,
    listEvents: () => undefined,
    checkLockout: () => undefined,
  });
  const health = new HealthImplementation({ "": "SERVING" });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

const server = mode === "nice-grpc" ? await startNiceGrpc() : await startGrpcJs();
const grpcPort = server.port;
process.send!({ ready: { grpcPort, httpPort: 0 } });
process.on("message", (message: string) => {
  if (message === "cpu") process.send!({ cpu: process.cpuUsage() });
  if (message === "stop") {
    clearInterval(flusher);
    void server
      .stop()
      .then(() => pool.end())
      .then(() => process.send!({ stopped: true }, () => process.exit(0)));
  }
});
