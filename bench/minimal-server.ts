/**
 * The smallest program that does what a cached-token Authenticate owes, on
 * Warden's own stack (grpc-js, ts-proto, pino, prom-client, pg), to measure
 * beside the no-op in the same run: the floor the real server's edge and
 * pipeline are held to. `MINIMAL_MODE=duties` hashes the token, finds it in a
 * map, queues its event for a batched INSERT (the row Warden stores, into
 * twins of its event tables), counts and times the call,
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
// Twins of Warden's event tables (same columns, indexes and partitioning), so the floor's event costs
// PostgreSQL what Warden's does, without its rows colliding with Warden's or counting as its events.
await pool.query(`
  CREATE TABLE IF NOT EXISTS minimal_event_ids (LIKE security_event_ids INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS minimal_events (LIKE security_events INCLUDING ALL) PARTITION BY RANGE (occurred_at);
  CREATE TABLE IF NOT EXISTS minimal_events_default PARTITION OF minimal_events DEFAULT;
`);
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

/** The row Warden stores for a cached service token's success, all 22 columns sent as arrays, as Warden sends them. */
const INSERT_EVENTS = `
  WITH batch AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::event_type[], $4::event_severity[], $5::event_outcome[],
      $6::text[], $7::principal_kind[], $8::text[], $9::text[], $10::text[], $11::inet[], $12::text[], $13::text[],
      $14::text[], $15::failure_reason[], $16::smallint[], $17::jsonb[], $18::text[], $19::double precision[],
      $20::double precision[], $21::text[], $22::text[])
    AS b(event_id, occurred_at, type, severity, outcome, subject, principal_kind, email, service_token_name, token_id,
      client_ip, user_agent, request_id, source_service, failure_reason, risk_score, details, risk_signals,
      client_latitude, client_longitude, client_country, identity_provider)
  ), fresh AS (
    INSERT INTO minimal_event_ids (event_id, occurred_at) SELECT event_id, occurred_at FROM batch
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id, occurred_at
  )
  INSERT INTO minimal_events (event_id, occurred_at, type, severity, outcome, subject, principal_kind, email,
    service_token_name, token_id, client_ip, user_agent, request_id, source_service, failure_reason, risk_score,
    details, risk_signals, client_latitude, client_longitude, client_country, identity_provider)
  SELECT b.event_id, b.occurred_at, b.type, b.severity, b.outcome, b.subject, b.principal_kind, b.email,
    b.service_token_name, b.token_id, b.client_ip, b.user_agent, b.request_id, b.source_service, b.failure_reason,
    b.risk_score, b.details, coalesce(string_to_array(b.risk_signals, ',')::risk_signal[], '{}'), b.client_latitude,
    b.client_longitude, b.client_country, b.identity_provider
  FROM batch b JOIN fresh f USING (event_id, occurred_at)
  ON CONFLICT DO NOTHING`;

/** Empty text is stored as NULL, as Warden stores it. */
interface QueuedEvent {
  id: string;
  at: string;
  subject: string;
  tokenId: string;
  tokenName: string;
  ip: string | null;
  userAgent: string | null;
  sourceService: string | null;
}

let queued: QueuedEvent[] = [];
const flusher = setInterval(() => {
  if (queued.length === 0) return;
  const batch = queued;
  queued = [];
  const each = <T>(value: T) => batch.map(() => value);
  pool
    .query(INSERT_EVENTS, [
      batch.map((e) => e.id),
      batch.map((e) => e.at),
      each("TOKEN_AUTH_SUCCESS"),
      each("INFO"),
      each("SUCCESS"),
      batch.map((e) => e.subject),
      each("SERVICE_TOKEN"),
      each(null),
      batch.map((e) => e.tokenName),
      batch.map((e) => e.tokenId),
      batch.map((e) => e.ip),
      batch.map((e) => e.userAgent),
      each(null),
      batch.map((e) => e.sourceService),
      each(null),
      each(0),
      each("{}"),
      each(""),
      each(null),
      each(null),
      each(null),
      each(null),
    ])
    .catch((error: unknown) => log.error({ err: error }, "event insert failed"));
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
  queued.push({
    id: eventId,
    at: new Date().toISOString(),
    subject: found.subject,
    tokenId: found.tokenId,
    tokenName: found.serviceTokenName,
    ip: request.client?.ipAddress || null,
    userAgent: request.client?.userAgent || null,
    sourceService: request.sourceService || null,
  });
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
