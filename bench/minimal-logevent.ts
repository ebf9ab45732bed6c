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
 * (pino).
 *
 * With MINIMAL_DUTIES=full it also does, the cheapest way, what Warden owes a
 * reported login beyond storing it: a success is scored against its subject's
 * profile (kept in memory, read in batches when not cached) and learnt from;
 * and in the same statement as the batch's events, each subject's profile,
 * its familiar networks and the lockout counters of the batch's failures are
 * written, and the counters of its successes forgotten. Without that it is a
 * floor for storing events only.
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

const FULL_DUTIES = process.env.MINIMAL_DUTIES === "full";
/** Full duties read profiles on a connection of their own, beside the batches committing. */
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: CONNECTIONS + (FULL_DUTIES ? 1 : 0) });
// Twins of Warden's event tables, so the floor's rows neither collide with Warden's nor count as its events.
await pool.query(`
  CREATE TABLE IF NOT EXISTS logevent_floor_ids (LIKE security_event_ids INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS logevent_floor_events (LIKE security_events INCLUDING ALL) PARTITION BY RANGE (occurred_at);
  CREATE TABLE IF NOT EXISTS logevent_floor_events_default PARTITION OF logevent_floor_events DEFAULT;
  CREATE TABLE IF NOT EXISTS logevent_floor_profiles (LIKE risk_profiles INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS logevent_floor_counters (LIKE lockout_counters INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS logevent_floor_networks (LIKE lockout_familiar_networks INCLUDING ALL);
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
  riskScore: number;
  answer: (error: ServiceError | null, response?: LogEventResponse) => void;
}

const EVENTS = `
  batch AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::event_type[], $4::event_severity[], $5::event_outcome[],
      $6::text[], $7::principal_kind[], $8::inet[], $9::text[], $10::text[], $11::failure_reason[], $12::smallint[])
      AS b(event_id, occurred_at, type, severity, outcome, subject, principal_kind, client_ip, user_agent,
        source_service, failure_reason, risk_score)
  ), fresh AS (
    INSERT INTO logevent_floor_ids (event_id, occurred_at)
    SELECT DISTINCT ON (event_id) event_id, occurred_at FROM batch
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id, occurred_at
  ), stored AS (
    INSERT INTO logevent_floor_events (event_id, occurred_at, type, severity, outcome, subject, principal_kind,
      client_ip, user_agent, source_service, failure_reason, risk_score)
    SELECT b.* FROM batch b JOIN fresh f USING (event_id, occurred_at)
    ON CONFLICT DO NOTHING
    RETURNING event_id
  )`;

const INSERT = `WITH ${EVENTS} SELECT event_id FROM stored`;

/** The events, and in the same statement what they teach: profiles, familiar networks, lockout counters. */
const INSERT_WITH_DUTIES = `
  WITH ${EVENTS}, profiles AS (
    INSERT INTO logevent_floor_profiles AS p (subject, kind, first_seen_at, last_seen_at, successes, networks, user_agents)
    SELECT u.subject, 'USER', u.first, u.seen, u.n, u.networks, u.agents
    FROM unnest($13::text[], $14::timestamptz[], $15::timestamptz[], $16::int[], $17::jsonb[], $18::jsonb[])
      AS u(subject, first, seen, n, networks, agents)
    ON CONFLICT (subject) DO UPDATE SET successes = p.successes + excluded.successes,
      first_seen_at = least(p.first_seen_at, excluded.first_seen_at),
      last_seen_at = greatest(p.last_seen_at, excluded.last_seen_at),
      networks = p.networks || excluded.networks, user_agents = p.user_agents || excluded.user_agents
  ), networks AS (
    INSERT INTO logevent_floor_networks AS f (subject, network, last_success_at)
    SELECT * FROM unnest($19::text[], $20::cidr[], $21::timestamptz[])
    ON CONFLICT (subject, network) DO UPDATE SET last_success_at = greatest(f.last_success_at, excluded.last_success_at)
  ), failed AS (
    INSERT INTO logevent_floor_counters AS c (key_kind, key, failures, last_failure_at)
    SELECT * FROM unnest($22::lockout_key_kind[], $23::text[], $24::int[], $25::timestamptz[])
    ON CONFLICT (key_kind, key) DO UPDATE SET failures = c.failures + excluded.failures,
      last_failure_at = excluded.last_failure_at,
      locked_until = CASE WHEN c.failures + excluded.failures >= 5 THEN now() + interval '15 minutes' ELSE c.locked_until END
  ), forgotten AS (
    UPDATE logevent_floor_counters c SET failures = 0
    FROM unnest($26::lockout_key_kind[], $27::text[]) AS k(key_kind, key)
    WHERE c.key_kind = k.key_kind AND c.key = k.key AND c.failures > 0
  )
  SELECT event_id FROM stored`;

const READ_PROFILES = `SELECT subject, networks, user_agents FROM logevent_floor_profiles WHERE subject = ANY($1::text[])`;

interface Profile {
  networks: Set<string>;
  agents: Set<string>;
}

const profiles = new Map<string, Profile>();
/** Successes waiting for their subject's profile, and whether a read is in flight. */
let unread: Pending[] = [];
let reading = false;

const isSuccess = ({ event }: Pending) =>
  event.type === EventType.LOGIN_SUCCESS && (event.principal?.subject ?? "") !== "";
const isFailure = ({ event }: Pending) => event.type === EventType.LOGIN_FAILURE;
const networkOf = (ip: string) => (isIP(ip) === 4 ? `${ip.slice(0, ip.lastIndexOf("."))}.0/24` : null);

/** Scores a success against what its subject's profile has seen, and learns from it. */
function score(pending: Pending, profile: Profile): void {
  const network = networkOf(pending.event.client?.ipAddress ?? "");
  const agent = pending.event.client?.userAgent ?? "";
  const newNetwork = network !== null && profile.networks.size > 0 && !profile.networks.has(network);
  const newAgent = agent !== "" && profile.agents.size > 0 && !profile.agents.has(agent);
  pending.riskScore = Math.max(pending.riskScore, (newNetwork ? 40 : 0) + (newAgent ? 20 : 0));
  if (network !== null) profile.networks.add(network);
  if (agent !== "") profile.agents.add(agent);
}

function scoreThenQueue(pending: Pending): void {
  const profile = profiles.get(pending.event.principal!.subject);
  if (profile === undefined) {
    unread.push(pending);
    if (!reading) readProfiles();
    return;
  }
  score(pending, profile);
  enqueue(pending);
}

/** Reads the profiles of every success waiting for one, in one statement, then scores and queues them. */
function readProfiles(): void {
  reading = true;
  const waiting = unread;
  unread = [];
  const subjects = [...new Set(waiting.map(({ event }) => event.principal!.subject))];
  pool
    .query<{ subject: string; networks: Record<string, number>; user_agents: Record<string, number> }>(READ_PROFILES, [
      subjects,
    ])
    .then(
      ({ rows }) => {
        // A profile cached meanwhile has learnt from successes the row may not hold yet.
        for (const row of rows) {
          if (profiles.has(row.subject)) continue;
          profiles.set(row.subject, {
            networks: new Set(Object.keys(row.networks)),
            agents: new Set(Object.keys(row.user_agents)),
          });
        }
        for (const pending of waiting) {
          const subject = pending.event.principal!.subject;
          let profile = profiles.get(subject);
          if (profile === undefined) {
            profile = { networks: new Set(), agents: new Set() };
            profiles.set(subject, profile);
          }
          score(pending, profile);
          enqueue(pending);
        }
      },
      (error: unknown) => {
        for (const { answer } of waiting) answer({ code: status.UNAVAILABLE, details: String(error) } as ServiceError);
      },
    )
    .finally(() => {
      reading = false;
      if (unread.length > 0) readProfiles();
    });
}

const queue: Pending[] = [];
let committing = 0;

function enqueue(pending: Pending): void {
  queue.push(pending);
  if (queue.length === 1) queueMicrotask(commit);
}

/**
 * What a batch teaches, one row per subject, network and counter key, in the
 * order the statement takes them. A key's latest success in the batch forgets
 * its failures; failures after it are added to what the key held before (a
 * simplification that costs the same). Every event teaches, stored or a
 * duplicate: the bench sends no duplicates.
 */
function duties(batch: Pending[]): unknown[] {
  const bySubject = new Map<
    string,
    { first: string; seen: string; n: number; networks: Record<string, number>; agents: Record<string, number> }
  >();
  const networks = new Map<string, [string, string, string]>();
  const failures = new Map<string, [string, string, number, string]>();
  const successKeys = new Map<string, [string, string]>();
  for (const pending of batch) {
    const { event, occurredAt } = pending;
    const subject = event.principal?.subject ?? "";
    const ip = event.client?.ipAddress ?? "";
    const keys: [string, string][] = [["SUBJECT", subject]];
    if (ip !== "") keys.push(["IP", ip], ["SUBJECT_IP", `${subject}|${ip}`]);
    if (isFailure(pending) && subject !== "") {
      for (const [kind, key] of keys) {
        const id = `${kind}:${key}`;
        const row = failures.get(id) ?? [kind, key, 0, occurredAt];
        row[2] += 1;
        row[3] = occurredAt;
        failures.set(id, row);
        successKeys.delete(id);
      }
    } else if (isSuccess(pending)) {
      const seconds = Math.floor(Date.parse(occurredAt) / 1000);
      const profile = bySubject.get(subject) ?? { first: occurredAt, seen: occurredAt, n: 0, networks: {}, agents: {} };
      profile.n += 1;
      if (occurredAt < profile.first) profile.first = occurredAt;
      if (occurredAt > profile.seen) profile.seen = occurredAt;
      const network = networkOf(ip);
      if (network !== null) {
        profile.networks[network] = seconds;
        networks.set(`${subject} ${network}`, [subject, network, occurredAt]);
      }
      if (event.client?.userAgent) profile.agents[event.client.userAgent] = seconds;
      bySubject.set(subject, profile);
      // A success forgets its keys' failures; those earlier in the batch are then not counted at all.
      for (const [kind, key] of keys) {
        if (kind === "IP") continue;
        failures.delete(`${kind}:${key}`);
        successKeys.set(`${kind}:${key}`, [kind, key]);
      }
    }
  }
  // Rows in key order, so that two batches committing at once lock shared rows in the same order.
  const inKeyOrder = <Row>(rows: Map<string, Row>) => [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const subjects = inKeyOrder(bySubject);
  const networkRows = inKeyOrder(networks).map(([, row]) => row);
  const failureRows = inKeyOrder(failures).map(([, row]) => row);
  const forgotten = inKeyOrder(successKeys).map(([, row]) => row);
  return [
    subjects.map(([subject]) => subject),
    subjects.map(([, p]) => p.first),
    subjects.map(([, p]) => p.seen),
    subjects.map(([, p]) => p.n),
    subjects.map(([, p]) => JSON.stringify(p.networks)),
    subjects.map(([, p]) => JSON.stringify(p.agents)),
    networkRows.map(([subject]) => subject),
    networkRows.map(([, network]) => network),
    networkRows.map(([, , at]) => at),
    failureRows.map(([kind]) => kind),
    failureRows.map(([, key]) => key),
    failureRows.map(([, , n]) => n),
    failureRows.map(([, , , at]) => at),
    forgotten.map(([kind]) => kind),
    forgotten.map(([, key]) => key),
  ];
}

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
    const events = [
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
      batch.map(({ riskScore }) => riskScore),
    ];
    pool
      .query<{ event_id: string }>(
        FULL_DUTIES ? INSERT_WITH_DUTIES : INSERT,
        FULL_DUTIES ? [...events, ...duties(batch)] : events,
      )
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
  const pending: Pending = {
    event,
    occurredAt: (event.occurredAt ?? new Date(now)).toISOString(),
    riskScore: event.riskScore,
    answer: (error, response) => {
      finish(error === null ? status.OK : error.code, started, peer);
      done(error, response);
    },
  };
  if (FULL_DUTIES && isSuccess(pending)) scoreThenQueue(pending);
  else enqueue(pending);
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
