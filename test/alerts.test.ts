import { status, type Metadata } from "@grpc/grpc-js";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, type Environment } from "../src/config.js";
import { loadRules } from "../src/alerts/rules.js";
import {
  AcknowledgeAlertRequest,
  AlertChangeKind,
  AlertSeverity,
  AlertState,
  DeliveryState,
  GetAlertRequest,
  ListAlertsRequest,
  ResolveAlertRequest,
  WatchAlertsRequest,
  type Alert,
  type WatchAlertsResponse,
} from "../src/gen/warden/v1/alert_service.js";
import { LogEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import {
  AuthenticationEvent,
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
} from "../src/gen/warden/v1/event.js";
import { RevokeAllServiceTokensRequest } from "../src/gen/warden/v1/token_service.js";
import { createTestDatabase } from "./support/database.js";
import { freePort } from "./support/own-postgres.js";
import {
  alertClient,
  bearer,
  callError,
  createTokenWithCli,
  forgetReporter,
  eventually,
  startReplica,
  startTestWarden,
  tokenClient,
  type AuthClient,
  type TestWarden,
} from "./support/warden.js";

const SECRET = "test-webhook-secret-0123456789";
const MINUTE = 60_000;

/** A webhook endpoint that checks every delivery's signature, as a real receiver would. */
class Receiver {
  deliveries: { headers: IncomingHttpHeaders; body: string; at: number; signatureValid: boolean }[] = [];
  /** Responses to give before answering 200, e.g. [[503, "1"]] (status, Retry-After). */
  failFirst: [number, string | undefined][] = [];
  /**
   * Only deliveries whose body contains this get the failures: an alert an
   * earlier test raised may still be on its way, and must not take them.
   */
  failOnly = "";
  private server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks/warden`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        this.deliveries.push({
          headers: request.headers,
          body,
          at: Date.now(),
          signatureValid: verify(String(request.headers["x-warden-signature"]), body),
        });
        const failure = body.includes(this.failOnly) ? this.failFirst.shift() : undefined;
        if (failure === undefined) response.writeHead(200).end();
        else response.writeHead(failure[0], failure[1] === undefined ? {} : { "retry-after": failure[1] }).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** What a receiver does: recompute the HMAC over "<t>.<body>", compare in constant time, refuse stale timestamps. */
function verify(header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(",").map((part) => part.split("=") as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

let receiver: Receiver;
let t: TestWarden;
let admin: Metadata;
let alerts: ReturnType<typeof alertClient>;

const env = (webhookUrl: string): Environment => ({
  WARDEN_ALERT_EVALUATE_MS: "100",
  WARDEN_ALERT_DELIVERY_POLL_MS: "100",
  WARDEN_ALERT_WEBHOOK_URL: webhookUrl,
  WARDEN_ALERT_WEBHOOK_SECRET: SECRET,
  // Only the events the tests report.
  WARDEN_LOCKOUT_ENABLED: "false",
  WARDEN_RISK_ENABLED: "false",
});

beforeAll(async () => {
  receiver = await new Receiver().start();
  t = await startTestWarden(env(receiver.url));
  admin = bearer(await createTokenWithCli(t.warden.databaseUrl, "alert-admin", "alerts:read,alerts:write"));
  alerts = alertClient(`127.0.0.1:${t.warden.grpcPort}`);
});
afterAll(async () => {
  alerts.close();
  await t.stop();
  await receiver.stop();
});

interface Reported {
  type: EventType;
  subject?: string;
  ip?: string;
  kind?: PrincipalKind;
  tokenId?: string;
  source?: string;
  severity?: Severity;
  details?: Record<string, string>;
  /** Minutes before now. */
  ago?: number;
}

function event(r: Reported): AuthenticationEvent {
  return AuthenticationEvent.fromPartial({
    type: r.type,
    outcome: r.type === EventType.TOKEN_AUTH_FAILURE ? Outcome.FAILURE : Outcome.SUCCESS,
    severity: r.severity ?? Severity.INFO,
    occurredAt: new Date(Date.now() - (r.ago ?? 0) * MINUTE),
    principal:
      r.subject === undefined && r.tokenId === undefined
        ? undefined
        : { subject: r.subject ?? r.tokenId ?? "", kind: r.kind ?? PrincipalKind.USER, tokenId: r.tokenId ?? "" },
    client: r.ip === undefined ? undefined : { ipAddress: r.ip },
    sourceService: r.source ?? "",
    details: r.details ?? {},
  });
}

const report = (reported: Reported[], client: AuthClient = t.client) =>
  client.logEvents(LogEventsRequest.fromPartial({ events: reported.map(event) }));

async function alertsOf(rule: string, group?: string): Promise<Alert[]> {
  const page = await alerts.listAlerts(ListAlertsRequest.fromPartial({ rule, pageSize: 1000 }), { metadata: admin });
  return page.alerts.filter((alert) => group === undefined || alert.group === group);
}

const raised = (rule: string, group: string) =>
  eventually(async () => {
    const found = await alertsOf(rule, group);
    return found.length > 0 ? found : undefined;
  });

let markers = 0;
/** Waits until everything reported so far has been evaluated: rules see events in commit order. */
async function evaluated(): Promise<void> {
  markers += 1;
  const subject = `marker-${markers}`;
  await report([{ type: EventType.ACCOUNT_LOCKED, subject }]);
  await raised("account-locked", `subject:${subject}`);
}

const repeat = (times: number, r: Reported): Reported[] => Array.from({ length: times }, () => r);

describe("default rules", () => {
  const cases: {
    rule: string;
    severity: AlertSeverity;
    fires: Reported[];
    group: string;
    nearMiss: Reported[];
    missGroup: string;
  }[] = [
    {
      rule: "brute-force",
      severity: AlertSeverity.HIGH,
      fires: [{ type: EventType.BRUTE_FORCE_DETECTED, ip: "198.51.100.7" }],
      group: "ip:198.51.100.7",
      nearMiss: [{ type: EventType.LOGIN_FAILURE, ip: "198.51.100.8" }],
      missGroup: "ip:198.51.100.8",
    },
    {
      rule: "account-locked",
      severity: AlertSeverity.MEDIUM,
      fires: [{ type: EventType.ACCOUNT_LOCKED, subject: "locked-1" }],
      group: "subject:locked-1",
      nearMiss: [{ type: EventType.ACCOUNT_UNLOCKED, subject: "locked-2" }],
      missGroup: "subject:locked-2",
    },
    {
      rule: "suspicious-activity",
      severity: AlertSeverity.MEDIUM,
      fires: [{ type: EventType.SUSPICIOUS_ACTIVITY, subject: "sus-1", severity: Severity.WARNING }],
      group: "subject:sus-1",
      nearMiss: [{ type: EventType.SUSPICIOUS_ACTIVITY, subject: "sus-2", severity: Severity.INFO }],
      missGroup: "subject:sus-2",
    },
    {
      rule: "suspicious-activity-critical",
      severity: AlertSeverity.HIGH,
      fires: [{ type: EventType.SUSPICIOUS_ACTIVITY, subject: "sus-3", severity: Severity.CRITICAL }],
      group: "subject:sus-3",
      nearMiss: [{ type: EventType.SUSPICIOUS_ACTIVITY, subject: "sus-4", severity: Severity.WARNING }],
      missGroup: "subject:sus-4",
    },
    {
      rule: "service-token-failures",
      severity: AlertSeverity.HIGH,
      fires: repeat(10, { type: EventType.TOKEN_AUTH_FAILURE, kind: PrincipalKind.SERVICE_TOKEN, tokenId: "tok-1" }),
      group: "token:tok-1",
      nearMiss: [
        ...repeat(5, {
          type: EventType.TOKEN_AUTH_FAILURE,
          kind: PrincipalKind.SERVICE_TOKEN,
          tokenId: "tok-2",
          ago: 8,
        }),
        ...repeat(5, { type: EventType.TOKEN_AUTH_FAILURE, kind: PrincipalKind.SERVICE_TOKEN, tokenId: "tok-2" }),
      ],
      missGroup: "token:tok-2",
    },
    {
      rule: "system-errors",
      severity: AlertSeverity.HIGH,
      fires: repeat(5, { type: EventType.SYSTEM_ERROR, source: "billing-api" }),
      group: "source:billing-api",
      nearMiss: repeat(4, { type: EventType.SYSTEM_ERROR, source: "search-api" }),
      missGroup: "source:search-api",
    },
    {
      rule: "escalation",
      severity: AlertSeverity.CRITICAL,
      fires: [
        { type: EventType.ACCOUNT_LOCKED, subject: "target-1" },
        { type: EventType.SUSPICIOUS_ACTIVITY, subject: "target-1", severity: Severity.WARNING },
        { type: EventType.SUSPICIOUS_ACTIVITY, subject: "target-1", severity: Severity.CRITICAL },
      ],
      group: "subject:target-1",
      nearMiss: [
        { type: EventType.ACCOUNT_LOCKED, subject: "target-2" },
        { type: EventType.SUSPICIOUS_ACTIVITY, subject: "target-2", severity: Severity.WARNING },
      ],
      missGroup: "subject:target-2",
    },
  ];

  it("each fires on its sequence, and not on a near miss", async () => {
    for (const c of cases) await report(c.nearMiss);
    await evaluated();
    for (const c of cases) expect(await alertsOf(c.rule, c.missGroup), c.rule).toEqual([]);

    for (const c of cases) await report(c.fires);
    for (const c of cases) {
      const [alert] = await raised(c.rule, c.group);
      expect(alert, c.rule).toMatchObject({ severity: c.severity, state: AlertState.OPEN, count: 1 });
    }
  });

  it("raises CRITICAL on an emergency revocation of every service token, not on an ordinary revocation", async () => {
    const tokens = tokenClient(`127.0.0.1:${t.warden.grpcPort}`);
    const writer = bearer(await createTokenWithCli(t.warden.databaseUrl, "revoker", "tokens:write"));
    await report([{ type: EventType.SERVICE_TOKEN_REVOKED, details: { reason: "rotated by hand" } }]);
    await evaluated();
    expect(await alertsOf("emergency-token-revocation")).toEqual([]);

    const { revokedCount } = await tokens.revokeAllServiceTokens(
      RevokeAllServiceTokensRequest.fromPartial({ confirmation: "REVOKE ALL SERVICE TOKENS", reason: "leak" }),
      { metadata: writer },
    );
    tokens.close();
    // The admin token was revoked too, and the token the tests report with.
    admin = bearer(await createTokenWithCli(t.warden.databaseUrl, "alert-admin-2", "alerts:read,alerts:write"));
    forgetReporter(t.db.url);
    const [alert] = await raised("emergency-token-revocation", "all");
    // One alert for the whole emergency: each token's revocation repeats it.
    expect(alert).toMatchObject({ severity: AlertSeverity.CRITICAL });
    await eventually(async () =>
      (await alertsOf("emergency-token-revocation"))[0]!.count === revokedCount ? true : undefined,
    );
  });
});

describe("rules files", () => {
  const rulesFile = async (rules: unknown) => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "warden-rules-")), "rules.json");
    await writeFile(file, JSON.stringify(rules));
    return file;
  };

  it("names every bad rule at start-up", async () => {
    const file = await rulesFile({
      rules: [
        { name: "ok", match: { type: ["LOGIN_FAILURE"] }, group_by: "subject", threshold: 3, severity: "LOW" },
        { name: "Bad Name", match: { type: ["LOGIN_FAILURE"] }, group_by: "subject", severity: "LOW" },
        { name: "no-such-type", match: { type: ["LOGIN_FAILED"] }, group_by: "subject", severity: "LOW" },
        { name: "no-match", match: {}, group_by: "planet", threshold: 0, severity: "URGENT" },
        { name: "ok", match: { outcome: ["FAILURE"] }, group_by: "ip", severity: "LOW", surprise: true },
      ],
    });
    const problems = await loadRules(file).then(
      () => [],
      (error: unknown) => (error instanceof ConfigError ? error.problems : [String(error)]),
    );
    expect(problems).toEqual([
      "WARDEN_ALERT_RULES_FILE: rules[1] (Bad Name).name: lower-case letters, digits and dashes, at most 63",
      expect.stringMatching(/^WARDEN_ALERT_RULES_FILE: rules\[2\] \(no-such-type\)\.match\.type\.0: /),
      expect.stringMatching(/^WARDEN_ALERT_RULES_FILE: rules\[3\] \(no-match\)\.match: match at least one field/),
      expect.stringMatching(/^WARDEN_ALERT_RULES_FILE: rules\[3\] \(no-match\)\.group_by: /),
      expect.stringMatching(/^WARDEN_ALERT_RULES_FILE: rules\[3\] \(no-match\)\.threshold: /),
      expect.stringMatching(/^WARDEN_ALERT_RULES_FILE: rules\[3\] \(no-match\)\.severity: /),
      expect.stringMatching(/^WARDEN_ALERT_RULES_FILE: rules\[4\] \(ok\): Unrecognized key: "surprise"/),
    ]);
    const notJson = path.join(path.dirname(file), "broken.json");
    await writeFile(notJson, "{ rules: ");
    await expect(loadRules(notJson)).rejects.toThrow(/WARDEN_ALERT_RULES_FILE: .*broken\.json/);
  });

  it("replaces the default rules with a file's", async () => {
    const db = await createTestDatabase();
    const file = await rulesFile({
      rules: [
        {
          name: "password-spray",
          match: { type: ["LOGIN_FAILURE"], failure_reason: ["INVALID_PASSWORD"] },
          group_by: "ip",
          threshold: 3,
          window_seconds: 60,
          severity: "HIGH",
        },
      ],
    });
    const custom = await startTestWarden({ ...env(receiver.url), WARDEN_ALERT_RULES_FILE: file }, {}, db);
    try {
      const spray = AuthenticationEvent.fromPartial({
        type: EventType.LOGIN_FAILURE,
        outcome: Outcome.FAILURE,
        failureReason: FailureReason.INVALID_PASSWORD,
        client: { ipAddress: "198.51.100.99" },
      });
      await custom.client.logEvents(
        LogEventsRequest.fromPartial({
          events: [
            ...["a", "b", "c"].map((subject) => ({ ...spray, principal: { subject, kind: PrincipalKind.USER } })),
            { type: EventType.BRUTE_FORCE_DETECTED, outcome: Outcome.SUCCESS, client: { ipAddress: "198.51.100.99" } },
          ],
        }),
      );
      const token = bearer(await createTokenWithCli(db.url, "custom-admin", "alerts:read"));
      const client = alertClient(`127.0.0.1:${custom.warden.grpcPort}`);
      const found = await eventually(async () => {
        const page = await client.listAlerts(ListAlertsRequest.fromPartial({}), { metadata: token });
        return page.alerts.length > 0 ? page.alerts : undefined;
      });
      client.close();
      // The default brute-force rule is gone with the file.
      expect(found.map((alert) => [alert.rule, alert.group, alert.severity])).toEqual([
        ["password-spray", "ip:198.51.100.99", AlertSeverity.HIGH],
      ]);
    } finally {
      await custom.stop();
      await db.drop();
    }
  });
});

describe("dedup and cooldown", () => {
  it("repeats the open alert within the cooldown and raises a new one after it", async () => {
    const ip = "203.0.113.50";
    await report([
      { type: EventType.BRUTE_FORCE_DETECTED, ip, ago: 60 },
      { type: EventType.BRUTE_FORCE_DETECTED, ip, ago: 50 },
    ]);
    await eventually(async () => ((await alertsOf("brute-force", `ip:${ip}`))[0]?.count === 2 ? true : undefined));
    // 15 minutes (the default cooldown) after the last one, it is a new alert.
    await report([{ type: EventType.BRUTE_FORCE_DETECTED, ip, ago: 34 }]);
    const both = await eventually(async () => {
      const found = await alertsOf("brute-force", `ip:${ip}`);
      return found.length === 2 ? found : undefined;
    });
    expect(both.map((alert) => alert.count)).toEqual([1, 2]);
    expect(both[0]!.fingerprint).toBe(both[1]!.fingerprint);
  });

  it("decides raises and repeats in event order when one run fires many, an alert raised in the run repeating too", async () => {
    const [x, y] = ["203.0.113.51", "203.0.113.52"];
    // One batch, so one run: x raises, repeats, raises again past the cooldown and repeats that; y raises between.
    await report([
      { type: EventType.BRUTE_FORCE_DETECTED, ip: x, ago: 30 },
      { type: EventType.BRUTE_FORCE_DETECTED, ip: x, ago: 60 },
      { type: EventType.BRUTE_FORCE_DETECTED, ip: y, ago: 40 },
      { type: EventType.BRUTE_FORCE_DETECTED, ip: x, ago: 34 },
      { type: EventType.BRUTE_FORCE_DETECTED, ip: x, ago: 50 },
    ]);
    await evaluated();
    // Both raised by one run: equal created_at, so listed in no particular order.
    const ofX = (await alertsOf("brute-force", `ip:${x}`)).sort(
      (a, b) => a.firstSeenAt!.getTime() - b.firstSeenAt!.getTime(),
    );
    const minutesAgo = (at: Date | undefined) => Math.round((Date.now() - at!.getTime()) / MINUTE);
    expect(ofX.map((alert) => [alert.count, minutesAgo(alert.firstSeenAt), minutesAgo(alert.lastSeenAt)])).toEqual([
      [2, 60, 50],
      [2, 34, 30],
    ]);
    expect((await alertsOf("brute-force", `ip:${y}`)).map((alert) => alert.count)).toEqual([1]);
    const changes = await t.db.query<{ group_key: string; kind: string }>(
      `SELECT a.group_key, c.kind FROM alert_changes c JOIN alerts a USING (alert_id)
       WHERE a.group_key = ANY ($1) ORDER BY c.seq`,
      [[`ip:${x}`, `ip:${y}`]],
    );
    expect(changes.map((c) => `${c.group_key.slice(-2)} ${c.kind}`)).toEqual([
      "51 RAISED",
      "51 REPEATED",
      "52 RAISED",
      "51 RAISED",
      "51 REPEATED",
    ]);
  });

  it("logs each raise, and an alert's repeats in one run as a single line with their count", async () => {
    const lines: { msg: string; repeats?: number; alert?: { group: string; kind: string } }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line) as never);
        done();
      },
    });
    // A replica of its own (no webhook), so that no other replica's evaluator takes this run.
    const own = await startTestWarden(
      { WARDEN_ALERT_EVALUATE_MS: "100", WARDEN_LOCKOUT_ENABLED: "false", WARDEN_RISK_ENABLED: "false" },
      {},
      undefined,
      pino({ level: "warn" }, sink),
    );
    try {
      const ip = "203.0.113.61";
      await report(repeat(6, { type: EventType.BRUTE_FORCE_DETECTED, ip }), own.client);
      // One batch is one run, whose lines are written together once it commits.
      const logged = await eventually(() => {
        const mine = lines.filter((line) => line.alert?.group === `ip:${ip}`);
        return mine.length > 0 ? mine : undefined;
      });
      expect(logged.map((line) => [line.msg, line.alert!.kind, line.repeats])).toEqual([
        ["alert raised", "RAISED", undefined],
        ["alert repeated", "REPEATED", 5],
      ]);
    } finally {
      await own.stop();
    }
  });

  it("counts threshold rules within their window only", async () => {
    const stale = repeat(6, { type: EventType.SYSTEM_ERROR, source: "slow-api", ago: 20 });
    const fresh = repeat(4, { type: EventType.SYSTEM_ERROR, source: "slow-api" });
    await report([...stale.slice(0, 4), ...fresh]);
    await evaluated();
    expect(await alertsOf("system-errors", "source:slow-api")).toEqual([]);
    await report([{ type: EventType.SYSTEM_ERROR, source: "slow-api" }]);
    await raised("system-errors", "source:slow-api");
  });
});

describe("lifecycle", () => {
  it("goes open → acknowledged → resolved, recording who, when and why", async () => {
    await report([{ type: EventType.ACCOUNT_LOCKED, subject: "lifecycle-1" }]);
    const [alert] = await raised("account-locked", "subject:lifecycle-1");
    const id = alert!.alertId;

    const acknowledged = await alerts.acknowledgeAlert(
      AcknowledgeAlertRequest.fromPartial({ alertId: id, note: "looking into it" }),
      { metadata: admin },
    );
    expect(acknowledged.alert).toMatchObject({
      state: AlertState.ACKNOWLEDGED,
      acknowledgedBy: "service_token:alert-admin-2",
      acknowledgeNote: "looking into it",
    });
    expect(acknowledged.alert!.acknowledgedAt).toBeInstanceOf(Date);
    const again = await callError(
      alerts.acknowledgeAlert(AcknowledgeAlertRequest.fromPartial({ alertId: id, note: "again" }), { metadata: admin }),
    );
    expect(again.code).toBe(status.FAILED_PRECONDITION);

    const resolved = await alerts.resolveAlert(
      ResolveAlertRequest.fromPartial({ alertId: id, note: "user confirmed" }),
      {
        metadata: admin,
      },
    );
    expect(resolved.alert).toMatchObject({ state: AlertState.RESOLVED, resolveNote: "user confirmed" });
    expect(
      (
        await callError(
          alerts.resolveAlert(ResolveAlertRequest.fromPartial({ alertId: id, note: "x" }), { metadata: admin }),
        )
      ).code,
    ).toBe(status.FAILED_PRECONDITION);

    // Each step is in the audit trail, written with the change.
    const audited = await t.db.query<{ action: string; actor: string; before: unknown; after: unknown }>(
      "SELECT action, actor, before, after FROM audit_records WHERE target = $1 ORDER BY seq",
      [`alert:${id}`],
    );
    expect(audited).toEqual([
      {
        action: "alert.acknowledge",
        actor: "service_token:alert-admin-2",
        before: { state: "OPEN" },
        after: { state: "ACKNOWLEDGED", note: "looking into it" },
      },
      {
        action: "alert.resolve",
        actor: "service_token:alert-admin-2",
        before: { state: "ACKNOWLEDGED" },
        after: { state: "RESOLVED", note: "user confirmed" },
      },
    ]);

    // A resolved alert is not repeated: the next firing raises a new one.
    await report([{ type: EventType.ACCOUNT_LOCKED, subject: "lifecycle-1" }]);
    await eventually(async () =>
      (await alertsOf("account-locked", "subject:lifecycle-1")).length === 2 ? true : undefined,
    );
  });

  it("checks scopes and input", async () => {
    const reader = bearer(await createTokenWithCli(t.warden.databaseUrl, "alert-reader", "alerts:read"));
    const [alert] = await raised("account-locked", "subject:locked-1");
    const ack = (metadata: Metadata | undefined, alertId = alert!.alertId, note = "n") =>
      callError(
        alerts.acknowledgeAlert(AcknowledgeAlertRequest.fromPartial({ alertId, note }), metadata ? { metadata } : {}),
      );
    expect((await ack(undefined)).code).toBe(status.UNAUTHENTICATED);
    const denied = await ack(reader);
    expect([denied.code, denied.details]).toEqual([status.PERMISSION_DENIED, "missing scope alerts:write"]);
    const noNote = await ack(admin, alert!.alertId, " ");
    expect([noNote.code, noNote.details]).toEqual([status.INVALID_ARGUMENT, "note: required: say why"]);
    const badId = await ack(admin, "42");
    expect([badId.code, badId.details]).toEqual([status.INVALID_ARGUMENT, "alert_id: must be a UUID"]);
    const missing = await callError(
      alerts.getAlert(GetAlertRequest.fromPartial({ alertId: "00000000-0000-4000-8000-000000000000" }), {
        metadata: reader,
      }),
    );
    expect(missing.code).toBe(status.NOT_FOUND);
    const badPage = await callError(
      alerts.listAlerts(ListAlertsRequest.fromPartial({ pageToken: "nope" }), { metadata: reader }),
    );
    expect([badPage.code, badPage.details]).toEqual([
      status.INVALID_ARGUMENT,
      "page_token: not a token returned by ListAlerts",
    ]);
  });

  it("refuses text PostgreSQL cannot store with INVALID_ARGUMENT naming the field", async () => {
    const reader = bearer(await createTokenWithCli(t.warden.databaseUrl, "alert-reader-2", "alerts:read"));
    await report([{ type: EventType.ACCOUNT_LOCKED, subject: "bad-text-1" }]);
    const [alert] = await raised("account-locked", "subject:bad-text-1");
    const alertId = alert!.alertId;
    const refused = async (call: Promise<unknown>) => {
      const error = await callError(call);
      return [error.code, error.details];
    };

    const list = (rule: string) => alerts.listAlerts(ListAlertsRequest.fromPartial({ rule }), { metadata: reader });
    expect(await refused(list("account-locked\u0000"))).toEqual([
      status.INVALID_ARGUMENT,
      "rule: contains a NUL character",
    ]);
    expect(await refused(list("r".repeat(64)))).toEqual([status.INVALID_ARGUMENT, "rule: longer than 63 characters"]);
    expect((await list("r".repeat(63))).alerts).toEqual([]);

    const note = "looking\u0000into it";
    expect(
      await refused(
        alerts.acknowledgeAlert(AcknowledgeAlertRequest.fromPartial({ alertId, note }), { metadata: admin }),
      ),
    ).toEqual([status.INVALID_ARGUMENT, "note: contains a NUL character"]);
    expect(
      await refused(alerts.resolveAlert(ResolveAlertRequest.fromPartial({ alertId, note }), { metadata: admin })),
    ).toEqual([status.INVALID_ARGUMENT, "note: contains a NUL character"]);
    const unchanged = await alerts.getAlert(GetAlertRequest.fromPartial({ alertId }), { metadata: reader });
    expect(unchanged.alert!.state).toBe(AlertState.OPEN);
  });

  it("pages with filters", async () => {
    const all: Alert[] = [];
    let pageToken = "";
    do {
      const page = await alerts.listAlerts(ListAlertsRequest.fromPartial({ pageSize: 3, pageToken }), {
        metadata: admin,
      });
      all.push(...page.alerts);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(new Set(all.map((alert) => alert.alertId)).size).toBe(all.length);
    expect(all.length).toBeGreaterThan(6);
    // Small pages miss nothing, even where one evaluator run raised several alerts in the same instant.
    const whole = await alerts.listAlerts(ListAlertsRequest.fromPartial({ pageSize: 1000 }), { metadata: admin });
    expect(all.map((alert) => alert.alertId)).toEqual(whole.alerts.map((alert) => alert.alertId));
    const critical = await alerts.listAlerts(ListAlertsRequest.fromPartial({ minSeverity: AlertSeverity.CRITICAL }), {
      metadata: admin,
    });
    expect(critical.alerts.length).toBeGreaterThan(0);
    expect(critical.alerts.every((alert) => alert.severity === AlertSeverity.CRITICAL)).toBe(true);
  });
});

describe("webhook notifications", () => {
  it("signs each delivery, retries honouring Retry-After, and shows the delivery's status", async () => {
    receiver.failFirst = [[503, "2"]];
    receiver.failOnly = "ip:192.0.2.200";
    const before = receiver.deliveries.length;
    await report([{ type: EventType.BRUTE_FORCE_DETECTED, ip: "192.0.2.200" }]);
    const [alert] = await raised("brute-force", "ip:192.0.2.200");
    const delivered = await eventually(async () => {
      const { alert: found } = await alerts.getAlert(GetAlertRequest.fromPartial({ alertId: alert!.alertId }), {
        metadata: admin,
      });
      return found!.deliveries[0]?.state === DeliveryState.DELIVERED ? found! : undefined;
    }, 10_000);
    expect(delivered.deliveries).toEqual([
      expect.objectContaining({ sink: "webhook", state: DeliveryState.DELIVERED, attempts: 2, lastError: "" }),
    ]);
    const attempts = receiver.deliveries
      .slice(before)
      .filter((d) => d.headers["x-warden-delivery-id"] === delivered.deliveries[0]!.deliveryId);
    expect(attempts).toHaveLength(2);
    expect(attempts.every((d) => d.signatureValid)).toBe(true);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1900);
    const payload = JSON.parse(attempts[1]!.body) as { deliveryId: string; change: string; alert: { alertId: string } };
    expect(payload).toMatchObject({ deliveryId: delivered.deliveries[0]!.deliveryId, change: "RAISED" });
    expect(payload.alert.alertId).toBe(alert!.alertId);
    expect(verify(String(attempts[1]!.headers["x-warden-signature"]), `${attempts[1]!.body} `)).toBe(false);
  });

  it("delivers after a restart what a killed server had queued", async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hooks/warden`;
    const replicaEnv = Object.fromEntries(Object.entries(env(url)).map(([k, v]) => [k, String(v)]));
    const first = await startReplica(db.url, replicaEnv);
    await report([{ type: EventType.BRUTE_FORCE_DETECTED, ip: "192.0.2.201" }], first.client);
    // Queued and tried (nothing listens yet), then the server dies without a chance to clean up.
    await eventually(async () => {
      const [row] = await db.query<{ last_error: string | null }>("SELECT last_error FROM alert_deliveries");
      return row?.last_error ?? undefined;
    });
    first.process.kill("SIGKILL");
    first.client.close();
    await new Promise((resolve) => first.process.once("exit", resolve));

    const late = await new Receiver().start(port);
    const second = await startReplica(db.url, replicaEnv);
    try {
      const delivery = await eventually(() => late.deliveries.find((d) => d.signatureValid), 15_000);
      expect(JSON.parse(delivery.body)).toMatchObject({ alert: { rule: "brute-force", group: "ip:192.0.2.201" } });
      // Recorded just after the receiver answered.
      await eventually(async () => {
        const [row] = await db.query<{ state: string }>("SELECT state FROM alert_deliveries");
        return row?.state === "DELIVERED" ? row : undefined;
      });
    } finally {
      second.process.kill("SIGTERM");
      second.client.close();
      await new Promise((resolve) => second.process.once("exit", resolve));
      await late.stop();
      await db.drop();
    }
  });
});

describe("several replicas", () => {
  it("count each event once, and WatchAlerts on one streams what another raised, resuming from a cursor", async () => {
    const replica = await startReplica(t.warden.databaseUrl, {
      ...Object.fromEntries(Object.entries(env(receiver.url)).map(([k, v]) => [k, String(v)])),
    });
    const watched: WatchAlertsResponse[] = [];
    const watch = (cursor: string) => {
      const stream = alerts.raw.watchAlerts(WatchAlertsRequest.fromPartial({ cursor }), admin);
      stream.on("data", (change: WatchAlertsResponse) => watched.push(change));
      stream.on("error", () => undefined);
      return stream;
    };
    try {
      let stream = watch("");
      await new Promise((resolve) => setTimeout(resolve, 300));

      // 20 failures of one token through two servers: two firings of a threshold-10 rule, one alert.
      const failure: Reported = {
        type: EventType.TOKEN_AUTH_FAILURE,
        kind: PrincipalKind.SERVICE_TOKEN,
        tokenId: "shared-tok",
      };
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => report([failure], i % 2 === 0 ? t.client : replica.client)),
      );
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => report([failure], i % 2 === 0 ? replica.client : t.client)),
      );
      const shared = await eventually(async () => {
        const [found] = await alertsOf("service-token-failures", "token:shared-tok");
        return found?.count === 2 ? found : undefined;
      });
      await evaluated();
      expect((await alertsOf("service-token-failures", "token:shared-tok")).map((a) => a.count)).toEqual([2]);

      // Raised through the other process; streamed by this one.
      const seen = await eventually(() =>
        watched.find((c) => c.alert?.alertId === shared.alertId && c.kind === AlertChangeKind.RAISED),
      );
      expect(watched.some((c) => c.alert?.alertId === shared.alertId && c.kind === AlertChangeKind.REPEATED)).toBe(
        true,
      );

      // Disconnect, miss two alerts, resume from the last cursor: both are replayed.
      stream.cancel();
      const resumeFrom = watched.at(-1)!.cursor;
      watched.length = 0;
      await report([{ type: EventType.ACCOUNT_LOCKED, subject: "missed-1" }], replica.client);
      await report([{ type: EventType.ACCOUNT_LOCKED, subject: "missed-2" }], replica.client);
      await raised("account-locked", "subject:missed-2");
      stream = watch(resumeFrom);
      await eventually(() => (watched.some((c) => c.alert?.group === "subject:missed-2") ? true : undefined));
      expect(watched.filter((c) => c.kind === AlertChangeKind.RAISED).map((c) => c.alert?.group)).toEqual(
        expect.arrayContaining(["subject:missed-1", "subject:missed-2"]),
      );
      expect(watched.map((c) => Number(c.cursor))).toEqual(
        [...watched.map((c) => Number(c.cursor))].sort((a, b) => a - b),
      );
      expect(seen.cursor).not.toBe("");
      stream.cancel();
    } finally {
      replica.process.kill("SIGTERM");
      replica.client.close();
      await new Promise((resolve) => replica.process.once("exit", resolve));
    }
  });
});
