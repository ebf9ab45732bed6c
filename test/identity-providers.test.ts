import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseProviders } from "../src/authn/jwt-providers.js";
import { loadConfig } from "../src/config.js";
import { AuthenticateRequest, ListEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason, Outcome, PrincipalKind } from "../src/gen/warden/v1/event.js";
import { startWarden } from "../src/main.js";
import { ConfigError } from "../src/settings.js";
import { FakeIdentityProvider, signingKey, signJwt, type SigningKey } from "./support/identity-provider.js";
import { eventually, startTestWarden, type TestWarden } from "./support/warden.js";

// Two OIDC providers on loopback, each serving discovery and its JWKS, with their own audiences and claim mappings.
let workforce: FakeIdentityProvider;
let workloads: FakeIdentityProvider;
let workforceKey: SigningKey;
let workloadsKey: SigningKey;
let dir: string;
let t: TestWarden;

const DEFAULTS = { clockToleranceSeconds: 30, jwksCacheMaxAgeMs: 600_000, jwksCooldownMs: 0, jwksTimeoutMs: 1000 };

beforeAll(async () => {
  [workforceKey, workloadsKey] = await Promise.all([signingKey("RS256", "wf-1"), signingKey("ES256", "wl-1")]);
  workforce = await new FakeIdentityProvider().start();
  workloads = await new FakeIdentityProvider().start();
  workforce.keys = [workforceKey];
  workloads.keys = [workloadsKey];
  dir = await mkdtemp(path.join(tmpdir(), "warden-providers-"));
  const file = path.join(dir, "providers.yaml");
  await writeFile(
    file,
    [
      "providers:",
      "  - name: workforce",
      `    issuer: ${workforce.issuer}`,
      "    discovery: true",
      "    audiences: [warden-workforce]",
      "    algorithms: [RS256]",
      "    claims: { roles: realm_access.roles }",
      "  - name: workloads",
      `    issuer: ${workloads.issuer}`,
      `    jwks_url: ${workloads.url}`,
      "    audiences: [warden-workloads]",
      "    algorithms: [ES256]",
      "    claims: { subject: client_id, email: contact, scopes: [permissions], roles: groups }",
      "    principal_kind: workload",
    ].join("\n"),
  );
  t = await startTestWarden({
    WARDEN_JWT_PROVIDERS_FILE: file,
    WARDEN_JWKS_COOLDOWN_SECONDS: "0",
    WARDEN_LOCKOUT_SUBJECT: "max_failures=1000",
    WARDEN_LOCKOUT_IP: "max_failures=1000",
  });
});
afterAll(async () => {
  await t?.stop();
  await workforce?.stop();
  await workloads?.stop();
  await rm(dir, { recursive: true, force: true });
});

const authenticate = (credential: string) =>
  t.client.authenticate(AuthenticateRequest.fromPartial({ credential, client: { ipAddress: "198.51.100.7" } }));

const workforceToken = (key = workforceKey, claims: Record<string, unknown> = {}) =>
  signJwt(key, {
    iss: workforce.issuer,
    aud: "warden-workforce",
    sub: "alice",
    email: "alice@example.com",
    realm_access: { roles: ["auditor"] },
    ...claims,
  });

const workloadToken = (key = workloadsKey, claims: Record<string, unknown> = {}) =>
  signJwt(key, {
    iss: workloads.issuer,
    aud: "warden-workloads",
    sub: "ignored-sub",
    client_id: "billing-api",
    contact: "billing@example.com",
    permissions: ["events:write", "events:read"],
    groups: ["batch"],
    ...claims,
  });

describe("several JWT providers", () => {
  it("accepts each provider's tokens with its own audiences, claim mappings and principal kind", async () => {
    const person = await authenticate(await workforceToken());
    expect(person.authenticated).toBe(true);
    expect(person.principal).toMatchObject({
      subject: "alice",
      kind: PrincipalKind.USER,
      email: "alice@example.com",
      roles: ["auditor"],
    });
    expect(workforce.discoveryRequests).toBe(1);

    const workload = await authenticate(await workloadToken());
    expect(workload.authenticated).toBe(true);
    expect(workload.principal).toMatchObject({
      subject: "billing-api",
      kind: PrincipalKind.WORKLOAD,
      email: "billing@example.com",
      scopes: ["events:write", "events:read"],
      roles: ["batch"],
    });
    expect(workloads.discoveryRequests).toBe(0);

    // An audience is the provider's own: a workforce token for the workloads audience is refused.
    const misdirected = await authenticate(await workforceToken(workforceKey, { aud: "warden-workloads" }));
    expect(misdirected.failureReason).toBe(FailureReason.WRONG_AUDIENCE);
  });

  it("names the provider that answered on the event, and ListEvents filters by it", async () => {
    const person = await authenticate(await workforceToken(workforceKey, { sub: "filter-alice" }));
    const workload = await authenticate(await workloadToken(workloadsKey, { client_id: "filter-billing" }));
    const byWorkforce = await eventually(async () => {
      const page = await t.listEvents(
        ListEventsRequest.fromPartial({ identityProvider: "workforce", subject: "filter-alice" }),
      );
      return page.events.length > 0 ? page.events : undefined;
    });
    expect(byWorkforce.map((event) => event.eventId)).toEqual([person.eventId]);
    expect(byWorkforce[0]!.identityProvider).toBe("workforce");
    const byWorkloads = await eventually(async () => {
      const page = await t.listEvents(ListEventsRequest.fromPartial({ identityProvider: "workloads" }));
      return page.events.some((event) => event.eventId === workload.eventId) ? page.events : undefined;
    });
    expect(byWorkloads.every((event) => event.identityProvider === "workloads")).toBe(true);
    expect(byWorkloads.some((event) => event.eventId === person.eventId)).toBe(false);
  });

  it("refuses a token naming one provider but signed with the other's key", async () => {
    // The workloads key as it is: ES256, which the workforce provider does not allow.
    expect((await authenticate(await workforceToken(workloadsKey))).failureReason).toBe(
      FailureReason.DISALLOWED_ALGORITHM,
    );
    const foreignRsa = await signingKey("RS256", "wl-rsa");
    workloads.keys = [workloadsKey, foreignRsa];
    const wrongKid = await workforceToken(foreignRsa);
    expect((await authenticate(wrongKid)).failureReason).toBe(FailureReason.UNKNOWN_KEY);
    // The workforce kid on a signature by the other provider's key.
    const forged = await workforceToken({ ...foreignRsa, kid: workforceKey.kid });
    expect((await authenticate(forged)).failureReason).toBe(FailureReason.INVALID_SIGNATURE);
    workloads.keys = [workloadsKey];
  });

  it("refuses an issuer no provider has, naming no provider", async () => {
    const stranger = await signJwt(workforceKey, { iss: "https://stranger.example", aud: "warden-workforce" });
    const result = await authenticate(stranger);
    expect(result.failureReason).toBe(FailureReason.WRONG_ISSUER);
    const event = await eventually(async () => {
      const page = await t.listEvents(ListEventsRequest.fromPartial({ pageSize: 1000 }));
      return page.events.find((candidate) => candidate.eventId === result.eventId);
    });
    // Refused before any key was looked at, so the subject it claims is not recorded either.
    expect(event).toMatchObject({ identityProvider: "", outcome: Outcome.FAILURE, principal: { subject: "" } });
  });

  it("rotates one provider's keys without touching the other's", async () => {
    const workloadRequests = workloads.requests;
    const before = await workloadToken();
    const rotated = await signingKey("RS256", "wf-2");
    workforce.keys = [rotated];
    expect((await authenticate(await workforceToken(rotated))).authenticated).toBe(true);
    expect((await authenticate(await workloadToken())).authenticated).toBe(true);
    expect((await authenticate(before)).authenticated).toBe(true);
    expect(workloads.requests).toBe(workloadRequests);
  });
});

describe("the providers file", () => {
  it("is refused at start-up with one message per bad entry", () => {
    const yaml = [
      "providers:",
      "  - name: ok",
      "    issuer: https://a.example",
      "    discovery: true",
      "    audiences: [a]",
      "  - name: Bad Name",
      "    issuer: https://b.example",
      "    audiences: [b]",
      "  - name: no-audience",
      "    issuer: https://c.example",
      "    jwks_url: https://c.example/jwks",
      "    audiences: []",
      "    algorithms: [HS256]",
    ].join("\n");
    let problems: string[] = [];
    try {
      parseProviders(yaml, "p.yaml", DEFAULTS);
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/providers\[1\] \(Bad Name\)\.name: 1 to 64/),
      expect.stringMatching(/providers\[1\] \(Bad Name\): set exactly one key source/),
      expect.stringMatching(/providers\[2\] \(no-audience\)\.audiences:/),
      expect.stringMatching(/providers\[2\] \(no-audience\)\.algorithms\.0:/),
    ]);
  });

  it("takes JSON too, and refuses one issuer listed twice", () => {
    const entry = { name: "a", issuer: "https://a.example", discovery: true, audiences: ["x"] };
    expect(() =>
      parseProviders(JSON.stringify({ providers: [entry, { ...entry, name: "b" }] }), "p.json", DEFAULTS),
    ).toThrow(/issuer https:\/\/a\.example is listed twice/);
  });

  it("stops Warden before it starts anything when unreadable", async () => {
    const config = loadConfig({
      // Never reached: the file is read first.
      DATABASE_URL: "postgres://127.0.0.1:1/unreachable",
      WARDEN_PLAINTEXT: "true",
      WARDEN_JWT_PROVIDERS_FILE: path.join(dir, "missing.yaml"),
    });
    await expect(startWarden(config, pino({ level: "silent" }))).rejects.toThrow(/WARDEN_JWT_PROVIDERS_FILE/);
  });
});
