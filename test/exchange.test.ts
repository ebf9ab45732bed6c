import { status, type Metadata } from "@grpc/grpc-js";
import { createPrivateKey, randomBytes } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Environment } from "../src/config.js";
import { EventType, PrincipalKind, Severity } from "../src/gen/warden/v1/event.js";
import { Duration } from "../src/gen/google/protobuf/duration.js";
import { ListEventsRequest, type ExchangeTokenRequest } from "../src/gen/warden/v1/auth_service.js";
import type { Scope } from "../src/authz/scopes.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { signingKey, signJwt } from "./support/identity-provider.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import {
  bearer,
  callError,
  createToken,
  eventually,
  startTestWarden,
  startTestWardenWithIdentityProvider,
  type TestWarden,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

const WARDEN_ISSUER = "https://warden.test.example";
const exchangeEnv = (key: string, rotationSeconds: number): Environment => ({
  WARDEN_EXCHANGE_ENABLED: "true",
  WARDEN_EXCHANGE_ISSUER: WARDEN_ISSUER,
  WARDEN_EXCHANGE_KEY: key,
  WARDEN_EXCHANGE_AUDIENCES: "billing-api",
  WARDEN_EXCHANGE_TOKEN_LIFETIME_SECONDS: "4",
  WARDEN_EXCHANGE_KEY_ROTATION_SECONDS: String(rotationSeconds),
});

const request = (fields: Partial<ExchangeTokenRequest> = {}): ExchangeTokenRequest => ({
  subjectToken: "",
  audience: [],
  scopes: [],
  lifetime: undefined,
  ...fields,
});

const jwksUrl = (t: TestWarden) => new URL(`http://127.0.0.1:${t.warden.httpPort}/.well-known/jwks.json`);

/** Verified as any service outside Warden would: jose against the published JWKS. */
async function verifyOutside(t: TestWarden, token: string, audience = WARDEN_ISSUER): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(jwksUrl(t)), {
    issuer: WARDEN_ISSUER,
    audience,
    algorithms: ["ES256"],
  });
  return payload;
}

describe("token exchange", () => {
  let t: TestWardenWithIdentityProvider;
  const credentials = new Map<string, Metadata>();
  const caller = async (name: string, scopes: Scope[]) => {
    let metadata = credentials.get(name);
    if (metadata === undefined) {
      metadata = bearer(await createToken(t.db.url, name, scopes));
      credentials.set(name, metadata);
    }
    return metadata;
  };
  const exchanger = () => caller("exchanger", ["tokens:exchange", "events:read"]);

  beforeAll(async () => {
    t = await startTestWardenWithIdentityProvider(exchangeEnv(randomBytes(32).toString("base64"), 2));
  });
  afterAll(() => t?.stop());

  it("issues a token for the caller that jose verifies against /.well-known/jwks.json, and Warden accepts", async () => {
    const metadata = await exchanger();
    const self = await t.client.authenticate({ credential: "", client: undefined, sourceService: "" }, { metadata });
    const issued = await t.client.exchangeToken(request(), { metadata });
    expect(issued.issuedTokenType).toBe("urn:ietf:params:oauth:token-type:jwt");

    const discovery = (await (
      await fetch(`http://127.0.0.1:${t.warden.httpPort}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: WARDEN_ISSUER,
      jwks_uri: `${WARDEN_ISSUER}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ["ES256"],
    });
    const payload = await verifyOutside(t, issued.accessToken);
    const service = self.principal!;
    expect(payload).toMatchObject({
      iss: WARDEN_ISSUER,
      sub: service.subject,
      aud: [WARDEN_ISSUER],
      kind: "SERVICE_TOKEN",
      scope: "tokens:exchange events:read",
      roles: [],
      service_token_name: "exchanger",
      orig_jti: service.tokenId,
      act: { sub: service.subject, kind: "SERVICE_TOKEN" },
      jti: issued.tokenId,
      exp: issued.expiresAt!.getTime() / 1000,
    });
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(4);
    expect(decodeProtectedHeader(issued.accessToken)).toMatchObject({ alg: "ES256", typ: "JWT" });

    const accepted = await t.client.authenticate({
      credential: issued.accessToken,
      client: undefined,
      sourceService: "",
    });
    expect(accepted.authenticated).toBe(true);
    expect(accepted.principal).toMatchObject({
      subject: service.subject,
      kind: PrincipalKind.SERVICE_TOKEN,
      scopes: ["tokens:exchange", "events:read"],
      serviceTokenName: "exchanger",
      tokenId: issued.tokenId,
    });
    // The exchanged token is a caller credential too, with the scopes it carries.
    const event = await eventually(async () => {
      const listed = await t.client.listEvents(
        ListEventsRequest.fromPartial({ type: EventType.TOKEN_EXCHANGED, subject: service.subject }),
        { metadata: bearer(issued.accessToken) },
      );
      return listed.events.find((e) => e.details.token_id === issued.tokenId);
    });
    expect(event).toMatchObject({
      outcome: 1,
      severity: Severity.INFO,
      principal: { subject: service.subject, kind: PrincipalKind.SERVICE_TOKEN },
      details: { actor: "service_token:exchanger", scopes: "tokens:exchange events:read", audience: WARDEN_ISSUER },
    });
  });

  it("exchanges a user's JWT passed in for a token naming the user, with the caller as act", async () => {
    const now = Math.floor(Date.now() / 1000);
    const userJwt = await t.sign({
      sub: "alice",
      email: "alice@example.com",
      scope: "orders:read orders:write",
      roles: ["api_user"],
      jti: "idp-token-7",
      exp: now + 2,
    });
    const metadata = await exchanger();
    const self = await t.client.authenticate({ credential: "", client: undefined, sourceService: "" }, { metadata });
    const issued = await t.client.exchangeToken(
      request({ subjectToken: userJwt, audience: ["billing-api"], scopes: ["orders:read"] }),
      { metadata },
    );
    const payload = await verifyOutside(t, issued.accessToken, "billing-api");
    expect(payload).toMatchObject({
      sub: "alice",
      kind: "USER",
      email: "alice@example.com",
      scope: "orders:read",
      roles: ["api_user"],
      orig_jti: "idp-token-7",
      aud: ["billing-api"],
      act: { sub: self.principal!.subject, kind: "SERVICE_TOKEN" },
    });
    // Never past the credential it was exchanged for.
    expect(payload.exp).toBeLessThanOrEqual(now + 2);
    // Warden's Authenticate accepts its tokens for its own audience only.
    const elsewhere = await t.client.authenticate({
      credential: issued.accessToken,
      client: undefined,
      sourceService: "",
    });
    expect(elsewhere.authenticated).toBe(false);
  });

  it("refuses bad requests with the field, and callers without the scopes, naming the scope", async () => {
    const metadata = await exchanger();
    const cases: [Partial<ExchangeTokenRequest>, string][] = [
      [{ audience: ["elsewhere"] }, "audience[0]: not an audience"],
      [{ lifetime: Duration.fromPartial({ seconds: 60 }) }, "lifetime: must be 1 to 4 seconds"],
      [{ scopes: ["two words"] }, "scopes[0]:"],
      [{ subjectToken: "not-a-credential" }, "subject_token: refused (MALFORMED_CREDENTIAL)"],
      [
        { subjectToken: await signJwt(await signingKey("ES256", t.key.kid)) },
        "subject_token: refused (INVALID_SIGNATURE)",
      ],
    ];
    for (const [fields, message] of cases) {
      const error = await callError(t.client.exchangeToken(request(fields), { metadata }));
      expect(error.code, message).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toContain(message);
    }
    const outsider = await callError(
      t.client.exchangeToken(request(), { metadata: await caller("outsider", ["events:read"]) }),
    );
    expect([outsider.code, outsider.details]).toEqual([status.PERMISSION_DENIED, "missing scope tokens:exchange"]);
    const unauthenticated = await callError(t.client.exchangeToken(request()));
    expect(unauthenticated.code).toBe(status.UNAUTHENTICATED);
  });

  it("scopes beyond the subject's own need tokens:elevate and scopes the caller holds, and are audited", async () => {
    const userJwt = await t.sign({ sub: "bob", scope: "orders:read" });
    const audited = () =>
      t.db.query<{ after: { token_id: string; added_scopes: string[] } }>(
        "SELECT after FROM audit_records WHERE action = 'token.exchange_beyond_scopes' AND target = 'user:bob'",
      );
    const plain = await callError(
      t.client.exchangeToken(request({ subjectToken: userJwt, scopes: ["orders:read", "events:read"] }), {
        metadata: await exchanger(),
      }),
    );
    expect([plain.code, plain.details]).toEqual([
      status.PERMISSION_DENIED,
      "missing scope tokens:elevate: events:read go beyond the subject's own scopes",
    ]);
    const elevator = await caller("elevator", ["tokens:exchange", "tokens:elevate", "events:read"]);
    const unheld = await callError(
      t.client.exchangeToken(request({ subjectToken: userJwt, scopes: ["audit:read"] }), { metadata: elevator }),
    );
    expect([unheld.code, unheld.details]).toEqual([
      status.PERMISSION_DENIED,
      "missing scope audit:read: a token can carry only scopes its issuer holds",
    ]);
    expect(await audited()).toEqual([]);

    const issued = await t.client.exchangeToken(
      request({ subjectToken: userJwt, scopes: ["orders:read", "events:read"] }),
      { metadata: elevator },
    );
    expect((await verifyOutside(t, issued.accessToken)).scope).toBe("orders:read events:read");
    expect((await audited()).map((row) => row.after)).toEqual([
      expect.objectContaining({ token_id: issued.tokenId, added_scopes: ["events:read"] }),
    ]);
    const event = await eventually(async () =>
      (
        await t.listEvents(ListEventsRequest.fromPartial({ type: EventType.TOKEN_EXCHANGED, subject: "bob" }))
      ).events.find((e) => e.details.token_id === issued.tokenId),
    );
    expect(event).toMatchObject({ severity: Severity.WARNING, details: { added_scopes: "events:read" } });
  });

  it("after a key rotation, tokens signed with the old key still verify until they expire", async () => {
    const metadata = await exchanger();
    const signedByAnotherKey = (kid: string | undefined) =>
      eventually(async () => {
        const issued = await t.client.exchangeToken(request(), { metadata });
        return decodeProtectedHeader(issued.accessToken).kid !== kid ? issued : undefined;
      }, 5000);
    // The old token is among its key's first, so the key is still published a
    // whole rotation period after the token's expiry; one signed at the end of
    // its key's period may outlive the key's publication by tolerance alone.
    const first = await t.client.exchangeToken(request(), { metadata });
    const old = await signedByAnotherKey(decodeProtectedHeader(first.accessToken).kid);
    const oldKey = decodeProtectedHeader(old.accessToken).kid;
    const rotated = await signedByAnotherKey(oldKey);
    const published = (await (await fetch(jwksUrl(t))).json()) as { keys: { kid: string }[] };
    expect(published.keys.map((key) => key.kid)).toEqual(
      expect.arrayContaining([oldKey, decodeProtectedHeader(rotated.accessToken).kid]),
    );
    await expect(verifyOutside(t, old.accessToken)).resolves.toMatchObject({ jti: old.tokenId });
    await expect(verifyOutside(t, rotated.accessToken)).resolves.toMatchObject({ jti: rotated.tokenId });
    const authenticate = (credential: string) =>
      t.client.authenticate({ credential, client: undefined, sourceService: "" });
    expect((await authenticate(old.accessToken)).authenticated).toBe(true);
    // Once it expires, it is refused, by Warden and outside it alike.
    await new Promise((resolve) => setTimeout(resolve, old.expiresAt!.getTime() + 5500 - Date.now()));
    expect((await authenticate(old.accessToken)).failureReason).toBe(3); // FAILURE_REASON_EXPIRED
    await expect(verifyOutside(t, old.accessToken)).rejects.toThrow(/"exp" claim timestamp check failed/);
  }, 30_000);
});

describe("signing keys across replicas", () => {
  let db: TestDatabase;
  const key = randomBytes(32).toString("base64");
  afterAll(async () => {
    await db?.drop();
  });

  it("replicas starting together make one key, sign alike, and a wrong or missing key stops the start", async () => {
    db = await createTestDatabase();
    const [a, b] = await Promise.all([
      startTestWarden(exchangeEnv(key, 86_400), {}, db),
      startTestWarden(exchangeEnv(key, 86_400), {}, db),
    ]);
    try {
      const stored = await db.query<{ key_id: string; private_key_encrypted: Buffer }>(
        "SELECT key_id, private_key_encrypted FROM signing_keys",
      );
      expect(stored).toHaveLength(1);
      // Stored sealed: not a private key as it stands.
      expect(() => createPrivateKey({ key: stored[0]!.private_key_encrypted, format: "der", type: "pkcs8" })).toThrow();
      expect(await (await fetch(jwksUrl(b))).json()).toEqual(await (await fetch(jwksUrl(a))).json());
      const metadata = bearer(await createToken(db.url, "replica-exchanger", ["tokens:exchange"]));
      const issued = await a.client.exchangeToken(request(), { metadata });
      expect(decodeProtectedHeader(issued.accessToken).kid).toBe(stored[0]!.key_id);
      const onB = await b.client.authenticate({ credential: issued.accessToken, client: undefined, sourceService: "" });
      expect(onB.authenticated).toBe(true);

      await expect(startTestWarden(exchangeEnv(randomBytes(32).toString("base64"), 86_400), {}, db)).rejects.toThrow(
        /WARDEN_EXCHANGE_KEY does not decrypt signing key/,
      );
      expect(() => loadConfig({ ...exchangeEnv("", 86_400), WARDEN_EXCHANGE_KEY: undefined })).toThrow(
        /WARDEN_EXCHANGE_KEY: required when WARDEN_EXCHANGE_ENABLED is true/,
      );
      expect(() => loadConfig(exchangeEnv("c2hvcnQ=", 86_400))).toThrow(/WARDEN_EXCHANGE_KEY: must be the base64/);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe("rotating WARDEN_EXCHANGE_KEY", () => {
  let db: TestDatabase;
  afterAll(async () => {
    await db?.drop();
  });

  it("a replica given the old key among WARDEN_EXCHANGE_OLD_KEYS seals the signing keys again under the new one", async () => {
    db = await createTestDatabase();
    const [before, after] = [randomBytes(32).toString("base64"), randomBytes(32).toString("base64")];
    const sealed = async () =>
      (await db.query<{ private_key_encrypted: Buffer }>("SELECT private_key_encrypted FROM signing_keys")).map((row) =>
        row.private_key_encrypted.toString("base64"),
      );
    const first = await startTestWarden(exchangeEnv(before, 86_400), {}, db);
    const metadata = bearer(await createToken(db.url, "rotating-exchanger", ["tokens:exchange"]));
    const issued = await first.client.exchangeToken(request(), { metadata });
    const underBefore = await sealed();
    await first.stop();

    await expect(startTestWarden(exchangeEnv(after, 86_400), {}, db)).rejects.toThrow(
      /WARDEN_EXCHANGE_KEY does not decrypt signing key/,
    );
    const rotating = await startTestWarden({ ...exchangeEnv(after, 86_400), WARDEN_EXCHANGE_OLD_KEYS: before }, {}, db);
    expect(await sealed()).not.toEqual(underBefore);
    expect(
      (await rotating.client.authenticate({ credential: issued.accessToken, client: undefined, sourceService: "" }))
        .authenticated,
    ).toBe(true);
    await rotating.stop();

    // Sealed under the new key alone now: a replica without the old one starts and signs with the same key.
    const rotated = await startTestWarden(exchangeEnv(after, 86_400), {}, db);
    try {
      const signed = await rotated.client.exchangeToken(request(), { metadata });
      expect(decodeProtectedHeader(signed.accessToken).kid).toBe(decodeProtectedHeader(issued.accessToken).kid);
    } finally {
      await rotated.stop();
    }
    await expect(startTestWarden(exchangeEnv(before, 86_400), {}, db)).rejects.toThrow(
      /WARDEN_EXCHANGE_KEY does not decrypt signing key/,
    );
    expect(() => loadConfig({ ...exchangeEnv(after, 86_400), WARDEN_EXCHANGE_OLD_KEYS: `${before},c2hvcnQ=` })).toThrow(
      /WARDEN_EXCHANGE_OLD_KEYS: entry 2 must be the base64 of exactly 32 bytes/,
    );
  });
});

describe("Warden's own tokens on Authenticate", () => {
  let t: TestWarden;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    t = await startTestWarden(
      {
        ...exchangeEnv(randomBytes(32).toString("base64"), 86_400),
        DATABASE_URL: proxy.rewrite(db.url),
        WARDEN_DB_CONNECT_TIMEOUT_MS: "500",
        WARDEN_DB_STATEMENT_TIMEOUT_MS: "500",
        // A first login's risk profile is read from the database; this shows verification alone.
        WARDEN_RISK_ENABLED: "false",
      },
      {},
      db,
    );
  });
  afterAll(async () => {
    proxy.blackhole = false;
    await t?.stop();
    await proxy?.stop();
    await t?.db.drop();
  });

  it("are verified with no database read: accepted while the database answers nothing", async () => {
    const metadata = bearer(await createToken(t.db.url, "frozen-exchanger", ["tokens:exchange"]));
    const issued = await t.client.exchangeToken(request(), { metadata });
    const unseen = await createToken(t.db.url, "never-used", ["events:read"]);
    let acceptedEventId = "";
    proxy.blackhole = true;
    try {
      const authenticate = (credential: string) =>
        t.client.authenticate({ credential, client: undefined, sourceService: "" }, { deadlineMs: 1500 });
      // Never seen before by this replica: verified against the signing keys in memory.
      const accepted = await authenticate(issued.accessToken);
      expect(accepted.authenticated).toBe(true);
      expect(accepted.principal?.tokenId).toBe(issued.tokenId);
      acceptedEventId = accepted.eventId;
      // A credential that needs the database cannot be answered now: the database is really gone.
      const error = await callError(authenticate(unseen));
      expect([status.DEADLINE_EXCEEDED, status.UNAVAILABLE]).toContain(error.code);
    } finally {
      proxy.blackhole = false;
    }
    // The acceptance's event is written once the database is back.
    await eventually(async () => {
      const listed = await t.listEvents(ListEventsRequest.fromPartial({ type: EventType.TOKEN_AUTH_SUCCESS }));
      return listed.events.find((event) => event.eventId === acceptedEventId);
    }, 10_000);
  });
});
