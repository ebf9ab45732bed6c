// Issue 20's ingest path: what its shortcuts must not change.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRiskProfiles } from "../sql/queries/risk.queries.js";
import {
  AuthenticateRequest,
  CheckLockoutRequest,
  ListEventsRequest,
  LogEventRequest,
  LogEventsRequest,
} from "../src/gen/warden/v1/auth_service.js";
import { GetRiskProfileRequest } from "../src/gen/warden/v1/risk_service.js";
import {
  AuthenticationEvent,
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
} from "../src/gen/warden/v1/event.js";
import { networkOf } from "../src/risk/network.js";
import { applyObservation, bySeen, emptyProfile, profileFromRow, type Observation } from "../src/risk/profile.js";
import { bearer, createToken, eventually, riskClient, startTestWarden, type TestWarden } from "./support/warden.js";

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
    t.db.query<{ key_kind: string; key: string; failures: number; version: string }>(
      "SELECT key_kind, key, failures, xmin::text AS version FROM lockout_counters WHERE key = $1 OR key LIKE $2 ORDER BY key_kind, key",
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
    // The forget is written after the answer.
    const forgotten = await eventually(async () => {
      const rows = await counters(subject);
      return rows.every((c) => c.failures === 0) ? rows : undefined;
    });
    expect(forgotten.map((c) => [c.key_kind, c.failures])).toEqual([
      ["SUBJECT", 0],
      ["SUBJECT_IP", 0],
    ]);
    // Another success finds nothing to forget: the rows keep their version. An admission of the
    // subject from elsewhere waits for that forget to be written, and writes the SUBJECT row only.
    await t.client.logEvents(
      LogEventsRequest.fromPartial({ events: [login(EventType.LOGIN_SUCCESS, subject, "198.51.100.5")] }),
    );
    await t.client.checkLockout(CheckLockoutRequest.fromPartial({ subject, clientIp: "192.0.2.5" }));
    const pair = (rows: { key: string }[]) => rows.find((c) => c.key === `${subject}|198.51.100.5`);
    expect(pair(await counters(subject))).toEqual(pair(forgotten));
  });

  it("answers before the forget is written; this replica's admissions and counts of the key come after it", async () => {
    const subject = `forget-later-${randomUUID()}`;
    const ip = "198.51.100.6";
    await t.client.logEvent(LogEventRequest.fromPartial({ event: login(EventType.LOGIN_FAILURE, subject, ip) }));
    // The forget needs the subject's counter row: held here, it cannot be written until released.
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM lockout_counters WHERE key_kind = 'SUBJECT' AND key = $1 FOR UPDATE", [
        subject,
      ]);
      const answered = await Promise.race([
        t.client.logEvent(LogEventRequest.fromPartial({ event: login(EventType.LOGIN_SUCCESS, subject, ip) })),
        new Promise((resolve) => setTimeout(() => resolve("still waiting"), 3000)),
      ]);
      expect(answered).toMatchObject({ duplicate: false });
      const admitted = t.client.checkLockout(CheckLockoutRequest.fromPartial({ subject, clientIp: ip }));
      const failed = t.client.logEvent(
        LogEventRequest.fromPartial({ event: login(EventType.LOGIN_FAILURE, subject, ip) }),
      );
      await holder.query("COMMIT");
      expect((await admitted).allowed).toBe(true);
      await failed;
    } finally {
      await holder.end();
    }
    // The success's forget came first: the later failure is the only one counted. (Whether it also settled the
    // admission depends on which of the two, both waiting for the forget, reaches the database first.)
    expect(
      await t.db.query<{ key_kind: string; failures: number }>(
        "SELECT key_kind, failures FROM lockout_counters WHERE key = $1 OR key = $2 ORDER BY key_kind",
        [subject, `${subject}|${ip}`],
      ),
    ).toEqual([
      { key_kind: "SUBJECT", failures: 1 },
      { key_kind: "SUBJECT_IP", failures: 1 },
    ]);
  });
});

describe("risk profiles written one row per subject per flush", () => {
  const HOUR = 3_600_000;
  const MINUTE = 60_000;
  // Whole hours in the past, so every clock hour below is a full one and none is in the future.
  const base = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  const PARIS = { latitude: 48.8566, longitude: 2.3522 };
  const BRUSSELS = { latitude: 50.8503, longitude: 4.3517 };
  const NEW_YORK = { latitude: 40.7128, longitude: -74.006 };
  const A = { ipAddress: "198.51.100.7", userAgent: "browser/1", location: PARIS, country: "FR" };
  const B = { ipAddress: "192.0.2.77", userAgent: "okhttp/4.12.0", country: "BE" };
  const C = { ipAddress: "203.0.113.9", userAgent: "browser/1", location: BRUSSELS };
  const D = { ipAddress: "2001:db8:5::1", userAgent: "app/2", location: NEW_YORK, country: "US" };
  // Successes and failures across three clock hours, some out of order, places with and without a country.
  const sequence: [boolean, Partial<typeof A>, number][] = [
    [true, A, 0],
    [false, B, 5],
    [true, B, 70],
    [true, C, 65],
    [false, A, 130],
    [false, B, 131],
    [true, D, 125],
    [true, B, 20],
    [false, A, 140],
    [true, A, 141],
    [true, C, 142],
    [false, D, 150],
  ];
  const event = (subject: string, success: boolean, client: Partial<typeof A>, minutes: number) =>
    AuthenticationEvent.fromPartial({
      eventId: randomUUID(),
      ...(success
        ? { type: EventType.LOGIN_SUCCESS, outcome: Outcome.SUCCESS }
        : { type: EventType.LOGIN_FAILURE, outcome: Outcome.FAILURE, failureReason: FailureReason.INVALID_PASSWORD }),
      occurredAt: new Date(base + minutes * MINUTE),
      principal: { subject, kind: PrincipalKind.USER },
      client,
    });
  const stored = async (subject: string) => {
    const [row] = await t.db.query("SELECT * FROM risk_profiles WHERE subject = $1", [subject]);
    return { ...row, subject: "" };
  };

  it("keep the 64 most recently seen networks of a new subject whose one batch brings more", async () => {
    const subject = `many-networks-${randomUUID()}`;
    // Out of order, so the most recent are not simply the last ones sent.
    const minutes = Array.from({ length: 70 }, (_, i) => (i * 37) % 70);
    await t.client.logEvents(
      LogEventsRequest.fromPartial({
        events: minutes.map((m) => event(subject, true, { ipAddress: `10.0.${m}.1`, userAgent: "browser/1" }, m)),
      }),
    );
    const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
    try {
      const admin = bearer(await createToken(t.db.url, "risk-admin-networks", ["risk:read"]));
      await risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject }), { metadata: admin });
    } finally {
      risk.close();
    }
    const [row] = await t.db.query<{ networks: Record<string, number> }>(
      "SELECT networks FROM risk_profiles WHERE subject = $1",
      [subject],
    );
    expect(Object.keys(row!.networks).sort()).toEqual(
      Array.from({ length: 64 }, (_, i) => `10.0.${i + 6}.0/24`).sort(),
    );
    // A replica's cached copy, learning attempt by attempt, keeps the same 64 in the stored profile's order.
    const learnt = minutes.reduce(
      (profile, m) =>
        applyObservation(profile, {
          subject,
          kind: "USER",
          at: new Date(base + m * MINUTE),
          success: true,
          network: `10.0.${m}.0/24`,
          userAgent: "browser/1",
          location: null,
          country: null,
        }),
      emptyProfile(subject, "USER", new Date(base)),
    );
    expect(learnt.networks.entries()).toEqual(bySeen(new Map(Object.entries(row!.networks))));
    expect(learnt.networks.entries().map(([network]) => network)).toEqual(
      Array.from({ length: 64 }, (_, i) => `10.0.${69 - i}.0/24`),
    );
  });

  // Before the batch: a profile last seen earlier than all of it, and one seen later (its velocity hour is newer).
  it.each([-30, 190])(
    "equal what applying each attempt in turn stores, over a profile last seen at minute %i",
    async (priorMinutes) => {
      const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
      const admin = bearer(await createToken(t.db.url, `risk-admin-${priorMinutes}`, ["risk:read"]));
      // Reading a profile writes what is pending first.
      const flushed = (subject: string) =>
        risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject }), { metadata: admin });
      const batch = `batch-${priorMinutes}`;
      const single = `single-${priorMinutes}`;
      try {
        for (const subject of [batch, single]) {
          await t.client.logEvent(LogEventRequest.fromPartial({ event: event(subject, true, D, priorMinutes) }));
          await flushed(subject);
        }
        await t.client.logEvents(
          LogEventsRequest.fromPartial({ events: sequence.map(([ok, client, at]) => event(batch, ok, client, at)) }),
        );
        for (const [ok, client, at] of sequence) {
          await t.client.logEvent(LogEventRequest.fromPartial({ event: event(single, ok, client, at) }));
          await flushed(single);
        }
        await flushed(batch);
        const written = await stored(batch);
        expect(written).toEqual(await stored(single));
        // And both are what a replica's cached copy learns (applyObservation), attempt by attempt.
        const observation = ([success, client, minutes]: (typeof sequence)[number]): Observation => ({
          subject: batch,
          kind: "USER",
          at: new Date(base + minutes * MINUTE),
          success,
          network: networkOf(client.ipAddress!),
          userAgent: client.userAgent!,
          location: client.location ?? null,
          country: client.country ?? null,
        });
        const steps = [[true, D, priorMinutes] as (typeof sequence)[number], ...sequence].map(observation);
        const expected = steps.reduce(
          (profile, o) => applyObservation(profile, o),
          emptyProfile(batch, "USER", steps[0]!.at),
        );
        const pool = new pg.Pool({ connectionString: t.db.url, max: 1 });
        try {
          const [row] = await getRiskProfiles.run({ subjects: [batch] }, pool);
          expect(profileFromRow(row!)).toEqual(expected);
        } finally {
          await pool.end();
        }
      } finally {
        risk.close();
      }
    },
  );
});
