import { once } from "node:events";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, type Pool } from "../src/db/pool.js";
import { status, type ServiceError } from "@grpc/grpc-js";
import {
  AuthenticateRequest,
  CheckLockoutRequest,
  LogEventRequest,
  LogEventsRequest,
} from "../src/gen/warden/v1/auth_service.js";
import { AuthenticationEvent, EventType, FailureReason, Outcome, PrincipalKind } from "../src/gen/warden/v1/event.js";
import { ListServiceTokensRequest } from "../src/gen/warden/v1/token_service.js";
import { ListLockoutsRequest, LockoutKeyKind, UnlockRequest } from "../src/gen/warden/v1/lockout_service.js";
import { lockoutKeys, Lockouts } from "../src/lockout/lockouts.js";
import { RejectedRows } from "../src/ops/metrics.js";
import { countFailures, writeSuccesses } from "../sql/queries/lockouts.queries.js";
import type { LockoutPolicy, LockoutSettings } from "../src/lockout/policy.js";
import { createTestDatabase, rowsRead, withWardenConnection, type TestDatabase } from "./support/database.js";
import { signingKey, signJwt, type SigningKey } from "./support/identity-provider.js";
import {
  bearer,
  callError,
  createTokenWithCli,
  eventually,
  lockoutClient,
  startReplica,
  startTestWarden,
  startTestWardenWithIdentityProvider,
  tokenClient,
  type AuthClient,
  type TestWarden,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

const strict: LockoutPolicy = {
  maxFailures: 5,
  failureResetSeconds: 3600,
  waitIncrementSeconds: 60,
  waitStrategy: "MULTIPLE",
  maxWaitSeconds: 900,
  quickLoginCheckSeconds: 0,
  quickLoginWaitSeconds: 60,
  maxTemporaryLockouts: 0,
};

/** What a service that checks passwords itself reports through LogEvent after a login attempt. */
const reportLogin = (
  client: AuthClient,
  type: EventType.LOGIN_SUCCESS | EventType.LOGIN_FAILURE,
  subject: string,
  ipAddress: string,
) =>
  client.logEvent(
    LogEventRequest.fromPartial({
      event: AuthenticationEvent.fromPartial({
        type,
        outcome: type === EventType.LOGIN_SUCCESS ? Outcome.SUCCESS : Outcome.FAILURE,
        ...(type === EventType.LOGIN_FAILURE ? { failureReason: FailureReason.INVALID_PASSWORD } : {}),
        principal: { subject, kind: PrincipalKind.USER },
        client: { ipAddress },
      }),
    }),
  );

describe("lockout counters in PostgreSQL", () => {
  const settings: LockoutSettings = {
    keys: { SUBJECT: strict, IP: { ...strict, maxFailures: 1000 }, SUBJECT_IP: { ...strict, maxFailures: 1000 } },
    stuffing: { distinctSubjects: 0, windowSeconds: 600, waitSeconds: 3600 },
    familiarDays: 0,
    successLingerMs: 20,
  };
  let db: TestDatabase;
  let pools: Pool[];
  let replicas: Lockouts[];
  let clock = new Date("2026-01-01T00:00:00Z");
  const events: AuthenticationEvent[] = [];
  const sink = { record: (event: AuthenticationEvent) => events.push(event) };
  const advance = (seconds: number) => {
    clock = new Date(clock.getTime() + seconds * 1000);
  };
  const fail = (subject: string, times: number) =>
    Promise.all(
      Array.from({ length: times }, (_, i) => replicas[i % 2]!.countFailure(lockoutKeys(subject, undefined))),
    );
  const counter = async (kind: string, key: string) =>
    (
      await db.query<{ failures: number; lockouts: number }>(
        "SELECT failures, lockouts FROM lockout_counters WHERE key_kind = $1 AND key = $2",
        [kind, key],
      )
    )[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    const log = pino({ level: "silent" });
    pools = [0, 1].map(() =>
      createPool({ url: db.url, max: 10, connectTimeoutMs: 5000, statementTimeoutMs: 5000 }, log),
    );
    replicas = pools.map((pool) => new Lockouts(pool, settings, sink, log, new RejectedRows(), () => clock));
    await Promise.all(replicas.map((r) => r.listening()));
    // No listener here: each replica asks the database rather than waiting for notifications.
    for (const r of replicas) r.lost();
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await db.drop();
  });

  it("loses no failure counted in parallel through two pools", async () => {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => replicas[i % 2]!.countFailure(lockoutKeys("parallel", `192.0.2.${i % 7}`))),
    );
    expect(await counter("IP", "192.0.2.3")).toEqual({ failures: 14, lockouts: 0 });
    expect(await counter("SUBJECT", "parallel")).toMatchObject({ lockouts: 1 });
  });

  it("counts every other failure when the database refuses one key of the batch", async () => {
    // Stands for any refusal validation did not foresee.
    await db.query("ALTER TABLE lockout_counters ADD CONSTRAINT refuse_poison CHECK (key <> 'poison')");
    try {
      await Promise.all([
        ...Array.from({ length: 2 }, () => replicas[0]!.countFailure(lockoutKeys("neighbour", undefined))),
        replicas[0]!.countFailure(lockoutKeys("poison", undefined)),
        ...Array.from({ length: 2 }, () => replicas[0]!.countFailure(lockoutKeys("neighbour", undefined))),
      ]);
      // Below max_failures (5), so the count is still there to read.
      expect(await counter("SUBJECT", "neighbour")).toEqual({ failures: 4, lockouts: 0 });
      expect(await counter("SUBJECT", "poison")).toBeUndefined();
    } finally {
      await db.query("ALTER TABLE lockout_counters DROP CONSTRAINT refuse_poison");
    }
  });

  it("locks after max_failures for a wait that multiplies up to max_wait, and records ACCOUNT_LOCKED", async () => {
    const waits: number[] = [];
    for (let lockout = 0; lockout < 6; lockout += 1) {
      await fail("multiplied", strict.maxFailures);
      const refusal = await replicas[1]!.check(lockoutKeys("multiplied", undefined));
      if (refusal?.until === undefined) throw new Error("expected a timed lockout");
      waits.push((refusal.until.getTime() - clock.getTime()) / 1000);
      advance(waits.at(-1)!);
      expect(await replicas[0]!.check(lockoutKeys("multiplied", undefined))).toBeNull();
    }
    expect(waits).toEqual([60, 120, 240, 480, 900, 900]);
    const locked = events.filter((e) => e.type === EventType.ACCOUNT_LOCKED && e.principal?.subject === "multiplied");
    expect(locked.map((e) => e.details.lockouts)).toEqual(["1", "2", "3", "4", "5", "6"]);
  });

  it("forgets failures older than the reset time", async () => {
    await fail("reset", strict.maxFailures - 1);
    advance(strict.failureResetSeconds + 1);
    await fail("reset", strict.maxFailures - 1);
    expect(await counter("SUBJECT", "reset")).toEqual({ failures: strict.maxFailures - 1, lockouts: 0 });
  });
});

describe("counting failures on a counters table that outgrew its statistics", () => {
  it("looks each key up by its whole primary key, not every counter of its kind", async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // Statistics taken while the table held a few rows, then 5,000 counters per kind, as a flood of reported
      // failures leaves them before autovacuum looks again: the planner's picture of a young, busy table.
      await client.query("ALTER TABLE lockout_counters SET (autovacuum_enabled = false)");
      await client.query(`
        INSERT INTO lockout_policies
        SELECT kind, 5, '1 hour', '1 minute', 'MULTIPLE', '15 minutes', '0', '1 minute', 0
        FROM unnest(enum_range(NULL::lockout_key_kind)) AS kind`);
      await client.query(`
        INSERT INTO lockout_counters (key_kind, key)
        SELECT kind, 'seed-' || i FROM unnest(enum_range(NULL::lockout_key_kind)) AS kind, generate_series(1, 3) AS i`);
      await client.query("ANALYZE lockout_counters");
      await client.query(`
        INSERT INTO lockout_counters (key_kind, key)
        SELECT kind, 'flood-' || i FROM unnest(enum_range(NULL::lockout_key_kind)) AS kind, generate_series(1, 5000) AS i`);
      const keys = [1, 2, 3, 4].flatMap((i) => lockoutKeys(`flood-${i}`, `198.51.100.${i}`));
      let counted: unknown[] = [];
      const read = await rowsRead(client, "lockout_counters", "lockout_counters_pkey", async () => {
        counted = await countFailures.run(
          {
            kinds: keys.map((k) => k.kind),
            keys: keys.map((k) => k.key),
            now: new Date(),
            settles: false,
            ips: [],
            subjects: [],
            windowSeconds: 600,
            threshold: 0,
            waitSeconds: 3600,
          },
          client,
        );
      });
      expect(counted).toHaveLength(keys.length);
      // A few rows per key (create, lock, count, update); a scan by key kind reads thousands.
      expect(read).toBeLessThan(10 * keys.length);
    } finally {
      await client.end();
      await db.drop();
    }
  });
});

describe("forgetting successful logins' failures in a young database", () => {
  it("looks each key up by key after the counters outgrew the plan the first logins were given", async () => {
    await withWardenConnection(async (client) => {
      const keys = [1, 2, 3, 4].flatMap((i) => lockoutKeys(`flood-${i}`, `198.51.100.${i}`));
      const forget = () =>
        writeSuccesses.run(
          { kinds: keys.map((k) => k.kind), keys: keys.map((k) => k.key), subjects: [], ips: [], now: new Date() },
          client,
        );
      await client.query(`
        ALTER TABLE lockout_counters SET (autovacuum_enabled = false);
        INSERT INTO lockout_counters (key_kind, key)
        SELECT kind, 'seed-' || i FROM unnest(enum_range(NULL::lockout_key_kind)) AS kind, generate_series(1, 3) AS i;
        ANALYZE lockout_counters;`);
      // A new deployment's first logins, while the table is small ...
      for (let i = 0; i < 6; i += 1) await forget();
      // ... then a flood of failures, before autovacuum analyzes the table again.
      await client.query(`
        INSERT INTO lockout_counters (key_kind, key, failures, last_failure_at)
        SELECT kind, 'flood-' || i, 1, now()
        FROM unnest(enum_range(NULL::lockout_key_kind)) AS kind, generate_series(1, 5000) AS i`);
      let written: { forgotten: number } | undefined;
      const read = await rowsRead(client, "lockout_counters", "lockout_counters_pkey", async () => {
        [written] = await forget();
      });
      // The four subjects' failures: the flood holds no counters for these addresses or pairs.
      expect(written?.forgotten).toBe(4);
      // A few rows per key; the generic plan read every counter.
      expect(read).toBeLessThan(10 * keys.length);
    });
  });
});

describe("successes' forgets and networks, committed without waiting for the disk", () => {
  it("turn synchronous_commit off for their own transaction only", async () => {
    await withWardenConnection(async (client) => {
      const mode = async () =>
        (await client.query("SHOW synchronous_commit")).rows[0] as { synchronous_commit: string };
      // Whatever the server's default, the statement turns it off, and only until its transaction ends.
      await client.query("SET synchronous_commit = on");
      await client.query("BEGIN");
      await writeSuccesses.run({ kinds: [], keys: [], subjects: [], ips: [], now: new Date() }, client);
      expect(await mode()).toEqual({ synchronous_commit: "off" });
      await client.query("COMMIT");
      expect(await mode()).toEqual({ synchronous_commit: "on" });
    });
  });
});

describe("quick-login check", () => {
  let db: TestDatabase;
  let pool: Pool;
  let lockouts: Lockouts;
  let clock = new Date("2026-01-01T00:00:00Z");
  beforeAll(async () => {
    db = await createTestDatabase();
    const log = pino({ level: "silent" });
    pool = createPool({ url: db.url, max: 2, connectTimeoutMs: 5000, statementTimeoutMs: 5000 }, log);
    const quick = { ...strict, maxFailures: 100, quickLoginCheckSeconds: 1, quickLoginWaitSeconds: 60 };
    lockouts = new Lockouts(
      pool,
      {
        keys: { SUBJECT: quick, IP: quick, SUBJECT_IP: quick },
        stuffing: { distinctSubjects: 0, windowSeconds: 1, waitSeconds: 1 },
        familiarDays: 0,
        successLingerMs: 20,
      },
      { record: () => undefined },
      log,
      new RejectedRows(),
      () => clock,
    );
    await lockouts.listening();
    lockouts.lost();
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it("locks for the quick-login wait after two failures closer than the check, and not when they are further apart", async () => {
    const keys = lockoutKeys("quick", undefined);
    const at = (ms: number) => {
      clock = new Date(Date.parse("2026-01-01T00:00:00Z") + ms);
    };
    at(0);
    await lockouts.countFailure(keys);
    at(2000);
    await lockouts.countFailure(keys);
    expect(await lockouts.check(keys)).toBeNull();
    at(2500);
    await lockouts.countFailure(keys);
    const refusal = await lockouts.check(keys);
    expect(refusal?.until?.getTime()).toBe(clock.getTime() + 60_000);
  });
});

describe("Authenticate with lockout", () => {
  let key: SigningKey;
  let forger: SigningKey;
  let t: TestWardenWithIdentityProvider;
  const lockoutEnv = {
    WARDEN_LOCKOUT_SUBJECT: "max_failures=10,wait_increment=60,wait_strategy=linear",
    WARDEN_LOCKOUT_SUBJECT_IP: "max_failures=3,wait_increment=1,wait_strategy=linear,max_temporary_lockouts=1",
  };

  beforeAll(async () => {
    t = await startTestWardenWithIdentityProvider(lockoutEnv);
    key = t.key;
    forger = await signingKey("ES256", key.kid);
  });
  afterAll(() => t.stop());

  const attempt = (client: AuthClient, credential: string, ipAddress: string) =>
    client.authenticate(AuthenticateRequest.fromPartial({ credential, client: { ipAddress } }));
  const reasons = (responses: { authenticated: boolean; failureReason: FailureReason }[]) =>
    responses.map((r) => (r.authenticated ? "OK" : FailureReason[r.failureReason]));

  /** Polls until `credential` from `ip` is refused as locked out; failures are counted just after they are answered. */
  const lockedOut = (client: AuthClient, credential: string, ip: string) =>
    eventually(async () => {
      const answer = await attempt(client, credential, ip);
      return !answer.authenticated && answer.failureReason === FailureReason.ACCOUNT_LOCKED ? answer : undefined;
    });

  it("refuses a subject locked from one address before checking its credential, and lets it in from another", async () => {
    const misaddressed = await signJwt(key, { sub: "carol", aud: "another-service" });
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await attempt(t.client, misaddressed, "198.51.100.7"));
    expect(reasons(answers)).toEqual(["WRONG_AUDIENCE", "WRONG_AUDIENCE", "WRONG_AUDIENCE"]);
    const refused = await lockedOut(t.client, await signJwt(key, { sub: "carol" }), "198.51.100.7");
    expect(FailureReason[refused.failureReason]).toBe("ACCOUNT_LOCKED");
    expect(refused.retryAfter!.getTime()).toBeGreaterThan(Date.now() - 100);
    expect((await attempt(t.client, await signJwt(key, { sub: "carol" }), "203.0.113.99")).authenticated).toBe(true);
    const [locked] = await eventually(async () => {
      const rows = await t.db.query<{ subject: string; details: Record<string, string> }>(
        "SELECT subject, details FROM security_events WHERE type = 'ACCOUNT_LOCKED' AND subject = 'carol'",
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(locked!.details).toMatchObject({ key_kind: "SUBJECT_IP", permanent: "false", lockouts: "1" });
  });

  it("keeps counting a subject's failures when forged tokens naming a NUL subject arrive with them", async () => {
    const misaddressed = await signJwt(key, { sub: "gina", aud: "another-service" });
    const poisoned = await signJwt(forger, { sub: "x\u0000y" });
    const answers = await Promise.all([
      ...Array.from({ length: 3 }, () => attempt(t.client, misaddressed, "198.51.100.9")),
      ...Array.from({ length: 5 }, (_, i) => attempt(t.client, poisoned, `198.51.100.${60 + i}`)),
    ]);
    expect(new Set(reasons(answers))).toEqual(new Set(["WRONG_AUDIENCE", "INVALID_SIGNATURE"]));
    const refused = await lockedOut(t.client, await signJwt(key, { sub: "gina" }), "198.51.100.9");
    expect(FailureReason[refused.failureReason]).toBe("ACCOUNT_LOCKED");
  });

  it("lifts a temporary lockout when its wait ends, and makes the next one permanent", async () => {
    const misaddressed = await signJwt(key, { sub: "dave", aud: "another-service" });
    const fromHere = (credential: string) => attempt(t.client, credential, "198.51.100.8");
    const valid = await signJwt(key, { sub: "dave" });
    for (let i = 0; i < 3; i += 1) await fromHere(misaddressed);
    const temporary = await lockedOut(t.client, misaddressed, "198.51.100.8");
    expect(temporary.retryAfter!.getTime() - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await fromHere(valid)).authenticated).toBe(true);
    for (let i = 0; i < 3; i += 1) await fromHere(misaddressed);
    const permanent = await lockedOut(t.client, valid, "198.51.100.8");
    expect(permanent.retryAfter).toBeUndefined();
  });

  it("counts password failures that other services report through LogEvent", async () => {
    const report = (type: EventType.LOGIN_SUCCESS | EventType.LOGIN_FAILURE) =>
      reportLogin(t.client, type, "erin", "198.51.100.9");
    await report(EventType.LOGIN_FAILURE);
    await report(EventType.LOGIN_FAILURE);
    await report(EventType.LOGIN_SUCCESS);
    await report(EventType.LOGIN_FAILURE);
    await report(EventType.LOGIN_FAILURE);
    const valid = await signJwt(key, { sub: "erin" });
    expect((await attempt(t.client, valid, "198.51.100.9")).authenticated).toBe(true);
    await report(EventType.LOGIN_FAILURE);
    await report(EventType.LOGIN_FAILURE);
    await report(EventType.LOGIN_FAILURE);
    await lockedOut(t.client, valid, "198.51.100.9");
  });

  it("a lockout reached through one server process is enforced by another within a second", async () => {
    const replica = await startReplica(t.db.url, { ...t.trustEnv, ...lockoutEnv });
    try {
      const misaddressed = await signJwt(key, { sub: "frank", aud: "another-service" });
      const valid = await signJwt(key, { sub: "frank" });
      expect((await attempt(replica.client, valid, "192.0.2.10")).authenticated).toBe(true);
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => attempt(t.client, misaddressed, `198.51.100.${20 + i}`)),
      );
      expect(reasons(answers).every((r) => r === "WRONG_AUDIENCE" || r === "ACCOUNT_LOCKED")).toBe(true);
      const started = Date.now();
      // Each poll from a network of its own: a success makes its network familiar (smart lockout).
      let poll = 0;
      await eventually(async () => {
        poll += 1;
        const answer = await attempt(replica.client, valid, `10.77.${poll}.1`);
        return answer.authenticated ? undefined : FailureReason[answer.failureReason];
      }, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      replica.client.close();
      replica.process.kill("SIGTERM");
      await once(replica.process, "exit");
    }
  });
});

describe("CheckLockout, for services that check passwords themselves", () => {
  let t: TestWarden;
  const lockoutEnv = { WARDEN_LOCKOUT_SUBJECT: "max_failures=10,wait_increment=60" };
  beforeAll(async () => {
    t = await startTestWarden(lockoutEnv);
  });
  afterAll(async () => {
    await t.stop();
  });

  const check = (client: AuthClient, subject: string, clientIp: string) =>
    client.checkLockout(CheckLockoutRequest.fromPartial({ subject, clientIp }));

  it("allows exactly max_failures of 100 parallel attempts split across two server processes, then locks", async () => {
    const replica = await startReplica(t.db.url, lockoutEnv);
    try {
      const ipOf = (i: number) => `198.51.100.${i % 50}`;
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => check(i % 2 === 0 ? t.client : replica.client, "grace", ipOf(i))),
      );
      const allowed = answers.flatMap((answer, i) => (answer.allowed ? [i] : []));
      expect(allowed).toHaveLength(10);
      // Each allowed password check fails and is reported, from either process.
      await Promise.all(
        allowed.map((i) =>
          reportLogin(i % 2 === 0 ? replica.client : t.client, EventType.LOGIN_FAILURE, "grace", ipOf(i)),
        ),
      );
      const refused = await eventually(async () => {
        const answer = await check(replica.client, "grace", "203.0.113.1");
        return answer.retryAfter === undefined ? undefined : answer;
      });
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfter!.getTime() - Date.now()).toBeGreaterThan(50_000);
    } finally {
      replica.client.close();
      replica.process.kill("SIGTERM");
      await once(replica.process, "exit");
    }
  });

  it("releases an attempt when its success is reported", async () => {
    for (let i = 0; i < 15; i += 1) {
      expect((await check(t.client, "heidi", "198.51.100.1")).allowed).toBe(true);
      await reportLogin(t.client, EventType.LOGIN_SUCCESS, "heidi", "198.51.100.1");
    }
  });

  it("releases one attempt per reported success, also when the successes share one statement", async () => {
    // The subject alone (no address): its policy allows 10 attempts.
    for (let i = 0; i < 10; i += 1) expect((await check(t.client, "ivan", "")).allowed).toBe(true);
    expect((await check(t.client, "ivan", "")).allowed).toBe(false);
    const success = AuthenticationEvent.fromPartial({
      type: EventType.LOGIN_SUCCESS,
      outcome: Outcome.SUCCESS,
      principal: { subject: "ivan", kind: PrincipalKind.USER },
    });
    await Promise.all([
      t.client.logEvents(LogEventsRequest.fromPartial({ events: Array.from({ length: 6 }, () => success) })),
      ...Array.from({ length: 4 }, () => t.client.logEvent(LogEventRequest.fromPartial({ event: success }))),
    ]);
    // Successes' releases are written after their answers, together.
    await eventually(async () => {
      const rows = await t.db.query("SELECT pending FROM lockout_counters WHERE key_kind = 'SUBJECT' AND key = 'ivan'");
      return (rows[0] as { pending: number } | undefined)?.pending === 0 ? true : undefined;
    });
    expect((await check(t.client, "ivan", "")).allowed).toBe(true);
  });

  it("answers INVALID_ARGUMENT naming a missing subject or a bad address", async () => {
    const failure = (request: Promise<unknown>) =>
      request.then(
        () => undefined,
        (error: ServiceError) => [status[error.code], error.details],
      );
    expect(await failure(check(t.client, "", "198.51.100.1"))).toEqual(["INVALID_ARGUMENT", "subject: required"]);
    expect(await failure(check(t.client, "ivan", "not-an-ip"))).toEqual([
      "INVALID_ARGUMENT",
      "client_ip: not an IPv4 or IPv6 address",
    ]);
  });
});

describe("successful logins' forgets and networks, written together", () => {
  let t: TestWarden;
  beforeAll(async () => {
    t = await startTestWarden({
      WARDEN_LOCKOUT_SUCCESS_LINGER_MS: "2000",
      WARDEN_LOCKOUT_SUBJECT: "max_failures=10,wait_increment=60",
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  const failuresOf = async (subject: string) =>
    (
      (
        await t.db.query("SELECT failures FROM lockout_counters WHERE key_kind = 'SUBJECT' AND key = $1", [subject])
      )[0] as { failures: number } | undefined
    )?.failures;
  const networksOf = async (subject: string) =>
    (await t.db.query("SELECT network FROM lockout_familiar_networks WHERE subject = $1", [subject])).length;

  it("holds a success's forget and network back for the linger, then writes them", async () => {
    await reportLogin(t.client, EventType.LOGIN_FAILURE, "rosa", "198.51.100.8");
    await reportLogin(t.client, EventType.LOGIN_SUCCESS, "rosa", "198.51.100.8");
    expect(await failuresOf("rosa")).toBe(1);
    expect(await networksOf("rosa")).toBe(0);
    await eventually(async () => ((await networksOf("rosa")) === 1 ? true : undefined));
    expect(await failuresOf("rosa")).toBe(0);
  });

  it("writes them at once when a failure on the same subject waits for them, and counts that failure after", async () => {
    for (let i = 0; i < 2; i += 1) await reportLogin(t.client, EventType.LOGIN_FAILURE, "quinn", "198.51.100.7");
    await reportLogin(t.client, EventType.LOGIN_SUCCESS, "quinn", "198.51.100.7");
    const started = performance.now();
    await reportLogin(t.client, EventType.LOGIN_FAILURE, "quinn", "198.51.100.7");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await networksOf("quinn")).toBe(1);
    expect(await failuresOf("quinn")).toBe(1);
  });

  it("sends the next statement at once when a failure waits on a success queued behind one in flight", async () => {
    await reportLogin(t.client, EventType.LOGIN_FAILURE, "sam", "198.51.100.9");
    // The first success's statement waits on this row lock, so the second success queues behind it.
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM lockout_counters WHERE key_kind = 'SUBJECT' AND key = 'sam' FOR UPDATE");
      await reportLogin(t.client, EventType.LOGIN_SUCCESS, "sam", "198.51.100.9");
      await eventually(async () => {
        const blocked = await t.db.query(
          "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%lockout_write_successes%'",
        );
        return blocked.length > 0 ? true : undefined;
      });
      await reportLogin(t.client, EventType.LOGIN_SUCCESS, "sam", "198.51.100.10");
      const failure = reportLogin(t.client, EventType.LOGIN_FAILURE, "sam", "198.51.100.9");
      // Once its event is stored, the failure waits on the second success's forget, before the first is written.
      await eventually(async () => {
        const stored = await t.db.query(
          "SELECT 1 FROM security_events WHERE subject = 'sam' AND type = 'LOGIN_FAILURE' AND client_ip = '198.51.100.9'",
        );
        return stored.length === 2 ? true : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await holder.query("COMMIT");
      const released = performance.now();
      await failure;
      expect(performance.now() - released).toBeLessThan(1000);
      expect(await failuresOf("sam")).toBe(1);
    } finally {
      await holder.end();
    }
  });
});

describe("LockoutService: ListLockouts and Unlock", () => {
  let t: TestWarden;
  let admin: ReturnType<typeof lockoutClient>;
  let reader: ReturnType<typeof bearer>;
  let writer: ReturnType<typeof bearer>;
  beforeAll(async () => {
    t = await startTestWarden({ WARDEN_LOCKOUT_SUBJECT_IP: "max_failures=2,wait_increment=600" });
    admin = lockoutClient(`127.0.0.1:${t.warden.grpcPort}`);
    [reader, writer] = await Promise.all([
      createTokenWithCli(t.db.url, "lockout-reader", "lockouts:read").then(bearer),
      createTokenWithCli(t.db.url, "lockout-writer", "lockouts:write").then(bearer),
    ]);
  });
  afterAll(async () => {
    admin.close();
    await t.stop();
  });

  const lockOut = async (subject: string, ipAddress: string) => {
    for (let i = 0; i < 2; i += 1) await reportLogin(t.client, EventType.LOGIN_FAILURE, subject, ipAddress);
    await eventually(async () => {
      const answer = await t.client.checkLockout(CheckLockoutRequest.fromPartial({ subject, clientIp: ipAddress }));
      return answer.allowed ? undefined : answer;
    });
  };
  const grpcFailure = (request: Promise<unknown>) =>
    request.then(
      () => undefined,
      (error: ServiceError) => [status[error.code], error.details],
    );

  it("lists the lockouts in force, page by page", async () => {
    await lockOut("judy", "198.51.100.31");
    await lockOut("kim", "198.51.100.32");
    const first = await admin.listLockouts(ListLockoutsRequest.fromPartial({ pageSize: 1 }), { metadata: reader });
    const second = await admin.listLockouts(
      ListLockoutsRequest.fromPartial({ pageSize: 1, pageToken: first.nextPageToken }),
      { metadata: reader },
    );
    expect([...first.lockouts, ...second.lockouts].map((l) => l.key)).toEqual([
      "judy|198.51.100.31",
      "kim|198.51.100.32",
    ]);
    expect(second.lockouts[0]).toMatchObject({ kind: LockoutKeyKind.SUBJECT_IP, permanent: false, lockouts: 1 });
    expect(second.lockouts[0]!.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 500_000);
  });

  it("unlocks on the caller's word, records who and why, and lets the subject in again", async () => {
    await lockOut("liam", "198.51.100.33");
    const request = UnlockRequest.fromPartial({
      kind: LockoutKeyKind.SUBJECT_IP,
      key: "liam|198.51.100.33",
      reason: "user verified by phone",
    });
    const { lockout } = await admin.unlock(request, { metadata: writer });
    expect(lockout).toMatchObject({ key: "liam|198.51.100.33", lockouts: 1 });
    const answer = await t.client.checkLockout(
      CheckLockoutRequest.fromPartial({ subject: "liam", clientIp: "198.51.100.33" }),
    );
    expect(answer.allowed).toBe(true);
    const [event] = await eventually(async () => {
      const rows = await t.db.query<{ subject: string; details: Record<string, string> }>(
        "SELECT subject, details FROM security_events WHERE type = 'ACCOUNT_UNLOCKED' AND subject = 'liam'",
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(event!.details).toMatchObject({
      key_kind: "SUBJECT_IP",
      actor: "service_token:lockout-writer",
      reason: "user verified by phone",
    });
    // The audit trail has it, written with the unlock; the refused second unlock adds nothing.
    const audited = () =>
      t.db.query<{ actor: string; before: { key: string }; after: { reason: string } }>(
        "SELECT actor, before, after FROM audit_records WHERE action = 'lockout.unlock' AND target = $1",
        ["lockout:SUBJECT_IP:liam|198.51.100.33"],
      );
    expect(await audited()).toEqual([
      {
        actor: "service_token:lockout-writer",
        before: expect.objectContaining({ key: "liam|198.51.100.33" }) as unknown,
        after: { reason: "user verified by phone" },
      },
    ]);
    expect(await grpcFailure(admin.unlock(request, { metadata: writer }))).toEqual([
      "NOT_FOUND",
      "no SUBJECT_IP lockout in force for liam|198.51.100.33",
    ]);
    expect(await audited()).toHaveLength(1);
  });

  it("checks scopes, and refuses an unlock without a reason or kind", async () => {
    const request = UnlockRequest.fromPartial({ kind: LockoutKeyKind.SUBJECT, key: "x", reason: "because" });
    expect(await grpcFailure(admin.unlock(request, { metadata: reader }))).toEqual([
      "PERMISSION_DENIED",
      "missing scope lockouts:write",
    ]);
    expect(await grpcFailure(admin.listLockouts(ListLockoutsRequest.fromPartial({}), { metadata: writer }))).toEqual([
      "PERMISSION_DENIED",
      "missing scope lockouts:read",
    ]);
    expect(await grpcFailure(admin.listLockouts(ListLockoutsRequest.fromPartial({})))).toEqual([
      "UNAUTHENTICATED",
      "authorization: a Bearer credential is required",
    ]);
    expect(await grpcFailure(admin.unlock({ ...request, reason: " " }, { metadata: writer }))).toEqual([
      "INVALID_ARGUMENT",
      "reason: required",
    ]);
    expect(
      await grpcFailure(admin.unlock({ ...request, kind: LockoutKeyKind.UNSPECIFIED }, { metadata: writer })),
    ).toEqual(["INVALID_ARGUMENT", "kind: must be SUBJECT, IP or SUBJECT_IP"]);
  });

  it("refuses text PostgreSQL cannot store with INVALID_ARGUMENT naming the field", async () => {
    const request = UnlockRequest.fromPartial({ kind: LockoutKeyKind.SUBJECT, key: "x", reason: "because" });
    const unlock = (change: Partial<UnlockRequest>) =>
      grpcFailure(admin.unlock({ ...request, ...change }, { metadata: writer }));
    expect(await unlock({ key: "x\u0000" })).toEqual(["INVALID_ARGUMENT", "key: contains a NUL character"]);
    expect(await unlock({ key: "k".repeat(1025) })).toEqual(["INVALID_ARGUMENT", "key: longer than 1024 characters"]);
    expect(await unlock({ reason: "because\u0000" })).toEqual(["INVALID_ARGUMENT", "reason: contains a NUL character"]);
    expect(await unlock({ reason: "r".repeat(1025) })).toEqual([
      "INVALID_ARGUMENT",
      "reason: longer than 1024 characters",
    ]);
    // A token of the right shape whose key no stored lockout could have.
    const pageToken = Buffer.from(JSON.stringify(["SUBJECT", "x\u0000"])).toString("base64url");
    expect(
      await grpcFailure(admin.listLockouts(ListLockoutsRequest.fromPartial({ pageToken }), { metadata: reader })),
    ).toEqual(["INVALID_ARGUMENT", "page_token: not a token returned by ListLockouts"]);
  });
});

describe("credential stuffing", () => {
  let t: TestWarden;
  beforeAll(async () => {
    t = await startTestWarden({ WARDEN_LOCKOUT_STUFFING: "distinct_subjects=5,window=600,wait=900" });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("locks out an address that fails for many different subjects, and records BRUTE_FORCE_DETECTED", async () => {
    const stuffer = "203.0.113.66";
    const failFor = (subject: string) => reportLogin(t.client, EventType.LOGIN_FAILURE, subject, stuffer);
    for (const subject of ["u1", "u2", "u3", "u4", "u4", "u4"]) await failFor(subject);
    const check = (subject: string) =>
      t.client.checkLockout(CheckLockoutRequest.fromPartial({ subject, clientIp: stuffer }));
    expect((await check("u9")).allowed).toBe(true);
    await reportLogin(t.client, EventType.LOGIN_SUCCESS, "u9", stuffer);
    await failFor("u5");
    const refused = await check("u10");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter!.getTime() - Date.now()).toBeGreaterThan(800_000);
    const answer = await t.client.authenticate(
      AuthenticateRequest.fromPartial({ credential: "not a token", client: { ipAddress: stuffer } }),
    );
    expect(FailureReason[answer.failureReason]).toBe("ACCOUNT_LOCKED");
    const [event] = await eventually(async () => {
      const rows = await t.db.query<{ details: Record<string, string>; client_ip: string }>(
        "SELECT details, host(client_ip) AS client_ip FROM security_events WHERE type = 'BRUTE_FORCE_DETECTED'",
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(event).toMatchObject({ client_ip: stuffer, details: { key_kind: "IP", distinct_subjects: "5" } });
  });
});

describe("smart lockout", () => {
  let key: SigningKey;
  let t: TestWardenWithIdentityProvider;
  beforeAll(async () => {
    t = await startTestWardenWithIdentityProvider({ WARDEN_LOCKOUT_SUBJECT: "max_failures=5,wait_increment=600" });
    key = t.key;
  });
  afterAll(() => t.stop());
  const check = (subject: string, clientIp: string) =>
    t.client.checkLockout(CheckLockoutRequest.fromPartial({ subject, clientIp }));

  it("lets a subject locked by unfamiliar networks in from a network where it recently logged in", async () => {
    await reportLogin(t.client, EventType.LOGIN_SUCCESS, "olga", "198.51.100.40");
    for (let i = 0; i < 5; i += 1) await reportLogin(t.client, EventType.LOGIN_FAILURE, "olga", `203.0.113.${i}`);
    expect((await check("olga", "203.0.113.200")).allowed).toBe(false);
    expect((await check("olga", "198.51.100.41")).allowed).toBe(true);
  });

  it("does the same for Authenticate, where a successful JWT makes its network familiar", async () => {
    const valid = await signJwt(key, { sub: "pia" });
    const from = (ipAddress: string, credential = valid) =>
      t.client.authenticate(AuthenticateRequest.fromPartial({ credential, client: { ipAddress } }));
    expect((await from("198.51.100.50")).authenticated).toBe(true);
    const misaddressed = await signJwt(key, { sub: "pia", aud: "another-service" });
    for (let i = 0; i < 5; i += 1) await from(`203.0.113.${50 + i}`, misaddressed);
    // Polled with the misaddressed token: a success from there would make that network familiar too.
    await eventually(async () => {
      const answer = await from("192.0.2.99", misaddressed);
      return answer.failureReason === FailureReason.ACCOUNT_LOCKED ? answer : undefined;
    });
    expect(FailureReason[(await from("192.0.2.98")).failureReason]).toBe("ACCOUNT_LOCKED");
    // Whether a network is familiar is read with a bound; a read the database does not answer in time keeps
    // the lockout, as a loaded machine once made it. So the familiar network is asked until it answers.
    const familiar = await eventually(async () => {
      const answer = await from("198.51.100.51");
      return answer.authenticated ? answer : undefined;
    });
    expect(familiar.authenticated).toBe(true);
  });
});

describe("forged JWTs", () => {
  let key: SigningKey;
  let forger: SigningKey;
  let t: TestWardenWithIdentityProvider;
  beforeAll(async () => {
    t = await startTestWardenWithIdentityProvider({
      WARDEN_LOCKOUT_SUBJECT: "max_failures=10,wait_increment=600",
      WARDEN_LOCKOUT_SUBJECT_IP: "max_failures=5,wait_increment=600",
      WARDEN_LOCKOUT_IP: "max_failures=20,wait_increment=600",
    });
    key = t.key;
    // The forger uses the real key's id: its tokens reach signature verification and fail there.
    forger = await signingKey("ES256", key.kid);
  });
  afterAll(() => t.stop());
  const authenticate = (credential: string, ipAddress?: string) =>
    t.client.authenticate(
      AuthenticateRequest.fromPartial({ credential, ...(ipAddress === undefined ? {} : { client: { ipAddress } }) }),
    );

  it("never lock out the subject they name, only the address they come from", async () => {
    const forged = await signJwt(forger, { sub: "victor" });
    const forgingAddress = "198.51.100.66";
    const answers = [
      ...(await Promise.all(Array.from({ length: 50 }, () => authenticate(forged)))),
      ...(await Promise.all(Array.from({ length: 50 }, (_, i) => authenticate(forged, `198.18.${i}.1`)))),
    ];
    for (let i = 0; i < 50; i += 1) answers.push(await authenticate(forged, forgingAddress));
    expect(new Set(answers.map((a) => FailureReason[a.failureReason]))).toEqual(
      new Set(["INVALID_SIGNATURE", "ACCOUNT_LOCKED"]),
    );
    const valid = await signJwt(key, { sub: "victor" });
    // Failures are counted just after they are answered: once the forging address is locked, all 150 are in.
    await eventually(async () => {
      const answer = await authenticate(valid, forgingAddress);
      return answer.failureReason === FailureReason.ACCOUNT_LOCKED ? answer : undefined;
    });
    expect((await authenticate(valid)).authenticated).toBe(true);
    expect((await authenticate(valid, "198.18.7.1")).authenticated).toBe(true);
    expect((await authenticate(valid, "192.0.2.44")).authenticated).toBe(true);
    const counted = await t.db.query(
      "SELECT failures FROM lockout_counters WHERE key LIKE 'victor%' AND key_kind IN ('SUBJECT', 'SUBJECT_IP')",
    );
    expect(counted).toEqual([]);
  });

  it("do not lock the named subject through the admin calls' Bearer credential either", async () => {
    const forged = await signJwt(forger, { sub: "wanda" });
    const tokens = tokenClient(`127.0.0.1:${t.warden.grpcPort}`);
    try {
      for (let i = 0; i < 20; i += 1) {
        const error = await callError(
          tokens.listServiceTokens(ListServiceTokensRequest.fromPartial({}), { metadata: bearer(forged) }),
        );
        expect(error.code).toBe(status.UNAUTHENTICATED);
      }
    } finally {
      tokens.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await authenticate(await signJwt(key, { sub: "wanda" }))).authenticated).toBe(true);
  });
});
