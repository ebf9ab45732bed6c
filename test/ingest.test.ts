// Issue 20's ingest path: what its shortcuts must not change.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest, ListEventsRequest, LogEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import {
  AuthenticationEvent,
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
} from "../src/gen/warden/v1/event.js";
import { createToken, eventually, startTestWarden, type TestWarden } from "./support/warden.js";

let t: TestWarden;
beforeAll(async () => {
  t = await startTestWarden();
});
afterAll(async () => {
  await t.stop();
});

describe("Warden's own events, recorded without re-validation", () => {
  it("are stored with every field Authenticate set, successes and refusals alike", async () => {
    const secret = await createToken(t.db.url, "ingest-own-events", ["events:write"]);
    const client = {
      ipAddress: "203.0.113.77",
      userAgent: "own-events/1.0",
      requestId: `req-${randomUUID()}`,
      location: { latitude: 48.85, longitude: 2.35 },
      country: "FR",
    };
    const accepted = await t.client.authenticate(
      AuthenticateRequest.fromPartial({ credential: secret, client, sourceService: "ingest-test" }),
    );
    const refused = await t.client.authenticate(
      AuthenticateRequest.fromPartial({ credential: `${secret}x`, client, sourceService: "ingest-test" }),
    );
    expect(accepted.authenticated).toBe(true);
    expect(refused.authenticated).toBe(false);
    const stored = await eventually(async () => {
      const page = await t.listEvents(ListEventsRequest.fromPartial({ ipAddress: client.ipAddress }));
      return page.events.length === 2 ? page.events : undefined;
    });
    const success = stored.find((e) => e.eventId === accepted.eventId)!;
    expect(success).toMatchObject({
      type: EventType.TOKEN_AUTH_SUCCESS,
      severity: Severity.INFO,
      outcome: Outcome.SUCCESS,
      principal: { kind: PrincipalKind.SERVICE_TOKEN, serviceTokenName: "ingest-own-events" },
      client,
      sourceService: "ingest-test",
      failureReason: FailureReason.UNSPECIFIED,
      identityProvider: "service_token",
    });
    expect(success.principal!.subject).not.toBe("");
    expect(success.principal!.tokenId).not.toBe("");
    const failure = stored.find((e) => e.eventId === refused.eventId)!;
    expect(failure).toMatchObject({
      type: EventType.TOKEN_AUTH_FAILURE,
      outcome: Outcome.FAILURE,
      failureReason: refused.failureReason,
      client,
      sourceService: "ingest-test",
    });
    expect(failure.failureReason).not.toBe(FailureReason.UNSPECIFIED);
  });
});

describe("a reported success forgets lockout failures", () => {
  const login = (type: EventType, subject: string, ip: string) =>
    AuthenticationEvent.fromPartial({
      eventId: randomUUID(),
      type,
      outcome: type === EventType.LOGIN_SUCCESS ? Outcome.SUCCESS : Outcome.FAILURE,
      ...(type === EventType.LOGIN_FAILURE ? { failureReason: FailureReason.INVALID_PASSWORD } : {}),
      principal: { subject, kind: PrincipalKind.USER },
      client: { ipAddress: ip },
    });
  const counters = (subject: string) =>
    t.db.query<{ key_kind: string; failures: number; version: string }>(
      "SELECT key_kind, failures, xmin::text AS version FROM lockout_counters WHERE key = $1 OR key LIKE $2 ORDER BY key_kind",
      [subject, `${subject}|%`],
    );

  it("clears the subject's counted failures, and leaves rows with nothing to forget unwritten", async () => {
    const subject = `forget-${randomUUID()}`;
    await t.client.logEvents(
      LogEventsRequest.fromPartial({
        events: [login(EventType.LOGIN_FAILURE, subject, "198.51.100.5")],
      }),
    );
    expect((await counters(subject)).map((c) => [c.key_kind, c.failures])).toEqual([
      ["SUBJECT", 1],
      ["SUBJECT_IP", 1],
    ]);
    await t.client.logEvents(
      LogEventsRequest.fromPartial({ events: [login(EventType.LOGIN_SUCCESS, subject, "198.51.100.5")] }),
    );
    const forgotten = await counters(subject);
    expect(forgotten.map((c) => [c.key_kind, c.failures])).toEqual([
      ["SUBJECT", 0],
      ["SUBJECT_IP", 0],
    ]);
    // Another success finds nothing to forget: the rows keep their version.
    await t.client.logEvents(
      LogEventsRequest.fromPartial({ events: [login(EventType.LOGIN_SUCCESS, subject, "198.51.100.5")] }),
    );
    expect(await counters(subject)).toEqual(forgotten);
  });
});
