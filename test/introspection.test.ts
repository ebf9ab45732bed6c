import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest, ListEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason, Outcome, PrincipalKind } from "../src/gen/warden/v1/event.js";
import { CLIENT_ID, CLIENT_SECRET, FakeIntrospectionServer } from "./support/introspection-server.js";
import { eventually, startTestWarden, type TestWarden } from "./support/warden.js";

let endpoint: FakeIntrospectionServer;
let t: TestWarden;

const TIMEOUT_MS = 300;

beforeAll(async () => {
  endpoint = await new FakeIntrospectionServer().start();
  t = await startTestWarden({
    WARDEN_INTROSPECTION_URL: endpoint.url,
    WARDEN_INTROSPECTION_NAME: "corp-oauth",
    WARDEN_INTROSPECTION_CLIENT_ID: CLIENT_ID,
    WARDEN_INTROSPECTION_CLIENT_SECRET: CLIENT_SECRET,
    WARDEN_INTROSPECTION_TIMEOUT_MS: String(TIMEOUT_MS),
    WARDEN_INTROSPECTION_INACTIVE_TTL_SECONDS: "60",
    WARDEN_INTROSPECTION_PRINCIPAL_KIND: "workload",
    // Three failures that count lock an address: shows which refusals count and which do not.
    WARDEN_LOCKOUT_IP: "max_failures=3",
  });
});
afterAll(async () => {
  await t?.stop();
  await endpoint?.stop();
});

const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

const authenticate = (credential: string, ipAddress = "192.0.2.1") =>
  t.client.authenticate(AuthenticateRequest.fromPartial({ credential, client: { ipAddress } }));

async function storedEvent(eventId: string) {
  return eventually(async () => {
    const page = await t.listEvents(ListEventsRequest.fromPartial({ identityProvider: "corp-oauth", pageSize: 1000 }));
    return page.events.find((event) => event.eventId === eventId);
  });
}

describe("OAuth2 token introspection", () => {
  it("accepts an active token as the principal the server describes, and answers a repeat from its cache", async () => {
    endpoint.tokens.set("opaque-active-1", {
      active: true,
      client_id: "reports-job",
      scope: "events:read reports:write",
      exp: inSeconds(600),
      jti: "at-1",
      roles: ["reporter"],
    });
    const first = await authenticate("opaque-active-1");
    expect(first.authenticated).toBe(true);
    expect(first.principal).toMatchObject({
      subject: "reports-job",
      kind: PrincipalKind.WORKLOAD,
      scopes: ["events:read", "reports:write"],
      roles: ["reporter"],
      tokenId: "at-1",
    });
    const requests = endpoint.requests;
    const again = await authenticate("opaque-active-1");
    expect(again.authenticated).toBe(true);
    expect(endpoint.requests).toBe(requests);
    expect(await storedEvent(first.eventId)).toMatchObject({
      identityProvider: "corp-oauth",
      outcome: Outcome.SUCCESS,
      principal: { subject: "reports-job" },
    });
  });

  it("refuses an inactive token with TOKEN_INACTIVE, caches that briefly, and counts it against the address", async () => {
    const ip = "192.0.2.20";
    const before = endpoint.requests;
    const refused = await authenticate("opaque-unknown", ip);
    expect(refused).toMatchObject({ authenticated: false, failureReason: FailureReason.TOKEN_INACTIVE });
    await authenticate("opaque-unknown", ip);
    expect(endpoint.requests).toBe(before + 1);
    expect(await storedEvent(refused.eventId)).toMatchObject({ outcome: Outcome.FAILURE });
    await authenticate("opaque-unknown", ip);
    const locked = await eventually(async () => {
      const answer = await authenticate("opaque-unknown", ip);
      return answer.failureReason === FailureReason.ACCOUNT_LOCKED ? answer : undefined;
    });
    expect(locked.authenticated).toBe(false);
  });

  it("refuses an active answer whose exp has passed as EXPIRED", async () => {
    endpoint.tokens.set("opaque-expired", { active: true, sub: "carol", exp: inSeconds(-60) });
    const refused = await authenticate("opaque-expired", "192.0.2.30");
    expect(refused.failureReason).toBe(FailureReason.EXPIRED);
    expect(await storedEvent(refused.eventId)).toMatchObject({ principal: { subject: "carol" } });
  });

  it("keeps an active answer no longer than the token's exp", async () => {
    // Two to three seconds left: exp has whole seconds, and a loaded machine must still get the first call in before it.
    endpoint.tokens.set("opaque-short", { active: true, sub: "dave", exp: inSeconds(3) });
    expect((await authenticate("opaque-short", "192.0.2.40")).authenticated).toBe(true);
    const requests = endpoint.requests;
    endpoint.tokens.delete("opaque-short");
    const later = await eventually(async () => {
      const answer = await authenticate("opaque-short", "192.0.2.40");
      return answer.authenticated ? undefined : answer;
    }, 6000);
    expect(later.failureReason).toBe(FailureReason.TOKEN_INACTIVE);
    expect(endpoint.requests).toBe(requests + 1);
  });

  it("answers INTROSPECTION_UNAVAILABLE, an ERROR counting against no one, when the endpoint is down or slow", async () => {
    const ip = "192.0.2.50";
    endpoint.dropConnections = true;
    const down = await authenticate("opaque-during-outage", ip);
    expect(down.failureReason).toBe(FailureReason.INTROSPECTION_UNAVAILABLE);
    endpoint.dropConnections = false;

    endpoint.delayMs = TIMEOUT_MS * 4;
    const startedAt = Date.now();
    const slow = await authenticate("opaque-while-slow", ip);
    expect(slow.failureReason).toBe(FailureReason.INTROSPECTION_UNAVAILABLE);
    expect(Date.now() - startedAt).toBeLessThan(TIMEOUT_MS * 3);
    // Not cached: the next attempt asks again.
    await authenticate("opaque-while-slow", ip);
    await authenticate("opaque-while-slow", ip);
    endpoint.delayMs = 0;

    expect(await storedEvent(down.eventId)).toMatchObject({
      outcome: Outcome.ERROR,
      failureReason: FailureReason.INTROSPECTION_UNAVAILABLE,
    });
    // Four undecided attempts from one address, above max_failures, and it is not locked out.
    endpoint.tokens.set("opaque-after-outage", { active: true, sub: "erin" });
    const after = await authenticate("opaque-after-outage", ip);
    expect(after.authenticated).toBe(true);
  });
});

describe("private_key_jwt", () => {
  it("authenticates Warden to the endpoint with a signed assertion instead of a secret", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const dir = await mkdtemp(path.join(tmpdir(), "warden-introspection-"));
    const keyFile = path.join(dir, "client.pem");
    await writeFile(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }));
    const strict = await new FakeIntrospectionServer().start();
    strict.assertionKey = { pem: publicKey.export({ type: "spki", format: "pem" }).toString(), alg: "ES256" };
    strict.tokens.set("opaque-pkjwt", { active: true, sub: "frank" });
    const other = await startTestWarden(
      {
        WARDEN_INTROSPECTION_URL: strict.url,
        WARDEN_INTROSPECTION_CLIENT_ID: CLIENT_ID,
        WARDEN_INTROSPECTION_PRIVATE_KEY_FILE: keyFile,
        WARDEN_INTROSPECTION_PRIVATE_KEY_ALG: "ES256",
      },
      {},
      t.db,
    );
    try {
      const answer = await other.client.authenticate(AuthenticateRequest.fromPartial({ credential: "opaque-pkjwt" }));
      expect(answer.principal?.subject).toBe("frank");
      // A client the endpoint refuses (401) is an unavailable endpoint, not an inactive token.
      strict.assertionKey = { ...strict.assertionKey, pem: endpointKeyOfSomeoneElse() };
      const refused = await other.client.authenticate(AuthenticateRequest.fromPartial({ credential: "opaque-other" }));
      expect(refused.failureReason).toBe(FailureReason.INTROSPECTION_UNAVAILABLE);
    } finally {
      await other.stop();
      await strict.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function endpointKeyOfSomeoneElse(): string {
  return generateKeyPairSync("ec", { namedCurve: "P-256" })
    .publicKey.export({ type: "spki", format: "pem" })
    .toString();
}
