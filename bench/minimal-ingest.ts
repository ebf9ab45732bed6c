/**
 * The smallest program that does what a LogEvents batch owes, on Warden's own
 * stack (ts-proto, pg, pg-copy-streams), to measure beside COPY and Warden in
 * the same run: the ceiling issue 20's ingest targets are held to. Per
 * 1,000-event request it decodes the protobuf, then in one transaction COPYs
 * the rows (text format) into a session's staging table, stores ids and events
 * in one INSERT … SELECT … ON CONFLICT DO NOTHING, upserts one aggregated risk
 * profile row per subject, remembers each subject's new networks once, and
 * counts (or forgets) lockout failures aggregated per key. Simplified where
 * that only makes it cheaper: no validation beyond decoding, no risk scoring,
 * jsonb maps merged without trimming, no lockout policy.
 *
 * With `storeOnly`, only the ids and events: what storing the rows alone
 * costs beside COPY, before any of the other duties.
 *
 * Run by bench/run.ts as a child process: it sends a MinimalIngestSpec and
 * receives a MinimalIngestResult.
 */
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { LogEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import {
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
  type AuthenticationEvent,
} from "../src/gen/warden/v1/event.js";

export interface MinimalIngestSpec {
  url: string;
  payloads: string[];
  durationMs: number;
  connections: number;
  storeOnly: boolean;
}

export interface MinimalIngestResult {
  events: number;
  ms: number;
  cpuMicros: number;
  /** Milliseconds spent in each step, summed over both connections: where the ceiling goes. */
  steps: Record<string, number>;
}

const steps: Record<string, number> = {};
/** Adds the time since `since` to `step`; returns now. */
function lap(step: string, since: number): number {
  const now = performance.now();
  steps[step] = (steps[step] ?? 0) + now - since;
  return now;
}

const COLUMNS =
  "event_id, occurred_at, type, severity, outcome, subject, principal_kind, email, service_token_name, token_id, client_ip, user_agent, request_id, source_service, failure_reason, risk_score, details";

/** COPY's text format: backslash escapes, \N for NULL. */
function field(value: string | null): string {
  if (value === null || value === "") return "\\N";
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

const label = (e: Record<number, string>, value: number) => (value === 0 ? null : e[value]!);

function network(ip: string): string | null {
  const cut = ip.lastIndexOf(".");
  return cut < 0 ? null : `${ip.slice(0, cut)}.0/24`;
}

interface SubjectRisk {
  kind: string;
  firstAt: Date;
  lastSuccessAt: Date | null;
  successes: number;
  hours: number[];
  networks: Record<string, number>;
  userAgents: Record<string, number>;
  failuresSinceSuccess: number;
  lastFailureAt: Date | null;
  attempts: number;
}

async function writeBatch(
  client: pg.Client,
  events: AuthenticationEvent[],
  remembered: Set<string>,
  storeOnly: boolean,
): Promise<number> {
  let since = performance.now();
  const now = new Date();
  const seen = new Set<string>();
  const lines: string[] = [];
  const risk = new Map<string, SubjectRisk>();
  const lockout = new Map<string, { kind: string; key: string; failures: number; reset: boolean }>();
  const familiar: { subject: string; network: string }[] = [];
  const key = (kind: string, k: string, success: boolean) => {
    const id = `${kind}\u0000${k}`;
    let entry = lockout.get(id);
    if (entry === undefined) lockout.set(id, (entry = { kind, key: k, failures: 0, reset: false }));
    if (!success) entry.failures += 1;
    else if (kind !== "IP") {
      entry.failures = 0;
      entry.reset = true;
    }
  };
  for (const e of events) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    const at = e.occurredAt ?? now;
    const subject = e.principal?.subject ?? "";
    const ip = e.client?.ipAddress ?? "";
    const userAgent = e.client?.userAgent ?? "";
    lines.push(
      [
        e.eventId,
        at.toISOString(),
        EventType[e.type],
        label(Severity, e.severity) ?? "INFO",
        Outcome[e.outcome],
        field(subject),
        field(label(PrincipalKind, e.principal?.kind ?? 0)),
        field(e.principal?.email ?? null),
        field(e.principal?.serviceTokenName ?? null),
        field(e.principal?.tokenId ?? null),
        field(ip),
        field(userAgent),
        field(e.client?.requestId ?? null),
        field(e.sourceService),
        field(label(FailureReason, e.failureReason)),
        String(e.riskScore),
        field(JSON.stringify(e.details)),
      ].join("\t"),
    );
    const success = e.type === EventType.LOGIN_SUCCESS;
    if (storeOnly || subject === "" || (!success && e.type !== EventType.LOGIN_FAILURE)) continue;
    let r = risk.get(subject);
    if (r === undefined) {
      r = {
        kind: "USER",
        firstAt: at,
        lastSuccessAt: null,
        successes: 0,
        hours: Array<number>(24).fill(0),
        networks: {},
        userAgents: {},
        failuresSinceSuccess: 0,
        lastFailureAt: null,
        attempts: 0,
      };
      risk.set(subject, r);
    }
    r.attempts += 1;
    const net = ip === "" ? null : network(ip);
    if (success) {
      r.successes += 1;
      r.lastSuccessAt = at;
      r.hours[at.getUTCHours()]! += 1;
      const epoch = Math.floor(at.getTime() / 1000);
      if (net !== null) r.networks[net] = epoch;
      if (userAgent !== "") r.userAgents[userAgent] = epoch;
      r.failuresSinceSuccess = 0;
      if (net !== null && !remembered.has(`${subject}|${net}`)) {
        remembered.add(`${subject}|${net}`);
        familiar.push({ subject, network: net });
      }
    } else {
      r.failuresSinceSuccess += 1;
      r.lastFailureAt = at;
    }
    key("SUBJECT", subject, success);
    if (ip !== "") {
      key("IP", ip, success);
      key("SUBJECT_IP", `${subject}|${ip}`, success);
    }
  }

  since = lap("prepare", since);
  await client.query("BEGIN");
  try {
    await pipeline(
      Readable.from([lines.join("\n") + "\n"]),
      client.query(copyFrom(`COPY minimal_stage (${COLUMNS}) FROM STDIN`)),
    );
    since = lap("copy", since);
    const stored = await client.query(
      `WITH fresh AS (
         INSERT INTO security_event_ids (event_id, occurred_at)
         SELECT event_id, occurred_at FROM minimal_stage
         ON CONFLICT DO NOTHING RETURNING event_id
       )
       INSERT INTO security_events (${COLUMNS})
       SELECT ${COLUMNS} FROM minimal_stage JOIN fresh USING (event_id)
       ON CONFLICT DO NOTHING`,
    );
    since = lap("events", since);
    if (storeOnly) {
      await client.query("COMMIT");
      lap("commit", since);
      return stored.rowCount ?? 0;
    }
    const subjects = [...risk.keys()].sort();
    const rows = subjects.map((s) => risk.get(s)!);
    await client.query(
      `INSERT INTO risk_profiles AS p (subject, kind, first_seen_at, last_seen_at, successes, hour_counts, networks,
         user_agents, recent_failures, last_failure_at, velocity_hour, velocity_current)
       SELECT t.subject, t.kind, t.first_at, t.last_at, t.successes, t.hours::integer[], t.networks, t.user_agents,
         t.failures, t.last_failure_at, date_trunc('hour', now(), 'UTC'), t.attempts
       FROM unnest($1::text[], $2::principal_kind[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::text[],
         $7::jsonb[], $8::jsonb[], $9::integer[], $10::timestamptz[], $11::integer[])
         AS t(subject, kind, first_at, last_at, successes, hours, networks, user_agents, failures, last_failure_at, attempts)
       ORDER BY t.subject COLLATE "C"
       ON CONFLICT (subject) DO UPDATE SET
         first_seen_at = least(p.first_seen_at, EXCLUDED.first_seen_at),
         last_seen_at = greatest(p.last_seen_at, EXCLUDED.last_seen_at),
         successes = p.successes + EXCLUDED.successes,
         hour_counts = ARRAY(SELECT a + b FROM unnest(p.hour_counts, EXCLUDED.hour_counts) AS h(a, b)),
         networks = p.networks || EXCLUDED.networks,
         user_agents = p.user_agents || EXCLUDED.user_agents,
         recent_failures = CASE WHEN EXCLUDED.last_seen_at IS NULL THEN p.recent_failures + EXCLUDED.recent_failures
           ELSE EXCLUDED.recent_failures END,
         last_failure_at = greatest(p.last_failure_at, EXCLUDED.last_failure_at),
         velocity_current = p.velocity_current + EXCLUDED.velocity_current`,
      [
        subjects,
        rows.map((r) => r.kind),
        rows.map((r) => r.firstAt),
        rows.map((r) => r.lastSuccessAt),
        rows.map((r) => r.successes),
        rows.map((r) => `{${r.hours.join(",")}}`),
        rows.map((r) => JSON.stringify(r.networks)),
        rows.map((r) => JSON.stringify(r.userAgents)),
        rows.map((r) => r.failuresSinceSuccess),
        rows.map((r) => r.lastFailureAt),
        rows.map((r) => r.attempts),
      ],
    );
    since = lap("risk", since);
    if (familiar.length > 0) {
      await client.query(
        `INSERT INTO lockout_familiar_networks (subject, network, last_success_at)
         SELECT DISTINCT f.subject, f.network::cidr, $3::timestamptz FROM unnest($1::text[], $2::text[]) AS f(subject, network)
         ORDER BY 1, 2
         ON CONFLICT (subject, network) DO UPDATE SET last_success_at = EXCLUDED.last_success_at`,
        [familiar.map((f) => f.subject), familiar.map((f) => f.network), now],
      );
    }
    since = lap("familiar", since);
    const keys = [...lockout.values()].filter((k) => k.failures > 0 || k.reset);
    // Counted keys are created, then every key's row is locked in one order (no deadlock between batches);
    // forgotten keys change only rows that exist and hold failures.
    await client.query(
      `WITH r AS (
         SELECT * FROM unnest($1::lockout_key_kind[], $2::text[], $3::integer[], $4::boolean[]) AS r(kind, key, n, reset)
       ), locked AS (
         SELECT c.key_kind, c.key FROM lockout_counters c JOIN r ON r.kind = c.key_kind AND r.key = c.key
         WHERE r.n > 0 OR c.failures > 0
         ORDER BY 1, 2 FOR UPDATE OF c
       )
       INSERT INTO lockout_counters AS c (key_kind, key, failures, last_failure_at)
       SELECT r.kind, r.key, r.n, CASE WHEN r.n > 0 THEN $5::timestamptz END FROM r
       LEFT JOIN locked l ON l.key_kind = r.kind AND l.key = r.key
       WHERE r.n > 0 OR l.key IS NOT NULL
       ORDER BY 1, 2
       ON CONFLICT (key_kind, key) DO UPDATE SET
         failures = CASE WHEN EXCLUDED.last_failure_at IS NULL THEN 0 ELSE c.failures END + EXCLUDED.failures,
         last_failure_at = coalesce(EXCLUDED.last_failure_at, c.last_failure_at)`,
      [keys.map((k) => k.kind), keys.map((k) => k.key), keys.map((k) => k.failures), keys.map((k) => k.reset), now],
    );
    since = lap("lockout", since);
    await client.query("COMMIT");
    lap("commit", since);
    return stored.rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

async function run(spec: MinimalIngestSpec): Promise<MinimalIngestResult> {
  const payloads = spec.payloads.map((p) => Buffer.from(p, "base64"));
  const remembered = new Set<string>();
  const clients = await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      const client = new pg.Client({ connectionString: spec.url });
      await client.connect();
      await client.query(
        `CREATE TEMP TABLE minimal_stage (LIKE security_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
      );
      return client;
    }),
  );
  let next = 0;
  let events = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + spec.durationMs;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline && next < payloads.length) {
        const since = performance.now();
        const request = LogEventsRequest.decode(payloads[next++]!);
        lap("decode", since);
        events += await writeBatch(client, request.events, remembered, spec.storeOnly);
      }
    }),
  );
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(clients.map((client) => client.end()));
  return { events, ms, cpuMicros: cpu.user + cpu.system, steps };
}

process.once("message", (spec: MinimalIngestSpec) => {
  void run(spec).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`minimal-ingest: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
