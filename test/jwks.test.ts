import { randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileKeyResolver, RemoteJwks } from "../src/authn/jwks.js";
import { JwtVerifier, type JwtPolicy } from "../src/authn/jwt.js";
import { FailureReason } from "../src/gen/warden/v1/event.js";
import { AUDIENCE, FakeIdentityProvider, ISSUER, signingKey, signJwt } from "./support/identity-provider.js";

const policy: JwtPolicy = {
  issuer: ISSUER,
  audience: [AUDIENCE],
  algorithms: ["RS256", "ES256"],
  clockToleranceSeconds: 0,
  rolesClaim: "roles",
};
const silent = pino({ level: "silent" });

describe("RemoteJwks", () => {
  let idp: FakeIdentityProvider;
  let clock: number;
  const options = () => ({ cacheMaxAgeMs: 60_000, cooldownMs: 30_000, timeoutMs: 1000, now: () => clock });

  beforeEach(async () => {
    idp = await new FakeIdentityProvider().start();
    clock = 1_000_000;
  });
  afterEach(async () => {
    await idp.stop();
  });

  it("fetches once and serves later tokens from the cache", async () => {
    const key = await signingKey("RS256", "k1");
    idp.keys = [key];
    const verifier = new JwtVerifier(new RemoteJwks(idp.url, options(), silent).resolve, policy);
    for (let i = 0; i < 5; i += 1) expect((await verifier.verify(await signJwt(key))).ok).toBe(true);
    expect(idp.requests).toBe(1);
  });

  it("refetches on an unknown kid to pick up a rotated key, at most once per cooldown", async () => {
    const old = await signingKey("RS256", "old");
    const rotated = await signingKey("ES256", "new");
    const bogus = await signingKey("RS256", "bogus");
    idp.keys = [old];
    const verifier = new JwtVerifier(new RemoteJwks(idp.url, options(), silent).resolve, policy);
    expect((await verifier.verify(await signJwt(old))).ok).toBe(true);

    idp.keys = [old, rotated];
    clock += 31_000;
    expect((await verifier.verify(await signJwt(rotated))).ok).toBe(true);
    expect(idp.requests).toBe(2);

    // A flood of unknown kids inside the cooldown costs no further fetches.
    for (let i = 0; i < 10; i += 1) {
      const result = await verifier.verify(await signJwt(bogus));
      expect(result.ok === false && result.reason).toBe(FailureReason.UNKNOWN_KEY);
    }
    expect(idp.requests).toBe(2);
  });

  it("keeps the last good keys while the identity provider is down", async () => {
    const key = await signingKey("RS256", "k1");
    idp.keys = [key];
    // Distinct tokens (jti), so each verification reaches the key set rather than the verified-token cache.
    const verifier = new JwtVerifier(new RemoteJwks(idp.url, options(), silent).resolve, policy);
    expect((await verifier.verify(await signJwt(key, { jti: randomUUID() }))).ok).toBe(true);

    idp.available = false;
    clock += 10 * 60_000; // well past cacheMaxAge: a refresh is attempted and fails
    expect((await verifier.verify(await signJwt(key, { jti: randomUUID() }))).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await verifier.verify(await signJwt(key, { jti: randomUUID() }))).ok).toBe(true);
    expect(idp.requests).toBeGreaterThanOrEqual(2);
  });

  it("reports KEYS_UNAVAILABLE when it has never obtained keys", async () => {
    idp.available = false;
    const verifier = new JwtVerifier(new RemoteJwks(idp.url, options(), silent).resolve, policy);
    const result = await verifier.verify(await signJwt(await signingKey("RS256", "k1")));
    expect(result.ok === false && result.reason).toBe(FailureReason.KEYS_UNAVAILABLE);
  });

  it("bounds a fetch that never answers", async () => {
    const { createServer } = await import("node:net");
    const sockets: import("node:net").Socket[] = [];
    const blackhole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", resolve));
    const port = (blackhole.address() as import("node:net").AddressInfo).port;
    try {
      const jwks = new RemoteJwks(`http://127.0.0.1:${port}/jwks`, { ...options(), timeoutMs: 200 }, silent);
      const started = Date.now();
      const result = await new JwtVerifier(jwks.resolve, policy).verify(await signJwt(await signingKey("RS256", "k")));
      expect(result.ok === false && result.reason).toBe(FailureReason.KEYS_UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      blackhole.close();
    }
  });
});

describe("JWKS file", () => {
  it("verifies against keys read from a local file", async () => {
    const key = await signingKey("ES256", "file-key");
    const dir = await mkdtemp(path.join(tmpdir(), "warden-jwks-"));
    const file = path.join(dir, "jwks.json");
    await writeFile(file, JSON.stringify({ keys: [key.publicJwk] }));
    const verifier = new JwtVerifier(await fileKeyResolver(file), policy);
    expect(await verifier.verify(await signJwt(key, { sub: "from-file" }))).toMatchObject({
      ok: true,
      claims: { subject: "from-file" },
    });
  });

  it("refuses a file that is not a key set", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "warden-jwks-"));
    const file = path.join(dir, "jwks.json");
    await writeFile(file, JSON.stringify({ nope: true }));
    await expect(fileKeyResolver(file)).rejects.toThrow(/not a JWKS/);
  });
});

describe("clock tolerance", () => {
  it("accepts a token expired by less than the tolerance and refuses one beyond it", async () => {
    const key = await signingKey("RS256", "k");
    const dir = await mkdtemp(path.join(tmpdir(), "warden-jwks-"));
    const file = path.join(dir, "jwks.json");
    await writeFile(file, JSON.stringify({ keys: [key.publicJwk] }));
    const verifier = new JwtVerifier(await fileKeyResolver(file), { ...policy, clockToleranceSeconds: 30 });
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect((await verifier.verify(await signJwt(key, { exp: nowSeconds - 10 }))).ok).toBe(true);
    const late = await verifier.verify(await signJwt(key, { exp: nowSeconds - 60 }));
    expect(late.ok === false && late.reason).toBe(FailureReason.EXPIRED);
  });
});

describe("verified-token cache", () => {
  it("verifies a repeated token once, and again after it expires", async () => {
    const key = await signingKey("RS256", "k");
    const dir = await mkdtemp(path.join(tmpdir(), "warden-jwks-"));
    const file = path.join(dir, "jwks.json");
    await writeFile(file, JSON.stringify({ keys: [key.publicJwk] }));
    const keys = await fileKeyResolver(file);
    let keyLookups = 0;
    let clock = Date.now();
    const verifier = new JwtVerifier(
      (header, token) => {
        keyLookups += 1;
        return keys(header, token);
      },
      policy,
      () => new Date(clock),
    );
    const token = await signJwt(key, { exp: Math.floor(clock / 1000) + 60 });
    for (let i = 0; i < 5; i += 1) expect((await verifier.verify(token)).ok).toBe(true);
    expect(keyLookups).toBe(1);

    clock += 61_000;
    const later = await verifier.verify(token);
    expect(later.ok === false && later.reason).toBe(FailureReason.EXPIRED);
    expect(keyLookups).toBe(2);
  });
});
