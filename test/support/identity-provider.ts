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

/**
 * An identity provider on loopback whose keys and availability a test
 * controls: its JWKS, and an OpenID Connect discovery document naming it.
 */
export class FakeIdentityProvider {
  keys: SigningKey[] = [];
  available = true;
  requests = 0;
  discoveryRequests = 0;
  private server: Server | undefined;

  /** The issuer its discovery document names: the server's origin. */
  get issuer(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get url(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      if (request.url === "/.well-known/openid-configuration") {
        this.discoveryRequests += 1;
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ issuer: this.issuer, jwks_uri: this.url }));
        return;
      }
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
