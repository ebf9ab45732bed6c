import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticateRequest,
  CheckLockoutRequest,
  ListEventsRequest,
  LogEventRequest,
  LogEventsRequest,
} from "../src/gen/warden/v1/auth_service.js";
import {
  AuthenticationEvent,
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
} from "../src/gen/warden/v1/event.js";
import { generateServiceToken } from "../src/tokens/format.js";
import { createTestDatabase } from "./support/database.js";
import { bearer, createToken, eventually, startTestWarden, type TestWarden } from "./support/warden.js";

let t: TestWarden;
beforeAll(async () => {
  // The event store on its own: lockout would add ACCOUNT_LOCKED events of its own to what these tests count.
  t = await startTestWarden({ WARDEN_LOCKOUT_ENABLED: "false" });
});
afterAll(async () => {
  await t.stop();
});

function loginFailure(overrides: Partial<AuthenticationEvent> = {}): AuthenticationEvent {
  return AuthenticationEvent.fromPartial({
    type: EventType.LOGIN_FAILURE,
    outcome: Outcome.FAILURE,
    failureReason: FailureReason.INVALID_PASSWORD,
    principal: { subject: "alice", kind: PrincipalKind.USER },
    client: { ipAddress: "192.0.2.10" },
    ...overrides,
  });
}

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (caught: ServiceError) => caught,
  );
  if (error === undefined) throw new Error("expected the call to fail");
  return error;
}

describe("LogEvent", () => {
  it("stores every field and returns it unchanged through ListEvents", async () => {
    const event = AuthenticationEvent.fromPartial({
      eventId: randomUUID(),
      occurredAt: new Date("2026-01-02T03:04:05.678Z"),
      type: EventType.TOKEN_AUTH_FAILURE,
      severity: Severity.WARNING,
      outcome: Outcome.FAILURE,
      principal: {
        subject: "svc-billing",
        kind: PrincipalKind.SERVICE_TOKEN,
        email: "billing@example.com",
        serviceTokenName: "billing-prod",
        tokenId: "tok-123",
      },
      client: {
        ipAddress: "2001:db8::7",
        userAgent: "billing/1.2",
        requestId: "req-9",
        location: undefined,
        country: "",
      },
      sourceService: "billing-api",
      failureReason: FailureReason.TOKEN_REVOKED,
      riskScore: 42,
      details: { region: "eu-west-1", attempt: "3" },
    });
    const response = await t.client.logEvent(LogEventRequest.fromPartial({ event }));
    expect(response).toEqual({ eventId: event.eventId, duplicate: false });

    const page = await t.listEvents(ListEventsRequest.fromPartial({ subject: "svc-billing" }));
    expect(page.events).toHaveLength(1);
    const stored = page.events[0]!;
    expect(stored.receivedAt).toBeInstanceOf(Date);
    expect({ ...stored, receivedAt: undefined }).toEqual({ ...event, receivedAt: undefined });
  });

  it("generates an id and a time when the caller gives none, and defaults severity to INFO", async () => {
    const before = Date.now();
    const { eventId } = await t.client.logEvent(
      LogEventRequest.fromPartial({
        event: loginFailure({
          principal: { subject: "defaults", kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
        }),
      }),
    );
    // A UUIDv7 whose first 48 bits are the time it was generated.
    expect(eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const idMs = parseInt(eventId.replace("-", "").slice(0, 12), 16);
    expect(idMs).toBeGreaterThanOrEqual(before);
    expect(idMs).toBeLessThanOrEqual(Date.now());
    const [row] = await t.db.query<{ occurred_at: Date; severity: string }>(
      "SELECT occurred_at, severity FROM security_events WHERE event_id = $1",
      [eventId],
    );
    expect(row!.severity).toBe("INFO");
    expect(row!.occurred_at.getTime()).toBeGreaterThanOrEqual(before - 1);
  });

  it("ignores a repeated event_id instead of storing it twice or failing", async () => {
    const eventId = randomUUID();
    const first = await t.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure({ eventId }) }));
    const again = await t.client.logEvent(
      LogEventRequest.fromPartial({ event: loginFailure({ eventId, failureReason: FailureReason.UNKNOWN_USER }) }),
    );
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ eventId, duplicate: true });
    const rows = await t.db.query<{ failure_reason: string }>(
      "SELECT failure_reason FROM security_events WHERE event_id = $1",
      [eventId],
    );
    expect(rows).toEqual([{ failure_reason: "INVALID_PASSWORD" }]);
  });

  it.each([
    ["a missing event", {}, "event: required"],
    ["a missing type", { event: loginFailure({ type: EventType.UNSPECIFIED }) }, "event.type: required"],
    ["an unknown type", { event: loginFailure({ type: 999 as EventType }) }, "event.type: unknown enum value 999"],
    ["a missing outcome", { event: loginFailure({ outcome: Outcome.UNSPECIFIED }) }, "event.outcome: required"],
    ["an event_id that is not a UUID", { event: loginFailure({ eventId: "42" }) }, "event.event_id: must be a UUID"],
    [
      "a bad IP address",
      {
        event: loginFailure({
          client: { ipAddress: "10.0.0.300", userAgent: "", requestId: "", location: undefined, country: "" },
        }),
      },
      "event.client.ip_address: not an IPv4 or IPv6 address",
    ],
    [
      "an IPv6 address with a zone id, which PostgreSQL's inet refuses",
      {
        event: loginFailure({
          client: { ipAddress: "fe80::1%eth0", userAgent: "", requestId: "", location: undefined, country: "" },
        }),
      },
      "event.client.ip_address: not an IPv4 or IPv6 address",
    ],
    [
      "a time before 1970",
      { event: loginFailure({ occurredAt: new Date("0001-01-01T00:00:00Z") }) },
      "event.occurred_at: before 1970",
    ],
    ["a risk score over 100", { event: loginFailure({ riskScore: 101 }) }, "event.risk_score: must be 0 to 100"],
    [
      "a time far in the future",
      { event: loginFailure({ occurredAt: new Date(Date.now() + 3_600_000) }) },
      "event.occurred_at: more than 5 minutes in the future",
    ],
    [
      "too many details",
      { event: loginFailure({ details: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"])) }) },
      "event.details: more than 32 entries",
    ],
    [
      "a NUL character",
      { event: loginFailure({ sourceService: "bad\u0000name" }) },
      "event.source_service: contains a NUL character",
    ],
    [
      "an over-long subject",
      {
        event: loginFailure({
          principal: {
            subject: "x".repeat(257),
            kind: PrincipalKind.USER,
            email: "",
            serviceTokenName: "",
            tokenId: "",
          },
        }),
      },
      "event.principal.subject: longer than 256 characters",
    ],
  ])("rejects %s with INVALID_ARGUMENT naming the field", async (_, request, message) => {
    const before = await t.db.query<{ count: string }>("SELECT count(*) FROM security_events");
    const error = await grpcError(t.client.logEvent(LogEventRequest.fromPartial(request)));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe(message);
    expect(await t.db.query("SELECT count(*) FROM security_events")).toEqual(before);
  });

  it("commits concurrent calls together and acknowledges each one", async () => {
    const subject = `burst-${randomUUID()}`;
    const calls = Array.from({ length: 300 }, () =>
      t.client.logEvent(
        LogEventRequest.fromPartial({
          event: loginFailure({
            principal: { subject, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
          }),
        }),
      ),
    );
    const results = await Promise.all(calls);
    expect(new Set(results.map((r) => r.eventId)).size).toBe(300);
    const [row] = await t.db.query<{ count: string }>("SELECT count(*) FROM security_events WHERE subject = $1", [
      subject,
    ]);
    expect(Number(row!.count)).toBe(300);
  });
});

describe("reporting needs events:write", () => {
  it("refuses LogEvent, LogEvents and CheckLockout without it, and records refusals but not each success", async () => {
    const reader = bearer(await createToken(t.db.url, `reader-${randomUUID()}`, ["events:read"]));
    const calls = (metadata: Metadata) => [
      t.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() }), { metadata }),
      t.client.logEvents(LogEventsRequest.fromPartial({ events: [loginFailure()] }), { metadata }),
      t.client.checkLockout(CheckLockoutRequest.fromPartial({ subject: "alice" }), { metadata }),
    ];
    for (const error of await Promise.all(calls(new Metadata()).map(grpcError))) {
      expect(error.code).toBe(status.UNAUTHENTICATED);
    }
    for (const error of await Promise.all(calls(reader).map(grpcError))) {
      expect([error.code, error.details]).toEqual([status.PERMISSION_DENIED, "missing scope events:write"]);
    }
    const forged = bearer(generateServiceToken());
    for (const error of await Promise.all(calls(forged).map(grpcError))) {
      expect(error.code).toBe(status.UNAUTHENTICATED);
    }

    const name = `reporter-${randomUUID()}`;
    const reporter = bearer(await createToken(t.db.url, name, ["events:write"]));
    for (let i = 0; i < 5; i += 1) await Promise.all(calls(reporter));
    // Five rounds of reports, and not one TOKEN_AUTH_SUCCESS for the reporter: only the reported events.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [row] = await t.db.query<{ successes: string }>(
      "SELECT count(*) AS successes FROM security_events WHERE type = 'TOKEN_AUTH_SUCCESS' AND service_token_name = $1",
      [name],
    );
    expect(Number(row!.successes)).toBe(0);
    const refused = await t.db.query<{ failure_reason: string }>(
      "SELECT failure_reason FROM security_events WHERE type = 'TOKEN_AUTH_FAILURE' AND source_service = 'warden-reporter'",
    );
    expect(refused.map((r) => r.failure_reason)).toContain("UNKNOWN_TOKEN");
  });
});

describe("an event the database refuses", () => {
  it("fails only its own call, not the others committed with it", async () => {
    const subject = `neighbour-${randomUUID()}`;
    // Stands for any refusal validation did not foresee.
    await t.db.query("ALTER TABLE security_events ADD CONSTRAINT refuse_poison CHECK (subject <> 'poison')");
    try {
      const event = (who: string) =>
        LogEventRequest.fromPartial({
          event: loginFailure({
            principal: { subject: who, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" },
          }),
        });
      const calls = Array.from({ length: 60 }, (_, i) =>
        t.client.logEvent(event(i % 20 === 10 ? "poison" : subject)).then(
          () => "ok",
          (error: ServiceError) => error.code,
        ),
      );
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((outcome) => outcome !== "ok")).toEqual([
        status.INTERNAL,
        status.INTERNAL,
        status.INTERNAL,
      ]);
      const [row] = await t.db.query<{ count: string }>("SELECT count(*) FROM security_events WHERE subject = $1", [
        subject,
      ]);
      expect(Number(row!.count)).toBe(57);
    } finally {
      await t.db.query("ALTER TABLE security_events DROP CONSTRAINT refuse_poison");
    }
  });
});

describe("LogEvents", () => {
  it("stores a batch and answers in request order", async () => {
    const events = [0, 1, 2].map((i) => loginFailure({ eventId: randomUUID(), details: { index: String(i) } }));
    const response = await t.client.logEvents(LogEventsRequest.fromPartial({ events }));
    expect(response.results.map((r) => r.eventId)).toEqual(events.map((e) => e.eventId));
    expect(response.results.every((r) => !r.duplicate)).toBe(true);
  });

  it("reports the second of two events with one new id as the duplicate, and stores the first", async () => {
    const eventId = randomUUID();
    const events = [
      loginFailure({ eventId, details: { copy: "first" } }),
      loginFailure({ eventId, details: { copy: "second" } }),
    ];
    const response = await t.client.logEvents(LogEventsRequest.fromPartial({ events }));
    expect(response.results).toEqual([
      { eventId, duplicate: false },
      { eventId, duplicate: true },
    ]);
    const rows = await t.db.query<{ details: unknown }>("SELECT details FROM security_events WHERE event_id = $1", [
      eventId,
    ]);
    expect(rows).toEqual([{ details: { copy: "first" } }]);
  });

  it("stores nothing when one event of the batch is invalid", async () => {
    const good = loginFailure({ eventId: randomUUID() });
    const bad = loginFailure({
      client: { ipAddress: "not-an-ip", userAgent: "", requestId: "", location: undefined, country: "" },
    });
    const error = await grpcError(t.client.logEvents(LogEventsRequest.fromPartial({ events: [good, bad] })));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe("events[1].client.ip_address: not an IPv4 or IPv6 address");
    expect(await t.db.query("SELECT 1 FROM security_events WHERE event_id = $1", [good.eventId])).toEqual([]);
  });

  it("refuses an empty batch and one over 1,000 events", async () => {
    const empty = await grpcError(t.client.logEvents(LogEventsRequest.fromPartial({ events: [] })));
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.details).toMatch(/^events: /);
    const tooMany = await grpcError(
      t.client.logEvents(LogEventsRequest.fromPartial({ events: Array.from({ length: 1001 }, () => loginFailure()) })),
    );
    expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
    expect(tooMany.details).toBe("events: at most 1000 events per call");
  });

  it("accepts exactly 1,000 events", async () => {
    const response = await t.client.logEvents(
      LogEventsRequest.fromPartial({ events: Array.from({ length: 1000 }, () => loginFailure()) }),
    );
    expect(response.results).toHaveLength(1000);
  });
});

describe("ListEvents", () => {
  const subject = `list-${randomUUID()}`;
  const base = new Date("2026-03-01T00:00:00Z").getTime();
  const principal = { subject, kind: PrincipalKind.USER, email: "", serviceTokenName: "", tokenId: "" };

  beforeAll(async () => {
    const events = Array.from({ length: 25 }, (_, i) =>
      loginFailure({
        occurredAt: new Date(base + i * 60_000),
        principal,
        type: i % 5 === 0 ? EventType.LOGIN_SUCCESS : EventType.LOGIN_FAILURE,
        outcome: i % 5 === 0 ? Outcome.SUCCESS : Outcome.FAILURE,
        client: {
          ipAddress: i % 2 === 0 ? "198.51.100.1" : "198.51.100.2",
          userAgent: "",
          requestId: "",
          location: undefined,
          country: "",
        },
      }),
    );
    // Two events at the same instant: the keyset must still order and page them.
    events.push(loginFailure({ occurredAt: new Date(base), principal }));
    await t.client.logEvents(LogEventsRequest.fromPartial({ events }));
  });

  it("pages newest first with no gaps or repeats", async () => {
    const seen: AuthenticationEvent[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await t.listEvents(ListEventsRequest.fromPartial({ subject, pageSize: 7, pageToken }));
      seen.push(...page.events);
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken !== "");
    expect(pages).toBe(4);
    expect(seen).toHaveLength(26);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(26);
    const times = seen.map((e) => e.occurredAt!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("filters by type, outcome, IP and time range in SQL", async () => {
    const successes = await t.listEvents(ListEventsRequest.fromPartial({ subject, type: EventType.LOGIN_SUCCESS }));
    expect(successes.events).toHaveLength(5);
    const failures = await t.listEvents(ListEventsRequest.fromPartial({ subject, outcome: Outcome.FAILURE }));
    expect(failures.events).toHaveLength(21);
    const byIp = await t.listEvents(ListEventsRequest.fromPartial({ subject, ipAddress: "198.51.100.2" }));
    expect(byIp.events).toHaveLength(12);
    const window = await t.listEvents(
      ListEventsRequest.fromPartial({
        subject,
        occurredAfter: new Date(base + 10 * 60_000),
        occurredBefore: new Date(base + 15 * 60_000),
      }),
    );
    expect(window.events.map((e) => e.occurredAt!.getTime())).toEqual(
      [14, 13, 12, 11, 10].map((i) => base + i * 60_000),
    );
  });

  it("defaults to 100 per page and refuses more than 1,000", async () => {
    const page = await t.listEvents(ListEventsRequest.fromPartial({}));
    expect(page.events.length).toBeLessThanOrEqual(100);
    const error = await grpcError(t.listEvents(ListEventsRequest.fromPartial({ pageSize: 1001 })));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe("page_size: at most 1000");
  });

  it("reads events only for a caller holding events:read", async () => {
    const request = ListEventsRequest.fromPartial({ subject });
    const anonymous = await grpcError(t.client.listEvents(request));
    expect(anonymous.code).toBe(status.UNAUTHENTICATED);
    const writer = await createToken(t.db.url, `events-writer-${randomUUID()}`, ["events:write"]);
    const denied = await grpcError(t.client.listEvents(request, { metadata: bearer(writer) }));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toBe("missing scope events:read");
    const admin = await createToken(t.db.url, `events-admin-${randomUUID()}`, ["admin"]);
    expect((await t.client.listEvents(request, { metadata: bearer(admin) })).events.length).toBeGreaterThan(0);
  });

  it("rejects a page token it did not issue, a bad IP filter and a NUL in the subject", async () => {
    const token = await grpcError(t.listEvents(ListEventsRequest.fromPartial({ pageToken: "garbage" })));
    expect(token.code).toBe(status.INVALID_ARGUMENT);
    expect(token.details).toMatch(/^page_token: /);
    const ip = await grpcError(t.listEvents(ListEventsRequest.fromPartial({ ipAddress: "nope" })));
    expect(ip.code).toBe(status.INVALID_ARGUMENT);
    expect(ip.details).toMatch(/^ip_address: /);
    const nul = await grpcError(t.listEvents(ListEventsRequest.fromPartial({ subject: "a\u0000b" })));
    expect([nul.code, nul.details]).toEqual([status.INVALID_ARGUMENT, "subject: contains a NUL character"]);
  });
});

describe("bounded event queue", () => {
  it("answers RESOURCE_EXHAUSTED instead of dropping when the queue is full", async () => {
    const small = await startTestWarden({ WARDEN_EVENT_QUEUE_MAX: "5" });
    try {
      const error = await grpcError(
        small.client.logEvents(
          LogEventsRequest.fromPartial({ events: Array.from({ length: 6 }, () => loginFailure()) }),
        ),
      );
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      const accepted = await small.client.logEvents(
        LogEventsRequest.fromPartial({ events: Array.from({ length: 5 }, () => loginFailure()) }),
      );
      expect(accepted.results).toHaveLength(5);
      expect(
        await small.db.query("SELECT count(*)::int AS n FROM security_events WHERE type = 'LOGIN_FAILURE'"),
      ).toEqual([{ n: 5 }]);
    } finally {
      await small.stop();
    }
  });

  it("refuses at once, and loses nothing admitted, while the oldest awaited event waits longer than allowed", async () => {
    const w = await startTestWarden({ WARDEN_LOCKOUT_ENABLED: "false", WARDEN_EVENT_ADMIT_WAIT_MS: "100" });
    // An uncommitted row holding the first event's id stalls its batch on the unique index.
    const blocker = new pg.Client({ connectionString: w.db.url });
    await blocker.connect();
    try {
      const stalled = loginFailure({ eventId: randomUUID() });
      await blocker.query("BEGIN");
      await blocker.query("INSERT INTO security_event_ids (event_id, occurred_at) VALUES ($1, now())", [
        stalled.eventId,
      ]);
      const first = w.client.logEvent(LogEventRequest.fromPartial({ event: stalled }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const queued = loginFailure({ eventId: randomUUID() });
      const second = w.client.logEvent(LogEventRequest.fromPartial({ event: queued }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      const refused = await grpcError(w.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() })));
      expect(Date.now() - started).toBeLessThan(1000);
      expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused.details).toMatch(/waiting \d+ ms to be written/);
      await blocker.query("ROLLBACK");
      expect((await first).duplicate).toBe(false);
      expect((await second).duplicate).toBe(false);
      const stored = await w.db.query<{ event_id: string }>(
        "SELECT event_id FROM security_events WHERE type = 'LOGIN_FAILURE'",
      );
      expect(stored.map((row) => row.event_id).sort()).toEqual([stalled.eventId, queued.eventId].sort());
      // Once the backlog is written, new events are admitted again.
      await w.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() }));
    } finally {
      await blocker.end();
      await w.stop();
    }
  });
  it("refuses at once while an admitted report has waited longer than allowed after its event was written", async () => {
    const w = await startTestWarden({ WARDEN_EVENT_ADMIT_WAIT_MS: "100" });
    const subject = `stalled-${randomUUID()}`;
    const failure = () => loginFailure({ eventId: randomUUID(), principal: { ...loginFailure().principal!, subject } });
    await w.client.logEvent(LogEventRequest.fromPartial({ event: failure() }));
    // Holding the subject's lockout counters stalls the next report's counting, after its event is committed.
    const blocker = new pg.Client({ connectionString: w.db.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT 1 FROM lockout_counters WHERE key LIKE $1 FOR UPDATE", [`${subject}%`]);
      const stalled = failure();
      const counting = w.client.logEvent(LogEventRequest.fromPartial({ event: stalled }));
      await eventually(async () =>
        (await w.db.query("SELECT 1 FROM security_events WHERE event_id = $1", [stalled.eventId])).length > 0
          ? true
          : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const refused = await grpcError(w.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() })));
      expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused.details).toMatch(/waiting \d+ ms to be written and counted/);
      await blocker.query("ROLLBACK");
      expect((await counting).duplicate).toBe(false);
      // Once the stalled report has its answer, new ones are admitted again.
      await w.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() }));
    } finally {
      await blocker.end();
      await w.stop();
    }
  });

  it("does not count a batch's own time as waiting: a long batch in flight refuses no one", async () => {
    const w = await startTestWarden({ WARDEN_EVENT_ADMIT_WAIT_MS: "100" });
    const subject = `long-batch-${randomUUID()}`;
    const failure = () => loginFailure({ eventId: randomUUID(), principal: { ...loginFailure().principal!, subject } });
    await w.client.logEvent(LogEventRequest.fromPartial({ event: failure() }));
    const blocker = new pg.Client({ connectionString: w.db.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT 1 FROM lockout_counters WHERE key LIKE $1 FOR UPDATE", [`${subject}%`]);
      const stalled = [failure(), failure()];
      const batch = w.client.logEvents(LogEventsRequest.fromPartial({ events: stalled }));
      await eventually(async () =>
        (await w.db.query("SELECT 1 FROM security_events WHERE event_id = $1", [stalled[1]!.eventId])).length > 0
          ? true
          : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Admitted (answered once the blocker lets the batch's counting through).
      const single = w.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await blocker.query("ROLLBACK");
      expect((await single).duplicate).toBe(false);
      expect((await batch).results).toHaveLength(2);
    } finally {
      await blocker.end();
      await w.stop();
    }
  });

  it("refuses reports before validating them while the event loop runs late, and admits them once it catches up", async () => {
    const w = await startTestWarden({ WARDEN_LOCKOUT_ENABLED: "false", WARDEN_EVENT_ADMIT_LAG_MS: "50" });
    const subject = `burst-${randomUUID()}`;
    const credential = await createToken(w.db.url, `burst-reporter-${randomUUID()}`, ["events:write"]);
    // A client in another process, so that its calls reach the socket while this process (the server) is busy.
    const burst = spawn(
      process.execPath,
      ["--import", "tsx", "test/support/report-burst.ts", `127.0.0.1:${w.warden.grpcPort}`, subject, "5"],
      { env: { ...process.env, WARDEN_TEST_BEARER: credential }, stdio: ["pipe", "pipe", "inherit"] },
    );
    const lines = createInterface({ input: burst.stdout })[Symbol.asyncIterator]();
    try {
      expect((await lines.next()).value).toBe("ready");
      burst.stdin.write("go\n");
      // The server runs on this event loop: hold it as an overloaded server's backlog would.
      const busyUntil = performance.now() + 500;
      while (performance.now() < busyUntil);
      const codes = JSON.parse((await lines.next()).value as string) as status[];
      // The invalid event is refused too, and as RESOURCE_EXHAUSTED: admission came before validation.
      expect(codes).toEqual(Array<status>(6).fill(status.RESOURCE_EXHAUSTED));
      expect(await w.db.query("SELECT count(*)::int AS n FROM security_events WHERE subject = $1", [subject])).toEqual([
        { n: 1 },
      ]);
      await w.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() }));
    } finally {
      burst.kill();
      await w.stop();
    }
  });
});

describe("Authenticate's events share INSERTs", () => {
  const lingerMs = 20_000;
  const failedAuthentications = (w: TestWarden) =>
    w.db.query("SELECT count(*)::int AS n FROM security_events WHERE type = 'TOKEN_AUTH_FAILURE'");
  const authenticateBadly = (w: TestWarden) =>
    Promise.all(
      [1, 2, 3].map(() => w.client.authenticate(AuthenticateRequest.fromPartial({ credential: "not a token" }))),
    );

  it("a LogEvent never waits for the linger, and takes the lingering events with it", async () => {
    const w = await startTestWarden({ WARDEN_EVENT_LINGER_MS: String(lingerMs) });
    try {
      await authenticateBadly(w);
      const started = Date.now();
      await w.client.logEvent(LogEventRequest.fromPartial({ event: loginFailure() }));
      expect(Date.now() - started).toBeLessThan(lingerMs / 4);
      expect(await failedAuthentications(w)).toEqual([{ n: 3 }]);
    } finally {
      await w.stop();
    }
  });

  it("stopping writes lingering events at once", async () => {
    const db = await createTestDatabase();
    const w = await startTestWarden({ WARDEN_EVENT_LINGER_MS: String(lingerMs) }, {}, db);
    try {
      await authenticateBadly(w);
      const started = Date.now();
      await w.stop();
      expect(Date.now() - started).toBeLessThan(lingerMs / 4);
      expect(await failedAuthentications(w)).toEqual([{ n: 3 }]);
    } finally {
      await db.drop();
    }
  });
});
