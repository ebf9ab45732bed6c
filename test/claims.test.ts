import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason } from "../src/gen/warden/v1/event.js";
import {
  eventually,
  startTestWardenWithIdentityProvider,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

// A validly signed token whose sub, email or jti its event could not hold.
let t: TestWardenWithIdentityProvider;

beforeAll(async () => {
  t = await startTestWardenWithIdentityProvider({ WARDEN_JWT_ALGORITHMS: "ES256" });
});
afterAll(() => t.stop());

const authenticate = async (claims: Record<string, string | undefined>) =>
  t.client.authenticate(
    AuthenticateRequest.fromPartial({ credential: await t.sign(claims), client: { ipAddress: "198.51.100.7" } }),
  );

interface StoredEvent {
  failure_reason: string | null;
  subject: string | null;
  email: string | null;
  token_id: string | null;
  details: Record<string, string>;
}

const storedEvent = (eventId: string) =>
  eventually(async () => {
    const [row] = await t.db.query<StoredEvent>(
      "SELECT failure_reason, subject, email, token_id, details FROM security_events WHERE event_id = $1",
      [eventId],
    );
    return row;
  });

it.each([
  { claims: { sub: "s".repeat(10_000) }, detail: "sub: 10000 characters, at most 256", subject: "s".repeat(256) },
  { claims: { sub: "nul\u0000sub" }, detail: "sub: holds a NUL", subject: "nul\uFFFDsub" },
  {
    claims: { sub: "long-email", email: `${"e".repeat(400)}@example.com` },
    detail: "email: 412 characters, at most 320",
    subject: "long-email",
  },
  { claims: { sub: "nul-jti", jti: "jti\u0000" }, detail: "jti: holds a NUL", subject: "nul-jti" },
])("refuses $detail with INVALID_CLAIMS and records it with safe values", async ({ claims, detail, subject }) => {
  const response = await authenticate(claims);
  expect(response.authenticated).toBe(false);
  expect(response.failureReason).toBe(FailureReason.INVALID_CLAIMS);
  expect(await storedEvent(response.eventId)).toEqual({
    failure_reason: "INVALID_CLAIMS",
    subject,
    email: null,
    token_id: null,
    details: { invalid_claims: detail },
  });
});

it("a login with an over-long sub, then 100 others: each of the others has its risk profile within seconds", async () => {
  await authenticate({ sub: "p".repeat(10_000) });
  const subjects = Array.from({ length: 100 }, (_, i) => `after-poison-${i}`);
  const answers = await Promise.all(subjects.map((sub) => authenticate({ sub })));
  expect(answers.every((answer) => answer.authenticated)).toBe(true);
  await eventually(async () => {
    const [row] = await t.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM risk_profiles WHERE subject = ANY($1) AND successes = 1",
      [subjects],
    );
    return Number(row!.n) === subjects.length ? true : undefined;
  }, 5000);
});
