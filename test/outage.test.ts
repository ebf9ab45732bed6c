import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { startOwnPostgres, type OwnPostgres } from "./support/own-postgres.js";
import {
  createToken,
  eventually,
  startTestWardenWithIdentityProvider,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

const OUTAGE_WINDOW_MS = 4000;

let db: OwnPostgres;
let t: TestWardenWithIdentityProvider;
interface HealthClient {
  check(
    request: { service: string },
    options: { deadline: number },
    callback: (error: ServiceError | null, response: { status: string }) => void,
  ): void;
  close(): void;
}
let health: HealthClient;

beforeAll(async () => {
  db = await startOwnPostgres();
  t = await startTestWardenWithIdentityProvider(
    {
      WARDEN_JWT_ALGORITHMS: "ES256",
      // Notifications are known lost within about 0.6 s of a freeze.
      WARDEN_NOTIFY_HEARTBEAT_MS: "300",
      WARDEN_TOKEN_OUTAGE_WINDOW_MS: String(OUTAGE_WINDOW_MS),
      WARDEN_AUTHN_DB_WAIT_MS: "150",
    },
    { db },
  );
  // The client grpc-health-check defines for its own service.
  health = new (makeGenericClientConstructor(healthService, "Health"))(
    `127.0.0.1:${t.warden.grpcPort}`,
    credentials.createInsecure(),
  ) as unknown as HealthClient;
}, 120_000);

afterAll(async () => {
  db.thaw();
  health.close();
  await t.stop();
  await db.drop();
});

const healthOf = (service: string) =>
  new Promise<string>((resolve, reject) =>
    health.check({ service }, { deadline: Date.now() + 2000 }, (error, response) =>
      error ? reject(error) : resolve(response.status),
    ),
  );

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const readyz = (query = "") =>
  timed(async () => (await fetch(`http://127.0.0.1:${t.warden.httpPort}/readyz${query}`)).status);

const outageAnswers = async () => {
  const metrics = await (await fetch(`http://127.0.0.1:${t.warden.httpPort}/metrics`)).text();
  return Number(/^warden_service_token_outage_answers (\d+)/m.exec(metrics)?.[1]);
};

/** Authenticates `credential`: true, false, or the gRPC status code it failed with. */
const authenticates = (credential: string) =>
  t.client.authenticate(AuthenticateRequest.fromPartial({ credential }), { deadlineMs: 3000 }).then(
    (response) => response.authenticated,
    (error: ServiceError) => error.code,
  );

it("a frozen database: JWTs answer fast, cached tokens work for the window, health tells the truth, all recover", async () => {
  const token = await createToken(db.url, "outage-caller", ["events:read"]);
  expect(await authenticates(token)).toBe(true);
  expect(await authenticates(await t.sign({ sub: "known-user" }))).toBe(true);
  expect(await healthOf("warden.v1.AuditService")).toBe("SERVING");
  expect((await readyz()).value).toBe(200);

  db.freeze();
  const frozenAt = Date.now();

  // Health flips: what needs the database stops serving, authentication does not.
  await eventually(async () => ((await healthOf("warden.v1.AuditService")) === "NOT_SERVING" ? true : undefined), 3000);
  expect(await healthOf("warden.v1.AuthService")).toBe("SERVING");
  expect(await healthOf("")).toBe("NOT_SERVING");
  const notReady = await readyz();
  expect(notReady.value).toBe(503);
  expect(notReady.ms).toBeLessThan(1000);
  const authReady = await readyz("?service=warden.v1.AuthService");
  expect(authReady.value).toBe(200);
  expect(authReady.ms).toBeLessThan(1000);

  // Notifications are lost by now, so lockouts and tokens would ask the database.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, frozenAt + 1000 - Date.now())));
  const jwtAnswers: { value: boolean | number; ms: number }[] = [];
  for (const subject of ["known-user", "new-user-1", "new-user-2"]) {
    const jwt = await t.sign({ sub: subject });
    jwtAnswers.push(await timed(() => authenticates(jwt)));
  }
  for (const answer of jwtAnswers) {
    expect(answer.value).toBe(true);
    expect(answer.ms).toBeLessThan(300);
  }
  const marked = await t.client.authenticate(
    AuthenticateRequest.fromPartial({ credential: await t.sign({ sub: "marked-user" }) }),
  );

  // The cached token is still answered inside the window, and counted as such.
  expect(await authenticates(token)).toBe(true);
  expect(await outageAnswers()).toBeGreaterThan(0);
  // ...and refused once the window has passed (measured from the notifications' loss, after the freeze).
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, frozenAt + OUTAGE_WINDOW_MS + 300 - Date.now())));
  const afterWindow = await eventually(async () => {
    const answer = await authenticates(token);
    return answer === true ? undefined : answer;
  }, 2000);
  expect(afterWindow).not.toBe(true);

  db.thaw();
  await eventually(async () => ((await healthOf("warden.v1.AuditService")) === "SERVING" ? true : undefined), 5000);
  expect((await readyz()).value).toBe(200);
  await eventually(async () => ((await authenticates(token)) === true ? true : undefined), 5000);
  // The decision made from the last known lockouts says so in its event.
  const [stored] = await eventually(async () => {
    const rows = await db.query<{ details: Record<string, string> }>(
      "SELECT details FROM security_events WHERE event_id = $1",
      [marked.eventId],
    );
    return rows.length === 1 ? rows : undefined;
  }, 10_000);
  expect(stored!.details.lockout_view).toBe("last_known");
}, 60_000);

it("a stopped database: a cached token keeps working inside the window", async () => {
  const token = await createToken(db.url, "stopped-caller", ["events:read"]);
  await eventually(async () => ((await authenticates(token)) === true ? true : undefined), 5000);
  await db.stop();
  try {
    const answer = await timed(() => authenticates(token));
    expect(answer.value).toBe(true);
    expect(answer.ms).toBeLessThan(300);
  } finally {
    await db.start();
  }
  await eventually(async () => ((await healthOf("warden.v1.AuditService")) === "SERVING" ? true : undefined), 5000);
}, 60_000);
