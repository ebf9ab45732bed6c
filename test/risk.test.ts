import { status, type Metadata } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRiskProfiles, observeRiskSubjects } from "../sql/queries/risk.queries.js";
import { rowsRead, withWardenConnection } from "./support/database.js";
import {
  AuthenticateRequest,
  ListEventsRequest,
  LogEventRequest,
  LogEventsRequest,
  type AuthenticateResponse,
} from "../src/gen/warden/v1/auth_service.js";
import {
  AuthenticationEvent,
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
  type ClientContext,
} from "../src/gen/warden/v1/event.js";
import { RiskLevel, RiskSignal } from "../src/gen/warden/v1/risk.js";
import { GetRiskProfileRequest } from "../src/gen/warden/v1/risk_service.js";
import { bySeen, SeenValues } from "../src/risk/profile.js";
import type { Environment } from "../src/config.js";
import { signJwt, type SigningKey } from "./support/identity-provider.js";
import { cityDatabase } from "./support/mmdb.js";
import {
  bearer,
  callError,
  createTokenWithCli,
  eventually,
  riskClient,
  startTestWarden,
  startTestWardenWithIdentityProvider,
  type TestWarden,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Day 0, 09:00 UTC: every scripted sequence is laid out from here. */
const BASE = Date.UTC(2026, 5, 1, 9, 0, 0);
const at = (days: number, hours = 0, minutes = 0) => new Date(BASE + days * DAY + hours * HOUR + minutes * MINUTE);

const HOME_IP = "203.0.113.10";
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PARIS = { latitude: 48.8566, longitude: 2.3522 };
const BRUSSELS = { latitude: 50.8503, longitude: 4.3517 };
const NEW_YORK = { latitude: 40.7128, longitude: -74.006 };

let key: SigningKey;
let t: TestWardenWithIdentityProvider;
let admin: Metadata;
let clock = new Date(BASE);
const now = () => clock;

const riskEnv: Environment = {
  WARDEN_JWT_ALGORITHMS: "ES256",
  // Sequences here fail on purpose; lockout has tests of its own.
  WARDEN_LOCKOUT_ENABLED: "false",
  WARDEN_RISK_RULES: "velocity_per_hour=20",
};
/** For further Wardens here: the same settings, trusting t's identity provider. */
const env = (): Environment => ({ ...t.trustEnv, ...riskEnv });

beforeAll(async () => {
  t = await startTestWardenWithIdentityProvider(riskEnv, { overrides: { now } });
  key = t.key;
  admin = bearer(await createTokenWithCli(t.warden.databaseUrl, "risk-admin", "risk:read"));
});
afterAll(() => t.stop());

/** A successful JWT authentication by `subject` at `when` (the server's clock is set to it). */
async function login(
  subject: string,
  when: Date,
  client: Partial<ClientContext> = {},
  warden: TestWarden = t,
): Promise<AuthenticateResponse> {
  clock = when;
  const iat = Math.floor(when.getTime() / 1000);
  const credential = await signJwt(key, { sub: subject, iat, exp: iat + 600 });
  return warden.client.authenticate(
    AuthenticateRequest.fromPartial({
      credential,
      client: { ipAddress: HOME_IP, userAgent: BROWSER, ...client },
      sourceService: "portal",
    }),
  );
}

/** A failed password check, as a service that checks passwords reports it. */
async function reportFailure(subject: string, when: Date): Promise<void> {
  clock = when;
  await t.client.logEvent(
    LogEventRequest.fromPartial({
      event: AuthenticationEvent.fromPartial({
        type: EventType.LOGIN_FAILURE,
        outcome: Outcome.FAILURE,
        failureReason: FailureReason.INVALID_PASSWORD,
        occurredAt: when,
        principal: { subject, kind: PrincipalKind.USER },
        client: { ipAddress: HOME_IP, userAgent: BROWSER },
      }),
    }),
  );
}

/** `days` daily logins at 09:00 from home with the usual browser: an established routine. */
async function routine(subject: string, days = 5, client: Partial<ClientContext> = {}): Promise<void> {
  for (let day = 0; day < days; day += 1) {
    const response = await login(subject, at(day), client);
    expect(response.authenticated).toBe(true);
  }
}

async function profileReads(): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${t.warden.httpPort}/metrics`)).text();
  return Number(/^warden_risk_profile_reads (\d+)/m.exec(metrics)![1]);
}

const signals = (response: AuthenticateResponse) =>
  response.risk!.signals.map((fired) => RiskSignal[fired.signal] as keyof typeof RiskSignal);

/** Each signal fires on its crafted sequence and stays silent on the benign twin. */
describe("risk signals", () => {
  it("new network: a /24 the subject never used, not another address in a known one", async () => {
    await routine("net-a");
    await routine("net-b");
    const fired = await login("net-a", at(5), { ipAddress: "198.51.100.7" });
    expect(fired.risk).toEqual({
      score: 15,
      level: RiskLevel.LOW,
      signals: [{ signal: RiskSignal.NEW_NETWORK, points: 15, detail: "first authentication from 198.51.100.0/24" }],
    });
    const benign = await login("net-b", at(5), { ipAddress: "203.0.113.99" });
    expect(benign.risk).toEqual({ score: 0, level: RiskLevel.LOW, signals: [] });
  });

  it("new network: IPv6 networks are /48 sites", async () => {
    await routine("net6-a", 5, { ipAddress: "2001:db8:1:1::10" });
    await routine("net6-b", 5, { ipAddress: "2001:db8:1:1::10" });
    expect(signals(await login("net6-a", at(5), { ipAddress: "2001:db8:2::1" }))).toEqual(["NEW_NETWORK"]);
    expect(signals(await login("net6-b", at(5), { ipAddress: "2001:db8:1:ffff::1" }))).toEqual([]);
  });

  it("new user agent", async () => {
    await routine("ua-a");
    await routine("ua-b");
    const fired = await login("ua-a", at(5), { userAgent: "Mozilla/5.0 (Macintosh) Safari/605.1.15" });
    expect(fired.risk!.signals).toEqual([
      { signal: RiskSignal.NEW_USER_AGENT, points: 10, detail: "first authentication with this user agent" },
    ]);
    expect(signals(await login("ua-b", at(5)))).toEqual([]);
  });

  it("automation user agent: fires for a person even on a first login, never for a service token", async () => {
    const fired = await login("bot-a", at(0), { userAgent: "curl/8.4.0" });
    expect(fired.risk!.signals).toEqual([
      { signal: RiskSignal.AUTOMATION_USER_AGENT, points: 25, detail: "automation user agent: curl/8.4.0" },
    ]);
    expect(signals(await login("bot-b", at(0)))).toEqual([]);
    for (const agent of ["python-requests/2.31.0", "Wget/1.21", "sqlmap/1.7", "Go-http-client/2.0"]) {
      expect(signals(await login(`bot-${agent}`, at(0), { userAgent: agent }))).toEqual(["AUTOMATION_USER_AGENT"]);
    }

    const secret = await createTokenWithCli(t.warden.databaseUrl, "bot-service", "events:write");
    clock = new Date();
    const service = await t.client.authenticate(
      AuthenticateRequest.fromPartial({ credential: secret, client: { ipAddress: HOME_IP, userAgent: "curl/8.4.0" } }),
    );
    expect(service.authenticated).toBe(true);
    expect(signals(service)).toEqual([]);
  });

  it("rare hour: far from the subject's usual hours, not next to them", async () => {
    await routine("hour-a", 10);
    await routine("hour-b", 10);
    const fired = await login("hour-a", at(10, -6));
    expect(fired.risk!.signals).toEqual([
      { signal: RiskSignal.RARE_HOUR, points: 10, detail: "0 of 10 successes near 3:00 UTC" },
    ]);
    expect(signals(await login("hour-b", at(10, 1)))).toEqual([]);
  });

  it("dormant account: more than 90 days since the last success", async () => {
    await routine("dormant-a");
    await routine("dormant-b");
    const fired = await login("dormant-a", at(4 + 91));
    expect(fired.risk!.signals).toEqual([
      { signal: RiskSignal.DORMANT_ACCOUNT, points: 20, detail: "first authentication in 91 days" },
    ]);
    expect(signals(await login("dormant-b", at(4 + 89)))).toEqual([]);
  });

  it("velocity: more attempts in an hour than the threshold (20 here), failures included", async () => {
    for (let i = 0; i < 5; i += 1) await reportFailure("fast-a", at(0, 1, i));
    for (let i = 5; i < 20; i += 1) await login("fast-a", at(0, 1, i));
    for (let i = 0; i < 19; i += 1) await login("fast-b", at(0, 1, i));
    const fired = await login("fast-a", at(0, 1, 20));
    expect(fired.risk!.signals).toEqual([
      { signal: RiskSignal.HIGH_VELOCITY, points: 25, detail: "about 21 attempts in the last hour" },
    ]);
    expect(signals(await login("fast-b", at(0, 1, 20)))).toEqual([]);
  });

  it("failures just before a success: three within 15 minutes, not two, not stale ones", async () => {
    for (const subject of ["fails-a", "fails-b", "fails-c"]) await routine(subject);
    for (const minute of [0, 1, 2]) await reportFailure("fails-a", at(5, 0, minute));
    for (const minute of [0, 1]) await reportFailure("fails-b", at(5, 0, minute));
    for (const minute of [0, 1, 2]) await reportFailure("fails-c", at(5, 0, minute));
    const fired = await login("fails-a", at(5, 0, 5));
    expect(fired.risk!.signals).toEqual([
      { signal: RiskSignal.FAILURES_BEFORE_SUCCESS, points: 25, detail: "3 failures just before" },
    ]);
    expect(signals(await login("fails-b", at(5, 0, 5)))).toEqual([]);
    expect(signals(await login("fails-c", at(5, 0, 30)))).toEqual([]);
  });

  it("impossible travel: Paris to New York in an hour, not Paris to Brussels", async () => {
    await routine("travel-a", 5, { location: PARIS });
    await routine("travel-b", 5, { location: PARIS });
    const fired = await login("travel-a", at(4, 1), { location: NEW_YORK });
    expect(signals(fired)).toEqual(["IMPOSSIBLE_TRAVEL"]);
    expect(fired.risk!.signals[0]!.detail).toBe("5837 km from the previous location, 5837 km/h");
    expect(fired.risk!.score).toBe(50);
    expect(fired.risk!.level).toBe(RiskLevel.HIGH);
    expect(signals(await login("travel-b", at(4, 1), { location: BRUSSELS }))).toEqual([]);
  });

  it("many networks: four within an hour for a person, not three", async () => {
    await routine("roam-a");
    await routine("roam-b");
    const networks = ["198.51.100.1", "192.0.2.1", "100.64.0.1", "100.65.0.1"];
    const seen: string[][] = [];
    for (const [i, ipAddress] of networks.entries())
      seen.push(signals(await login("roam-a", at(5, 0, i * 10), { ipAddress })));
    expect(seen.map((fired) => fired.includes("MANY_NETWORKS"))).toEqual([false, false, false, true]);
    for (const [i, ipAddress] of [...networks.slice(0, 3), networks[0]!].entries()) {
      expect(signals(await login("roam-b", at(5, 0, i * 10), { ipAddress }))).not.toContain("MANY_NETWORKS");
    }
  });

  it("a service token used from many networks: five within an hour, not four", async () => {
    const roaming = await createTokenWithCli(t.warden.databaseUrl, "roaming-service", "events:write");
    const settled = await createTokenWithCli(t.warden.databaseUrl, "settled-service", "events:write");
    const use = (credential: string, ipAddress: string, minutes: number) => {
      clock = new Date(Date.now() + minutes * MINUTE);
      return t.client.authenticate(AuthenticateRequest.fromPartial({ credential, client: { ipAddress } }));
    };
    const roamingSignals: string[][] = [];
    for (let i = 0; i < 5; i += 1) roamingSignals.push(signals(await use(roaming, `10.${i}.0.1`, i)));
    expect(roamingSignals.map((fired) => fired.includes("TOKEN_MANY_NETWORKS"))).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(roamingSignals.flat()).not.toContain("MANY_NETWORKS");
    for (let i = 0; i < 4; i += 1)
      expect(signals(await use(settled, `10.${i}.0.1`, i))).not.toContain("TOKEN_MANY_NETWORKS");
  });
});

describe("profile memory", () => {
  it("keeps the 64 most recently seen networks when a subject has seen more", async () => {
    const seen = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`net-${i}`, 1000 + i]));
    const [row] = await t.db.query<{ kept: Record<string, number> }>(
      "SELECT risk_remember($1::jsonb, 'newest', 5000, 64) AS kept",
      [JSON.stringify(seen)],
    );
    expect(Object.keys(row!.kept)).toHaveLength(64);
    expect(row!.kept.newest).toBe(5000);
    expect(row!.kept["net-0"]).toBeUndefined();
    expect(row!.kept["net-63"]).toBe(1063);
  });

  it("keeps in a replica's cached copy, step by step, what risk_remember keeps: ties, values seen again earlier or later, values too old for a full list", async () => {
    const keep = 3;
    // A fixed pseudo-random walk over few values and few seconds, so every case comes up often.
    let state = 7;
    const next = (n: number) => {
      state = (state * 48_271) % 2_147_483_647;
      return state % n;
    };
    for (let walk = 0; walk < 12; walk += 1) {
      const cached = SeenValues.none();
      let stored: Record<string, number> = {};
      for (let step = 0; step < 15; step += 1) {
        const value = "abcde"[next(5)]!;
        const seconds = 100 + next(4);
        cached.remember(value, seconds, keep);
        const [row] = await t.db.query<{ kept: Record<string, number> }>(
          "SELECT risk_remember($1::jsonb, $2, $3, $4) AS kept",
          [JSON.stringify(stored), value, seconds, keep],
        );
        stored = row!.kept;
        // In the stored order too: most recent first, ties by value.
        expect(cached.entries(), `walk ${walk}, step ${step}`).toEqual(bySeen(new Map(Object.entries(stored))));
      }
    }
  });

  it("stores the same profile from one batch, where a subject's repeated observations are merged, as one by one", async () => {
    const A = { ipAddress: "198.51.100.7", userAgent: BROWSER };
    const B = { ipAddress: "192.0.2.77", userAgent: "okhttp/4.12.0", country: "BE" };
    const sequence: [boolean, typeof A, number][] = [
      [true, A, 0],
      [true, B, 1],
      [true, A, 2],
      [false, A, 3],
      [false, B, 4],
      [false, A, 5],
      [true, B, 6],
      [true, A, 7],
      [true, B, 8],
      [true, A, 70],
    ];
    const event = (subject: string, [success, client, minutes]: (typeof sequence)[number]) =>
      AuthenticationEvent.fromPartial({
        ...(success
          ? { type: EventType.LOGIN_SUCCESS, outcome: Outcome.SUCCESS }
          : { type: EventType.LOGIN_FAILURE, outcome: Outcome.FAILURE, failureReason: FailureReason.INVALID_PASSWORD }),
        occurredAt: at(0, 0, minutes),
        principal: { subject, kind: PrincipalKind.USER },
        client,
      });
    clock = at(0, 2);
    const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
    const profile = async (subject: string) => {
      const response = await risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject }), { metadata: admin });
      return { ...response.profile, subject: "" };
    };
    try {
      await t.client.logEvents(
        LogEventsRequest.fromPartial({ events: sequence.map((step) => event("merged-batch", step)) }),
      );
      for (const step of sequence) {
        await t.client.logEvent(LogEventRequest.fromPartial({ event: event("one-by-one", step) }));
        // Reading the profile writes what is pending first: each observation is its own write.
        await profile("one-by-one");
      }
      const merged = await profile("merged-batch");
      expect(merged).toEqual(await profile("one-by-one"));
      expect(merged.successes).toBe(7);
      expect(merged.networks?.map((seen) => seen.value).sort()).toEqual(["192.0.2.0/24", "198.51.100.0/24"]);
    } finally {
      risk.close();
    }
  });
});

describe("risk scores", () => {
  it("damps novelty while a subject is new: points grow with each success until the fifth", async () => {
    const points: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const response = await login("newcomer", at(i), {
        ipAddress: `198.51.${100 + i}.1`,
        userAgent: `${BROWSER} v${i}`,
      });
      points.push(response.risk!.score);
    }
    // New network (15) and new user agent (10) at successes/5 of their points.
    expect(points).toEqual([0, 3 + 2, 6 + 4, 9 + 6, 12 + 8, 15 + 10, 15 + 10]);
  });

  it("are deterministic for a sequence and clock, whether the profile is cached or read back from PostgreSQL", async () => {
    const script = async (subject: string, steps: [Date, Partial<ClientContext>][], warden: TestWarden = t) => {
      const results = [];
      for (const [when, client] of steps) results.push((await login(subject, when, client, warden)).risk);
      return results;
    };
    const first: [Date, Partial<ClientContext>][] = [
      [at(0), { location: PARIS }],
      [at(1), { ipAddress: "198.51.100.9" }],
      [at(2, -7), { userAgent: "curl/8.0" }],
      [at(3), { location: BRUSSELS }],
      [at(4), {}],
      [at(5), { ipAddress: "192.0.2.44", location: PARIS }],
    ];
    const second: [Date, Partial<ClientContext>][] = [
      [at(5, 1), { location: NEW_YORK, userAgent: "HTTPie/3.2" }],
      [at(5, 2), { ipAddress: "2001:db8:9::1" }],
      [at(120, -8), {}],
    ];
    const a1 = await script("replay-a", first);
    const b1 = await script("replay-b", first);
    expect(b1).toEqual(a1);
    expect(a1.map((risk) => risk!.score)).not.toEqual(a1.map(() => 0));

    // replay-a continues on a second server, which reads the profile the first one wrote.
    const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
    await risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject: "replay-a" }), { metadata: admin });
    const other = await startTestWarden(env(), { now }, t.db);
    try {
      const a2 = await script("replay-a", second, other);
      const b2 = await script("replay-b", second);
      expect(a2).toEqual(b2);
      expect(b2[0]!.signals.map((fired) => RiskSignal[fired.signal])).toEqual([
        "NEW_USER_AGENT",
        "AUTOMATION_USER_AGENT",
        "IMPOSSIBLE_TRAVEL",
      ]);
    } finally {
      await other.stop();
    }

    // Both servers' writes land in the shared profiles, which agree with each other.
    const profile = async (subject: string) => {
      const response = await risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject }), { metadata: admin });
      return { ...response.profile, subject: "" };
    };
    expect(await profile("replay-a")).toEqual(await profile("replay-b"));
    risk.close();
  });

  it("records SUSPICIOUS_ACTIVITY from 50 (WARNING) and 75 (CRITICAL), nothing below", async () => {
    await routine("suspect-a", 5, { location: PARIS });
    const warning = await login("suspect-a", at(4, 1), { location: NEW_YORK });
    const critical = await login("suspect-a", at(4, 2), {
      location: PARIS,
      ipAddress: "198.51.100.66",
      userAgent: "Mozilla/5.0 Edge/120",
    });
    const quiet = await login("suspect-a", at(5), { ipAddress: "192.0.2.1" });
    expect([warning.risk!.score, critical.risk!.score, quiet.risk!.score]).toEqual([50, 75, 15]);
    expect(critical.risk!.level).toBe(RiskLevel.CRITICAL);

    const suspicious = await eventually(async () => {
      const page = await t.listEvents(
        ListEventsRequest.fromPartial({ subject: "suspect-a", type: EventType.SUSPICIOUS_ACTIVITY }),
      );
      return page.events.length === 2 ? page.events : undefined;
    });
    expect(suspicious.map((event) => [event.severity, event.riskScore, event.details.trigger_event_id])).toEqual([
      [Severity.CRITICAL, 75, critical.eventId],
      [Severity.WARNING, 50, warning.eventId],
    ]);
    expect(suspicious[1]!.riskSignals).toEqual([RiskSignal.IMPOSSIBLE_TRAVEL]);
    expect(suspicious[1]!.details.IMPOSSIBLE_TRAVEL).toBe("5837 km from the previous location, 5837 km/h");

    // The authentication's own event carries its score and signals.
    const stored = await eventually(async () => {
      const page = await t.listEvents(
        ListEventsRequest.fromPartial({ subject: "suspect-a", riskSignal: RiskSignal.IMPOSSIBLE_TRAVEL }),
      );
      return page.events.find((event) => event.eventId === warning.eventId);
    });
    expect(stored).toMatchObject({
      eventId: warning.eventId,
      riskScore: 50,
      riskSignals: [RiskSignal.IMPOSSIBLE_TRAVEL],
    });
  });

  it("scores reported logins too, keeping the higher score and ignoring signals the caller sent", async () => {
    await routine("reported");
    const event = AuthenticationEvent.fromPartial({
      eventId: randomUUID(),
      type: EventType.LOGIN_SUCCESS,
      outcome: Outcome.SUCCESS,
      occurredAt: at(5),
      principal: { subject: "reported", kind: PrincipalKind.USER },
      client: { ipAddress: "198.51.100.200", userAgent: BROWSER },
      riskScore: 5,
      riskSignals: [RiskSignal.DORMANT_ACCOUNT],
    });
    clock = at(5);
    expect(await t.client.logEvent(LogEventRequest.fromPartial({ event }))).toEqual({
      eventId: event.eventId,
      duplicate: false,
    });
    expect(await t.client.logEvent(LogEventRequest.fromPartial({ event }))).toEqual({
      eventId: event.eventId,
      duplicate: true,
    });
    const page = await t.listEvents(
      ListEventsRequest.fromPartial({ subject: "reported", type: EventType.LOGIN_SUCCESS }),
    );
    expect(page.events.map((stored) => [stored.riskScore, stored.riskSignals])).toEqual([
      [15, [RiskSignal.NEW_NETWORK]],
    ]);

    const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
    const response = await risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject: "reported" }), {
      metadata: admin,
    });
    risk.close();
    // Five routine logins and one reported success; the retried duplicate is not learnt twice.
    expect(response.profile!.successes).toBe(6);
  });

  it("scores a LogEvents batch in order, reading its subjects' profiles in one query", async () => {
    const before = await profileReads();
    const success = (subject: string, day: number, ipAddress = HOME_IP) =>
      AuthenticationEvent.fromPartial({
        type: EventType.LOGIN_SUCCESS,
        outcome: Outcome.SUCCESS,
        occurredAt: at(day),
        principal: { subject, kind: PrincipalKind.USER },
        client: { ipAddress, userAgent: BROWSER },
      });
    clock = at(10);
    const events = [
      ...[0, 1, 2, 3, 4, 5].flatMap((day) => [success("batch-a", day), success("batch-b", day)]),
      success("batch-a", 6, "198.51.100.1"),
      success("batch-b", 6, "198.51.100.1"),
    ];
    await t.client.logEvents(LogEventsRequest.fromPartial({ events }));
    expect((await profileReads()) - before).toBe(1);
    for (const subject of ["batch-a", "batch-b"]) {
      const page = await t.listEvents(ListEventsRequest.fromPartial({ subject }));
      expect(page.events.map((event) => event.riskScore)).toEqual([15, 0, 0, 0, 0, 0, 0]);
    }
  });

  it("reads a subject's profile from the database once, then scores from the cache", async () => {
    const before = await profileReads();
    for (let i = 0; i < 10; i += 1) await login("cached-subject", at(i));
    expect((await profileReads()) - before).toBe(1);
  });

  it("refuses bad places with INVALID_ARGUMENT naming the field", async () => {
    const cases: [Partial<ClientContext>, string][] = [
      [{ location: { latitude: 91, longitude: 0 } }, "client.location.latitude: must be -90 to 90"],
      [{ location: { latitude: 0, longitude: -180.5 } }, "client.location.longitude: must be -180 to 180"],
      [{ country: "fr" }, "client.country: must be an ISO 3166-1 alpha-2 code in capitals, e.g. FR"],
    ];
    for (const [client, message] of cases) {
      const error = await callError(login("bad-place", at(0), client));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe(message);
    }
    const error = await callError(
      t.client.logEvent(
        LogEventRequest.fromPartial({
          event: AuthenticationEvent.fromPartial({
            type: EventType.LOGIN_SUCCESS,
            outcome: Outcome.SUCCESS,
            client: { location: { latitude: Number.NaN, longitude: 0 } },
          }),
        }),
      ),
    );
    expect(error.details).toBe("event.client.location.latitude: must be -90 to 90");
  });
});

describe("the deny-above-score policy", () => {
  it("refuses at or above the score, records why, and learns nothing from the refused attempt", async () => {
    const strict = await startTestWarden({ ...env(), WARDEN_RISK_DENY_SCORE: "50" }, { now });
    try {
      for (let day = 0; day < 5; day += 1) await login("denied", at(day), { location: PARIS }, strict);
      const refused = await login("denied", at(4, 1), { location: NEW_YORK, ipAddress: "198.51.100.5" }, strict);
      expect(refused).toMatchObject({
        authenticated: false,
        failureReason: FailureReason.RISK_TOO_HIGH,
        risk: { score: 65, level: RiskLevel.HIGH },
      });
      expect(refused.principal).toBeUndefined();

      const below = await login("denied", at(5), { location: PARIS, ipAddress: "198.51.100.5" }, strict);
      // Still a new network, and Paris is still where the subject last was: the refusal taught nothing.
      expect(below.authenticated).toBe(true);
      expect(below.risk!.signals.map((fired) => RiskSignal[fired.signal])).toEqual(["NEW_NETWORK"]);

      const events = await eventually(async () => {
        const page = await strict.listEvents(ListEventsRequest.fromPartial({ subject: "denied" }));
        return page.events.some((event) => event.type === EventType.SUSPICIOUS_ACTIVITY) ? page.events : undefined;
      });
      expect(events.find((event) => event.eventId === refused.eventId)).toMatchObject({
        type: EventType.TOKEN_AUTH_FAILURE,
        outcome: Outcome.FAILURE,
        failureReason: FailureReason.RISK_TOO_HIGH,
        riskScore: 65,
      });
      expect(events.find((event) => event.type === EventType.SUSPICIOUS_ACTIVITY)).toMatchObject({
        severity: Severity.WARNING,
        outcome: Outcome.FAILURE,
        details: expect.objectContaining({ trigger_event_id: refused.eventId }) as unknown,
      });
    } finally {
      await strict.stop();
    }
  });
});

describe("places from a GeoIP database", () => {
  it("locates addresses the caller did not, and never overrides a place the caller sent", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "warden-geoip-")), "city.mmdb");
    await writeFile(
      file,
      cityDatabase([
        { network: "203.0.113.0/24", country: "FR", ...PARIS },
        { network: "198.51.100.0/24", country: "US", ...NEW_YORK },
      ]),
    );
    const located = await startTestWarden({ ...env(), WARDEN_GEOIP_FILE: file }, { now });
    try {
      for (const subject of ["geo-a", "geo-b"]) {
        for (let day = 0; day < 5; day += 1) await login(subject, at(day), {}, located);
      }
      const travelled = await login("geo-a", at(4, 1), { ipAddress: "198.51.100.9" }, located);
      expect(signals(travelled)).toEqual(["NEW_NETWORK", "IMPOSSIBLE_TRAVEL"]);
      const stayed = await login("geo-b", at(4, 1), { ipAddress: "198.51.100.9", location: PARIS }, located);
      expect(signals(stayed)).toEqual(["NEW_NETWORK"]);
    } finally {
      await located.stop();
    }
  });
});

describe("GetRiskProfile", () => {
  it("summarises the profile, the current score and recent signals", async () => {
    await routine("profiled", 5, { location: PARIS, country: "FR" });
    await login("profiled", at(4, 1), { location: NEW_YORK, country: "US", ipAddress: "198.51.100.1" });
    clock = at(4, 1, 30);
    const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
    // Authenticate's events are written just after it answers.
    const response = await eventually(async () => {
      const found = await risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject: "profiled" }), {
        metadata: admin,
      });
      // The two reads are separate: wait until both see the events.
      return found.recent.length === 2 && found.currentAssessedAt?.getTime() === at(4, 1).getTime() ? found : undefined;
    });
    risk.close();
    expect(response.profile).toEqual({
      subject: "profiled",
      kind: PrincipalKind.USER,
      firstSeenAt: at(0),
      lastSeenAt: at(4, 1),
      successes: 6,
      recentFailures: 0,
      // One this clock hour, and half of the one in the hour before.
      eventsLastHour: 1.5,
      networks: [
        { value: "198.51.100.0/24", lastSeenAt: at(4, 1) },
        { value: "203.0.113.0/24", lastSeenAt: at(4) },
      ],
      userAgents: [{ value: BROWSER, lastSeenAt: at(4, 1) }],
      hourCounts: Array.from({ length: 24 }, (_, hour) => (hour === 9 ? 5 : hour === 10 ? 1 : 0)),
      lastLocation: NEW_YORK,
      lastCountry: "US",
      lastLocatedAt: at(4, 1),
    });
    expect(response.current).toEqual({
      score: 65,
      level: RiskLevel.HIGH,
      signals: [
        { signal: RiskSignal.NEW_NETWORK, points: 15, detail: "" },
        { signal: RiskSignal.IMPOSSIBLE_TRAVEL, points: 50, detail: "" },
      ],
    });
    expect(response.currentAssessedAt).toEqual(at(4, 1));
    // Same instant: their order is the event ids'.
    expect(response.recent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          occurredAt: at(4, 1),
          type: EventType.TOKEN_AUTH_SUCCESS,
          riskScore: 65,
          riskSignals: [RiskSignal.NEW_NETWORK, RiskSignal.IMPOSSIBLE_TRAVEL],
        }),
        expect.objectContaining({ type: EventType.SUSPICIOUS_ACTIVITY, riskScore: 65 }),
      ]),
    );
  });

  it("checks scope and input: UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, NOT_FOUND", async () => {
    const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
    const ask = (request: Partial<GetRiskProfileRequest>, metadata?: Metadata) =>
      callError(risk.getRiskProfile(GetRiskProfileRequest.fromPartial(request), metadata ? { metadata } : {}));
    const reader = bearer(await createTokenWithCli(t.warden.databaseUrl, "not-a-risk-reader", "events:read"));

    expect((await ask({ subject: "x" })).code).toBe(status.UNAUTHENTICATED);
    const denied = await ask({ subject: "x" }, reader);
    expect([denied.code, denied.details]).toEqual([status.PERMISSION_DENIED, "missing scope risk:read"]);
    const empty = await ask({ subject: "" }, admin);
    expect([empty.code, empty.details]).toEqual([status.INVALID_ARGUMENT, "subject: required"]);
    const tooMany = await ask({ subject: "x", recentLimit: 101 }, admin);
    expect([tooMany.code, tooMany.details]).toEqual([status.INVALID_ARGUMENT, "recent_limit: at most 100"]);
    expect((await ask({ subject: "nobody-ever" }, admin)).code).toBe(status.NOT_FOUND);
    risk.close();
  });

  it("refuses a subject no event could carry with INVALID_ARGUMENT, before PostgreSQL sees it", async () => {
    const risk = riskClient(`127.0.0.1:${t.warden.grpcPort}`);
    const ask = (subject: string) =>
      callError(risk.getRiskProfile(GetRiskProfileRequest.fromPartial({ subject }), { metadata: admin }));
    const nul = await ask("alice\u0000");
    expect([nul.code, nul.details]).toEqual([status.INVALID_ARGUMENT, "subject: contains a NUL character"]);
    const long = await ask("s".repeat(257));
    expect([long.code, long.details]).toEqual([status.INVALID_ARGUMENT, "subject: longer than 256 characters"]);
    expect((await ask("s".repeat(256))).code).toBe(status.NOT_FOUND);
    risk.close();
  });
});

describe("risk observations, committed without waiting for the disk", () => {
  it("turn synchronous_commit off for their own transaction only", async () => {
    await withWardenConnection(async (client) => {
      const mode = async () =>
        (await client.query("SHOW synchronous_commit")).rows[0] as { synchronous_commit: string };
      const none: never[] = [];
      // Whatever the server's default, the statement turns it off, and only until its transaction ends.
      await client.query("SET synchronous_commit = on");
      await client.query("BEGIN");
      await observeRiskSubjects.run(
        {
          subjects: none,
          kinds: none,
          firstAts: none,
          successes: none,
          failuresAfter: none,
          lastSuccessAts: none,
          lastFailureAts: none,
          hourCounts: none,
          velocityHours: none,
          velocityCurrent: none,
          velocityPrevious: none,
          networks: none,
          userAgents: none,
          latitudes: none,
          longitudes: none,
          locatedAts: none,
          countries: none,
          countryAts: none,
          keepNetworks: 64,
          keepUserAgents: 32,
        },
        client,
      );
      expect(await mode()).toEqual({ synchronous_commit: "off" });
      await client.query("COMMIT");
      expect(await mode()).toEqual({ synchronous_commit: "on" });
    });
  });
});

describe("reading risk profiles in a young database", () => {
  it("looks each subject up by key after the table outgrew the plan its first reads were given", async () => {
    await withWardenConnection(async (client) => {
      const read = () => getRiskProfiles.run({ subjects: ["flood-1", "flood-2", "flood-3", "nobody"] }, client);
      await client.query(`
        ALTER TABLE risk_profiles SET (autovacuum_enabled = false);
        INSERT INTO risk_profiles (subject, kind, first_seen_at) SELECT 'seed-' || i, 'USER', now() FROM generate_series(1, 3) AS i;
        ANALYZE risk_profiles;`);
      // A new deployment's first reads, while the table is small ...
      for (let i = 0; i < 6; i += 1) await read();
      // ... then a flood of new subjects, before autovacuum analyzes the table again.
      await client.query(`
        INSERT INTO risk_profiles (subject, kind, first_seen_at)
        SELECT 'flood-' || i, 'USER', now() FROM generate_series(1, 15000) AS i`);
      let profiles: { subject: string }[] = [];
      const readRows = await rowsRead(client, "risk_profiles", "risk_profiles_pkey", async () => {
        profiles = await read();
      });
      expect(profiles.map((p) => p.subject).sort()).toEqual(["flood-1", "flood-2", "flood-3"]);
      // A few rows per subject; the generic plan scanned all 15,003.
      expect(readRows).toBeLessThan(20);
    });
  });
});
