import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { importSPKI, jwtVerify } from "jose";

export const CLIENT_ID = "warden client";
export const CLIENT_SECRET = "s3cret:with/odd+chars";

/**
 * An RFC 7662 introspection endpoint on loopback. It answers from `tokens`
 * (unknown tokens are inactive), authenticates its client by
 * client_secret_basic or, given `assertionKey`, by private_key_jwt, and lets a
 * test make it slow or drop connections.
 */
export class FakeIntrospectionServer {
  tokens = new Map<string, Record<string, unknown>>();
  requests = 0;
  delayMs = 0;
  dropConnections = false;
  /** A PEM public key: the client must authenticate with a JWT signed by its private key. */
  assertionKey: { pem: string; alg: string } | undefined;
  private server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/oauth2/introspect`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.requests += 1;
      if (this.dropConnections) {
        request.socket.destroy();
        return;
      }
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        setTimeout(() => {
          void this.answer(request.headers.authorization, new URLSearchParams(body)).then(([status, answer]) => {
            if (!response.destroyed) {
              response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(answer));
            }
          });
        }, this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return this;
  }

  private async answer(authorization: string | undefined, form: URLSearchParams): Promise<[number, unknown]> {
    if (!(await this.clientAuthenticated(authorization, form))) return [401, { error: "invalid_client" }];
    return [200, this.tokens.get(form.get("token") ?? "") ?? { active: false }];
  }

  private async clientAuthenticated(authorization: string | undefined, form: URLSearchParams): Promise<boolean> {
    if (this.assertionKey === undefined) {
      const expected = `${encodeURIComponent(CLIENT_ID).replace(/%20/g, "+")}:${encodeURIComponent(CLIENT_SECRET)}`;
      return authorization === `Basic ${Buffer.from(expected).toString("base64")}`;
    }
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") return false;
    try {
      const key = await importSPKI(this.assertionKey.pem, this.assertionKey.alg);
      const { payload } = await jwtVerify(form.get("client_assertion") ?? "", key, {
        issuer: CLIENT_ID,
        subject: CLIENT_ID,
        audience: this.url,
      });
      return typeof payload.jti === "string";
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
