import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import type { ASYMMETRIC_JWT_ALGORITHMS } from "../../src/config.js";

export interface SigningKey {
  kid: string;
  alg: (typeof ASYMMETRIC_JWT_ALGORITHMS)[number];
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(alg: SigningKey["alg"], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
  });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export const ISSUER = "https://idp.test.example";
export const AUDIENCE = "warden-tests";

/** A JWT signed by `key` with sensible defaults that each test overrides. */
export async function signJwt(
  key: SigningKey,
  claims: JWTPayload = {},
  header: { alg?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "user-1", iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: header.alg ?? key.alg, kid: key.kid, typ: "JWT" })
    .sign(key.privateKey);
}

/** A JWKS endpoint on loopback whose keys and availability a test controls. */
export class FakeIdentityProvider {
  keys: SigningKey[] = [];
  available = true;
  requests = 0;
  private server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.requests += 1;
      if (!this.available) {
        response.writeHead(503).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: this.keys.map((key) => key.publicJwk) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
