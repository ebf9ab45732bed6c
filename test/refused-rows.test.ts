import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import {
  createTokenWithCli,
  eventually,
  startTestWardenWithIdentityProvider,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

// Rows the database refuses, whatever the reason (a constraint, an encoding,
// a value too long): here a constraint this test adds refuses everything
// about one subject and one service token, so each batched writer meets a
// row it must drop alone while the rest of its batch is stored.
const POISON = "poison-subject";
const NORMAL = Array.from({ length: 100 }, (_, i) => `normal-${i}`);
const REFUSE_POISON = [
  `ALTER TABLE risk_profiles ADD CONSTRAINT test_refuses_poison CHECK (subject <> '${POISON}')`,
  `ALTER TABLE lockout_familiar_networks ADD CONSTRAINT test_refuses_poison CHECK (subject <> '${POISON}')`,
  `ALTER TABLE lockout_counters ADD CONSTRAINT test_refuses_poison CHECK (key NOT LIKE '%${POISON}%')`,
  `ALTER TABLE security_events ADD CONSTRAINT test_refuses_poison CHECK (subject IS DISTINCT FROM '${POISON}')`,
  `ALTER TABLE service_tokens ADD CONSTRAINT test_refuses_poison CHECK (name <> 'poison-token' OR use_count = 0)`,
];

let t: TestWardenWithIdentityProvider;

beforeAll(async () => {
  t = await startTestWardenWithIdentityProvider({ WARDEN_JWT_ALGORITHMS: "ES256" });
  for (const statement of REFUSE_POISON) await t.db.query(statement);
});

afterAll(() => t.stop());

const login = async (subject: string, ip: string, exp?: number) =>
  t.client.authenticate(
    AuthenticateRequest.fromPartial({
      credential: await t.sign({ sub: subject, ...(exp === undefined ? {} : { exp }) }),
      client: { ipAddress: ip },
    }),
  );

async function rejectedRows(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${t.warden.httpPort}/metrics`)).text();
  return Object.fromEntries<number>(
    [...text.matchAll(/^warden_rows_rejected_total\{writer="([a-z_]+)"\} (\d+)$/gm)].map(([, writer, count]) => [
      writer!,
      Number(count),
    ]),
  );
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const [row] = await t.db.query<{ n: string }>(sql, params);
  return Number(row!.n);
}

it("a row the database refuses is dropped alone and counted once; every other row of its batches is stored", async () => {
  const poisonToken = await createTokenWithCli(t.warden.databaseUrl, "poison-token", "events:read");
  const expired = Math.floor(Date.now() / 1000) - 3600;
  // In parallel, so the refused rows share their batches with the others.
  const answers = await Promise.all([
    login(POISON, "198.51.100.1"),
    login(POISON, "198.51.100.1", expired),
    t.client.authenticate(AuthenticateRequest.fromPartial({ credential: poisonToken })),
    ...NORMAL.flatMap((subject, i) => [login(subject, `198.51.100.${i + 2}`), login(subject, "203.0.113.9", expired)]),
  ]);
  expect(answers.filter((answer) => answer.authenticated)).toHaveLength(NORMAL.length + 2);

  const stored = () =>
    Promise.all([
      count("SELECT count(*) AS n FROM risk_profiles WHERE subject = ANY($1) AND successes = 1", [NORMAL]),
      count("SELECT count(*) AS n FROM lockout_familiar_networks WHERE subject = ANY($1)", [NORMAL]),
      count("SELECT count(*) AS n FROM lockout_counters WHERE key_kind = 'SUBJECT' AND key = ANY($1)", [NORMAL]),
      count("SELECT count(*) AS n FROM security_events WHERE subject = ANY($1) AND outcome = 'SUCCESS'", [NORMAL]),
    ]);
  await eventually(async () => {
    const [profiles, networks, counters, events] = await stored();
    return profiles === NORMAL.length &&
      networks === NORMAL.length &&
      counters === NORMAL.length &&
      events === NORMAL.length
      ? true
      : undefined;
  }, 10_000);
  // The refused rows: both poison logins' events and risk observations (an expired token's event names its verified
  // subject), the success's network, the expired one's SUBJECT and SUBJECT_IP counts, the token's usage.
  const refused = { events: 2, risk_observations: 2, familiar_networks: 1, lockout_failures: 2, token_usage: 1 };
  await eventually(async () => ((await rejectedRows()).token_usage === 1 ? true : undefined), 5000);
  expect(await rejectedRows()).toEqual(refused);
  // Counted once: nothing is retried after it was refused.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await rejectedRows()).toEqual(refused);
});
