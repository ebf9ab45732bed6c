/**
 * The smallest program that does what a single LogEvent owes, on Warden's own
 * stack (grpc-js, ts-proto, pg, pino, prom-client), to measure beside its own
 * no-op and Warden's logevent-mix phases in the same run: the floor issue 20's
 * single-call targets are held to. Per call it decodes the LogEventRequest
 * (grpc-js, through the generated definition), authenticates the reporter's
 * bearer token by its SHA-256 in a map, checks the event lightly, queues it
 * for a group commit (ids and events in one INSERT, into twins of
 * security_event_ids and the partitioned security_events) and acknowledges it
 * only once its batch has committed; calls arriving while a batch is in flight
 * share the next one. Each call is counted and timed (prom-client) and logged
 * (pino). No risk scoring, no lockout counting: those are Warden's duties
 * beyond storing the event, and leaving them out only makes the floor lower.
 *
 * The health check is the no-op. Configured by DATABASE_URL and
 * MINIMAL_REPORTER_SHA256 (the reporter token's SHA-256, base64); same IPC as
 * bench/server.ts: "cpu" and "stop".
 */
import { hash } from "node:crypto";
import { isIP } from "node:net";
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import pg from "pg";
import { pino } from "pino";
import { stdoutInBatches } from "../src/log.js";
import { Counter, Histogram, Registry } from "prom-client";
import { AuthServiceService, type LogEventRequest, type LogEventResponse } from "../src/gen/warden/v1/auth_service.js";
import {
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
  type AuthenticationEvent,
} from "../src/gen/warden/v1/event.js";

/** Batches committed at once: one per connection, so one commits while the next fills. */
const CONNECTIONS = 2;
const BATCH_MAX = 2000;
const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: CONNECTIONS });
// Twins of Warden's event tables, so the floor's rows neither collide with Warden's nor count as its events.
await pool.query(`
  CREATE TABLE IF NOT EXISTS logevent_floor_ids (LIKE security_event_ids INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS logevent_floor_events (LIKE security_events INCLUDING ALL) PARTITION BY RANGE (occurred_at);
  CREATE TABLE IF NOT EXISTS logevent_floor_events_default PARTITION OF logevent_floor_events DEFAULT;
`);

const reporters = new Map([
  [process.env.MINIMAL_REPORTER_SHA256 ?? "", { name: "bench-reporter", scopes: ["events:write"] }],
]);

// Written as Warden writes its lines: asynchronously, in batches.
const log = pino({ base: { service: "minimal" } }, stdoutInBatches());
const registry = new Registry();
const callCounter = new Counter({ name: "calls", help: "calls", labelNames: ["code"], registers: [registry] });
const callSeconds = new Histogram({ name: "seconds", help: "seconds", labelNames: ["code"], registers: [registry] });

function finish(code: status, started: number, peer: string): void {
  const ms = performance.now() - started;
  const name = status[code];
  callCounter.labels({ code: name }).inc();
  callSeconds.labels({ code: name }).observe(ms / 1000);
  log.info({ method: "LogEvent", code: name, durationMs: ms, peer }, "rpc");
}

const label = (names: Record<number, string>, value: number) => (value === 0 ? null : names[value]!);

/** What Warden's validation refuses most often, checked the cheap way; the reason, or undefined. */
function invalid(event: AuthenticationEvent | undefined, now: number): string | undefined {
  if (event === undefined) return "event: required";
  if (!UUID.test(event.eventId)) return "event.event_id: not a UUID";
  if (event.type === EventType.UNSPECIFIED || EventType[event.type] === undefined) return "event.type: required";
  if (event.outcome === Outcome.UNSPECIFIED || Outcome[event.outcome] === undefined) return "event.outcome: required";
  if ((event.principal?.subject.length ?? 0) > 256) return "event.principal.subject: too long";
  if ((event.client?.userAgent.length ?? 0) > 1024) return "event.client.user_agent: too long";
  const ip = event.client?.ipAddress ?? "";
  if (ip !== "" && isIP(ip) === 0) return "event.client.ip_address: not an address";
  if (event.occurredAt !== undefined && event.occurredAt.getTime() > now + MAX_FUTURE_SKEW_MS) {
    return "event.occurred_at: in the future";
  }
  return undefined;
}

interface Pending {
  event: AuthenticationEvent;
  occurredAt: string;
  answer: (error: ServiceError | null, response?: LogEventResponse) => void;
}

const INSERT = `
  WITH batch AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::event_type[], $4::event_severity[], $5::event_outcome[],
      $6::text[], $7::principal_kind[], $8::inet[], $9::text[], $10::text[], $11::failure_reason[], $12::smallint[])
      AS b(event_id, occurred_at, type, severity, outcome, subject, principal_kind, client_ip, user_agent,
        source_service, failure_reason, risk_score)
  ), fresh AS (
    INSERT INTO logevent_floor_ids (event_id, occurred_at)
    SELECT DISTINCT ON (event_id) event_id, occurred_at FROM batch
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id, occurred_at
  )
  INSERT INTO logevent_floor_events (event_id, occurred_at, type, severity, outcome, subject, principal_kind, client_ip,
    user_agent, source_service, failure_reason, risk_score)
  SELECT b.* FROM batch b JOIN fresh f USING (event_id, occurred_at)
  ON CONFLICT DO NOTHING
  RETURNING event_id`;

const queue: Pending[] = [];
let committing = 0;

/** Sends what has queued while a connection is free; what arrives meanwhile waits for the next batch. */
function commit(): void {
  while (committing < CONNECTIONS && queue.length > 0) {
    const batch = queue.splice(0, BATCH_MAX);
    committing += 1;
    const text = (of: (event: AuthenticationEvent) => string | undefined) =>
      batch.map(({ event }) => {
        const value = of(event);
        return value === undefined || value === "" ? null : value;
      });
    pool
      .query<{ event_id: string }>(INSERT, [
        batch.map(({ event }) => event.eventId),
        batch.map(({ occurredAt }) => occurredAt),
        batch.map(({ event }) => EventType[event.type]),
        batch.map(({ event }) => label(Severity, event.severity) ?? "INFO"),
        batch.map(({ event }) => Outcome[event.outcome]),
        text((event) => event.principal?.subject),
        batch.map(({ event }) => label(PrincipalKind, event.principal?.kind ?? 0)),
        text((event) => event.client?.ipAddress),
        text((event) => event.client?.userAgent),
        text((event) => event.sourceService),
        batch.map(({ event }) => label(FailureReason, event.failureReason)),
        batch.map(({ event }) => event.riskScore),
      ])
      .then(
        ({ rows }) => {
          const fresh = new Set(rows.map((row) => row.event_id));
          for (const { event, answer } of batch) {
            answer(null, { eventId: event.eventId, duplicate: !fresh.delete(event.eventId) });
          }
        },
        (error: unknown) => {
          for (const { answer } of batch) answer({ code: status.UNAVAILABLE, details: String(error) } as ServiceError);
        },
      )
      .finally(() => {
        committing -= 1;
        commit();
      });
  }
}

function logEvent(call: ServerUnaryCall<LogEventRequest, LogEventResponse>, done: sendUnaryData<LogEventResponse>) {
  const started = performance.now();
  const peer = call.getPeer();
  const refuse = (code: status, details: string) => {
    finish(code, started, peer);
    done({ code, details });
  };
  const header = call.metadata.get("authorization")[0];
  const token = typeof header === "string" && header.startsWith("Bearer ") ? header.slice(7) : "";
  const reporter = reporters.get(hash("sha256", token, "base64"));
  if (reporter === undefined) return refuse(status.UNAUTHENTICATED, "authorization: credential refused");
  if (!reporter.scopes.includes("events:write")) return refuse(status.PERMISSION_DENIED, "missing scope events:write");
  const now = Date.now();
  const problem = invalid(call.request.event, now);
  if (problem !== undefined) return refuse(status.INVALID_ARGUMENT, problem);
  const event = call.request.event!;
  queue.push({
    event,
    occurredAt: (event.occurredAt ?? new Date(now)).toISOString(),
    answer: (error, response) => {
      finish(error === null ? status.OK : error.code, started, peer);
      done(error, response);
    },
  });
  if (queue.length === 1) queueMicrotask(commit);
}

const unimplemented = (_call: unknown, done: sendUnaryData<unknown>) => done({ code: status.UNIMPLEMENTED });
const server = new Server();
server.addService(AuthServiceService, {
  logEvent,
  authenticate: unimplemented,
  logEvents: unimplemented,
  listEvents: unimplemented,
  checkLockout: unimplemented,
  exchangeToken: unimplemented,
});
new HealthImplementation({ "": "SERVING" }).addToServer(server);
const grpcPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
    error ? reject(error) : resolve(bound),
  ),
);
process.send!({ ready: { grpcPort, httpPort: 0 } });
process.on("message", (message: string) => {
  if (message === "cpu") process.send!({ cpu: process.cpuUsage() });
  if (message === "stop") {
    server.tryShutdown(() => {
      void pool.end().then(() => process.send!({ stopped: true }, () => process.exit(0)));
    });
  }
});
