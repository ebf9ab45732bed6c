import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { generateKeyPairSync, sign } from "node:crypto";
import { SignJWT, base64url, exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { ASYMMETRIC_JWT_ALGORITHMS } from "../src/config.js";
import { FailureReason, PrincipalKind } from "../src/gen/warden/v1/event.js";
import { AUDIENCE, ISSUER, signingKey, signJwt, type SigningKey } from "./support/identity-provider.js";
import {
  eventually,
  startTestWarden,
  startTestWardenWithIdentityProvider,
  type TestWardenWithIdentityProvider,
} from "./support/warden.js";

let rsa: SigningKey;
let ec: SigningKey;
let pss: SigningKey;
let t: TestWardenWithIdentityProvider;

beforeAll(async () => {
  [rsa, ec, pss] = await Promise.all([
    signingKey("RS256", "rsa-1"),
    signingKey("ES256", "ec-1"),
    signingKey("PS256", "ps-1"),
  ]);
  t = await startTestWardenWithIdentityProvider(
    {
      WARDEN_JWT_ALGORITHMS: "RS256,ES256",
      WARDEN_JWT_CLOCK_TOLERANCE_SECONDS: "5",
      WARDEN_JWT_ROLES_CLAIM: "realm_access.roles",
      // These tests fail one subject from one address many times; lockout has tests of its own.
      WARDEN_LOCKOUT_SUBJECT: "max_failures=1000",
      WARDEN_LOCKOUT_SUBJECT_IP: "max_failures=1000",
    },
    { keys: [rsa, ec, pss] },
  );
});
afterAll(() => t.stop());

const authenticate = (credential: string) =>
  t.client.authenticate(
    AuthenticateRequest.fromPartial({
      credential,
      client: { ipAddress: "203.0.113.5", userAgent: "test-agent", requestId: "r-1" },
      sourceService: "gateway",
    }),
  );

interface StoredEvent {
  type: string;
  outcome: string;
  failure_reason: string | null;
  subject: string | null;
  principal_kind: string | null;
  source_service: string | null;
  client_ip: string | null;
}

const storedEvent = (eventId: string) =>
  eventually(async () => {
    const rows = await t.db.query<StoredEvent>(
      "SELECT type, outcome, failure_reason, subject, principal_kind, source_service, host(client_ip) AS client_ip FROM security_events WHERE event_id = $1",
      [eventId],
    );
    return rows[0];
  });

const now = () => Math.floor(Date.now() / 1000);

describe("Authenticate with a JWT", () => {
  it("returns the principal for a valid RS256 token and records a success event", async () => {
    const token = await signJwt(rsa, {
      sub: "alice",
      email: "alice@example.com",
      scope: "events:read events:write",
      scp: ["tokens:read"],
      realm_access: { roles: ["admin", "auditor"] },
      jti: "jwt-id-1",
    });
    const response = await authenticate(token);
    expect(response.authenticated).toBe(true);
    expect(response.failureReason).toBe(FailureReason.UNSPECIFIED);
    expect(response.principal).toMatchObject({
      subject: "alice",
      kind: PrincipalKind.USER,
      email: "alice@example.com",
      scopes: ["events:read", "events:write", "tokens:read"],
      roles: ["admin", "auditor"],
      tokenId: "jwt-id-1",
    });
    expect(Math.abs(response.principal!.expiresAt!.getTime() / 1000 - (now() + 300))).toBeLessThanOrEqual(2);

    expect(await storedEvent(response.eventId)).toEqual({
      type: "TOKEN_AUTH_SUCCESS",
      outcome: "SUCCESS",
      failure_reason: null,
      subject: "alice",
      principal_kind: "USER",
      source_service: "gateway",
      client_ip: "203.0.113.5",
    });
  });

  it("accepts ES256", async () => {
    const response = await authenticate(await signJwt(ec, { sub: "bob" }));
    expect(response.authenticated).toBe(true);
    expect(response.principal!.subject).toBe("bob");
  });

  it("answers each repeated token from the cache with its own principal, whichever was asked last", async () => {
    const dave = await signJwt(rsa, { sub: "dave" });
    const erin = await signJwt(rsa, { sub: "erin" });
    const subjects = [];
    for (const token of [dave, erin, dave, dave, erin]) subjects.push((await authenticate(token)).principal?.subject);
    expect(subjects).toEqual(["dave", "erin", "dave", "dave", "erin"]);
  });

  it("takes the credential from `authorization: Bearer` metadata", async () => {
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${await signJwt(rsa, { sub: "carol" })}`);
    const response = await t.client.authenticate(AuthenticateRequest.fromPartial({}), { metadata });
    expect(response.principal?.subject).toBe("carol");
  });

  const failures: [string, () => Promise<string>, FailureReason][] = [
    ["an expired token", () => signJwt(rsa, { exp: now() - 60 }), FailureReason.EXPIRED],
    ["a token not yet valid", () => signJwt(rsa, { nbf: now() + 600 }), FailureReason.NOT_YET_VALID],
    ["a wrong issuer", () => signJwt(rsa, { iss: "https://evil.example" }), FailureReason.WRONG_ISSUER],
    ["a wrong audience", () => signJwt(rsa, { aud: "someone-else" }), FailureReason.WRONG_AUDIENCE],
    [
      "a bad signature",
      async () => {
        const [header, payload] = (await signJwt(rsa)).split(".");
        const forged = (await signJwt(await signingKey("RS256", "rsa-1"))).split(".")[2];
        return `${header}.${payload}.${forged}`;
      },
      FailureReason.INVALID_SIGNATURE,
    ],
    ["an unknown kid", async () => signJwt(await signingKey("RS256", "never-published")), FailureReason.UNKNOWN_KEY],
    [
      "alg: none",
      () =>
        Promise.resolve(
          `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url.encode(
            JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: now() + 300 }),
          )}.`,
        ),
      FailureReason.DISALLOWED_ALGORITHM,
    ],
    [
      "HS256 signed with a guessable secret",
      () =>
        new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: now() + 300 })
          .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
          .sign(new TextEncoder().encode("secret-secret-secret-secret-32b!")),
      FailureReason.DISALLOWED_ALGORITHM,
    ],
    ["an algorithm outside the allow-list (PS256)", () => signJwt(pss), FailureReason.DISALLOWED_ALGORITHM],
    ["a token without sub", () => signJwt(rsa, { sub: undefined }), FailureReason.MISSING_CLAIM],
    ["a token that is not a JWT", () => Promise.resolve("definitely not a token"), FailureReason.MALFORMED_CREDENTIAL],
    [
      "a JWT-shaped string that does not decode",
      () => Promise.resolve("abc.def.ghi"),
      FailureReason.MALFORMED_CREDENTIAL,
    ],
  ];

  it.each(failures)("refuses %s with its reason and records the failure", async (_, makeToken, reason) => {
    const response = await authenticate(await makeToken());
    expect(response.authenticated).toBe(false);
    expect(response.principal).toBeUndefined();
    expect(FailureReason[response.failureReason]).toBe(FailureReason[reason]);
    const event = await storedEvent(response.eventId);
    expect(event.type).toBe("TOKEN_AUTH_FAILURE");
    expect(event.failure_reason).toBe(FailureReason[reason]);
  });

  it("refuses an empty credential with INVALID_ARGUMENT", async () => {
    const error = await authenticate("").then(
      () => undefined,
      (caught: ServiceError) => caught,
    );
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/^credential: required/);
  });

  it("refuses a malformed client address with INVALID_ARGUMENT naming it", async () => {
    const error = await t.client
      .authenticate(AuthenticateRequest.fromPartial({ credential: "x", client: { ipAddress: "999.1.1.1" } }))
      .then(
        () => undefined,
        (caught: ServiceError) => caught,
      );
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe("client.ip_address: not an IPv4 or IPv6 address");
  });

  it("never stores the credential", async () => {
    const token = await signJwt(rsa, { sub: "secret-keeper" });
    const { eventId } = await authenticate(token);
    await storedEvent(eventId);
    const rows = await t.db.query("SELECT * FROM security_events WHERE event_id = $1", [eventId]);
    expect(JSON.stringify(rows)).not.toContain(token.split(".")[2]);
  });
});

describe("Authenticate without a JWT key source", () => {
  it("reports JWTs as unsupported rather than accepting them", async () => {
    const bare = await startTestWarden();
    try {
      const response = await bare.client.authenticate(
        AuthenticateRequest.fromPartial({ credential: await signJwt(rsa) }),
      );
      expect(response.authenticated).toBe(false);
      expect(response.failureReason).toBe(FailureReason.UNSUPPORTED_CREDENTIAL);
    } finally {
      await bare.stop();
    }
  });
});

describe("Authenticate with every allowed JWT algorithm", () => {
  let w: TestWardenWithIdentityProvider;
  let keys: SigningKey[];
  const weakRsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
  beforeAll(async () => {
    keys = await Promise.all(ASYMMETRIC_JWT_ALGORITHMS.map((alg) => signingKey(alg, `key-${alg}`)));
    const weakJwk = { ...(await exportJWK(weakRsa.publicKey)), kid: "weak", alg: "RS256" };
    w = await startTestWardenWithIdentityProvider(
      { WARDEN_JWT_ALGORITHMS: ASYMMETRIC_JWT_ALGORITHMS.join(",") },
      { keys: [...keys, { ...keys[0]!, kid: "weak", publicJwk: weakJwk }] },
    );
  });
  afterAll(() => w.stop());
  const verdict = async (credential: string) => {
    const response = await w.client.authenticate(AuthenticateRequest.fromPartial({ credential }));
    return response.authenticated ? "authenticated" : FailureReason[response.failureReason];
  };

  it.each(ASYMMETRIC_JWT_ALGORITHMS)("accepts %s and refuses it with a signature from another key", async (alg) => {
    const key = keys.find((k) => k.alg === alg)!;
    expect(await verdict(await signJwt(key, { sub: `user-${alg}` }))).toBe("authenticated");
    const impostor = await signingKey(alg, key.kid);
    expect(await verdict(await signJwt(impostor, { sub: `user-${alg}` }))).toBe("INVALID_SIGNATURE");
  });

  it("refuses an RSA key shorter than 2,048 bits", async () => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${base64url.encode(JSON.stringify({ alg: "RS256", kid: "weak" }))}.${base64url.encode(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: "weak", exp: now + 300 }),
    )}`;
    const token = `${input}.${base64url.encode(sign("sha256", Buffer.from(input), weakRsa.privateKey))}`;
    expect(await verdict(token)).toBe("INVALID_SIGNATURE");
  });

  it("refuses a token whose header names a critical extension it does not know", async () => {
    const key = keys[0]!;
    const token = await new SignJWT({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: "crit",
      exp: Math.floor(Date.now() / 1000) + 300,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, crit: ["x-unknown"], "x-unknown": true })
      .sign(key.privateKey, { crit: { "x-unknown": true } });
    expect(await verdict(token)).toBe("MALFORMED_CREDENTIAL");
  });
});
