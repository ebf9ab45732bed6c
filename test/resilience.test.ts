import { status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest, LogEventRequest, ListEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import { AuthenticationEvent, EventType, Outcome } from "../src/gen/warden/v1/event.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import { eventually, startTestWarden, type TestWarden } from "./support/warden.js";

const event = () => AuthenticationEvent.fromPartial({ type: EventType.LOGOUT, outcome: Outcome.SUCCESS });
const TIMEOUTS = { WARDEN_DB_CONNECT_TIMEOUT_MS: "500", WARDEN_DB_STATEMENT_TIMEOUT_MS: "500" };

async function timed(promise: Promise<unknown>): Promise<{ error: ServiceError | undefined; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => undefined,
    (caught: ServiceError) => caught,
  );
  return { error, ms: Date.now() - started };
}

describe("a database that stops answering", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let t: TestWarden;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    t = await startTestWarden({ ...TIMEOUTS, DATABASE_URL: proxy.rewrite(db.url) }, {}, db);
  });
  afterAll(async () => {
    proxy.blackhole = false;
    await t.stop();
    await proxy.stop();
    await db.drop();
  });

  it("answers UNAVAILABLE or DEADLINE_EXCEEDED promptly instead of hanging, then recovers", async () => {
    await t.client.logEvent(LogEventRequest.fromPartial({ event: event() }));

    proxy.blackhole = true;
    for (const call of [
      () => t.client.logEvent(LogEventRequest.fromPartial({ event: event() })),
      () => t.listEvents(ListEventsRequest.fromPartial({})),
    ]) {
      const { error, ms } = await timed(call());
      expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(error?.code);
      expect(ms).toBeLessThan(4000);
    }

    proxy.blackhole = false;
    await eventually(
      () =>
        t.client.logEvent(LogEventRequest.fromPartial({ event: event() })).then(
          (response) => response,
          () => undefined,
        ),
      15_000,
    );
  });

  it("honours the caller's deadline when it is shorter than the database timeouts", async () => {
    proxy.blackhole = true;
    try {
      const { error, ms } = await timed(
        t.client.logEvent(LogEventRequest.fromPartial({ event: event() }), { deadlineMs: 300 }),
      );
      expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
      expect(ms).toBeLessThan(1500);
    } finally {
      proxy.blackhole = false;
    }
  });

  it("keeps authenticating while the database is away and records the events once it returns", async () => {
    proxy.blackhole = true;
    const started = Date.now();
    const response = await t.client.authenticate(AuthenticateRequest.fromPartial({ credential: "garbage" }));
    expect(Date.now() - started).toBeLessThan(500);
    expect(response.authenticated).toBe(false);
    proxy.blackhole = false;
    await eventually(async () => {
      const rows = await db.query("SELECT 1 FROM security_events WHERE event_id = $1", [response.eventId]);
      return rows.length === 1 ? true : undefined;
    }, 20_000);
  });
});

describe("a database that refuses connections", () => {
  it("answers UNAVAILABLE promptly and reports not ready", async () => {
    const t = await startTestWarden({
      ...TIMEOUTS,
      DATABASE_URL: "postgres://postgres@127.0.0.1:1/nowhere",
      WARDEN_MIGRATE_ON_START: "false",
    });
    try {
      const { error, ms } = await timed(t.client.logEvent(LogEventRequest.fromPartial({ event: event() })));
      expect(error?.code).toBe(status.UNAVAILABLE);
      expect(ms).toBeLessThan(2000);
      const ready = await fetch(`http://127.0.0.1:${t.warden.httpPort}/readyz`);
      expect(ready.status).toBe(503);
      const live = await fetch(`http://127.0.0.1:${t.warden.httpPort}/healthz`);
      expect(live.status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});
