import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason } from "../src/gen/warden/v1/event.js";
import {
  CreateServiceTokenRequest,
  RevokeServiceTokenRequest,
  RotateServiceTokenRequest,
} from "../src/gen/warden/v1/token_service.js";
import {
  bearer,
  createTokenWithCli,
  startReplica,
  startTestWarden,
  type AuthClient,
  type Replica,
  type TestWarden,
} from "./support/warden.js";

/** Milliseconds until `credential` is refused by `client` with `reason`, polling every 20 ms for up to 5 s. */
async function msUntilRefused(client: AuthClient, credential: string, reason: FailureReason): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 5000) {
    const response = await client.authenticate(AuthenticateRequest.fromPartial({ credential }));
    if (!response.authenticated) {
      expect(FailureReason[response.failureReason]).toBe(FailureReason[reason]);
      return Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("still accepted after 5 s");
}

describe("two replicas on one database", () => {
  let a: TestWarden;
  let b: Replica;
  let admin: ReturnType<typeof bearer>;

  beforeAll(async () => {
    a = await startTestWarden();
    admin = bearer(await createTokenWithCli(a.db.url, "replica-admin", "admin"));
    b = await startReplica(a.db.url);
  });
  afterAll(async () => {
    b.client.close();
    b.process.kill("SIGTERM");
    await once(b.process, "exit");
    await a.stop();
  });

  async function warmOnReplica(name: string, extra: Partial<CreateServiceTokenRequest> = {}): Promise<string> {
    const { secret } = await a.tokens.createServiceToken(
      CreateServiceTokenRequest.fromPartial({ name, scopes: ["events:write"], ...extra }),
      { metadata: admin },
    );
    for (let i = 0; i < 3; i += 1) {
      expect((await b.client.authenticate(AuthenticateRequest.fromPartial({ credential: secret }))).authenticated).toBe(
        true,
      );
    }
    return secret;
  }

  it("a token revoked through one replica is refused by the other within a second", async () => {
    const secret = await warmOnReplica("revoke-me");
    const revoked = a.tokens.revokeServiceToken(
      RevokeServiceTokenRequest.fromPartial({ token: { name: "revoke-me" }, reason: "leaked" }),
      { metadata: admin },
    );
    await revoked;
    expect(await msUntilRefused(b.client, secret, FailureReason.TOKEN_REVOKED)).toBeLessThan(1000);
  });

  it("a secret rotated out through one replica is refused by the other within a second", async () => {
    const secret = await warmOnReplica("rotate-me");
    await a.tokens.rotateServiceToken(
      RotateServiceTokenRequest.fromPartial({ token: { name: "rotate-me" }, gracePeriod: { seconds: 0, nanos: 0 } }),
      { metadata: admin },
    );
    expect(await msUntilRefused(b.client, secret, FailureReason.TOKEN_ROTATED_OUT)).toBeLessThan(1000);
  });

  it("a token that expires is refused by a replica that cached it within a second of its expiry", async () => {
    const expiresAt = new Date(Date.now() + 2000);
    const secret = await warmOnReplica("expire-me", { expiresAt });
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now()));
    expect(await msUntilRefused(b.client, secret, FailureReason.EXPIRED)).toBeLessThan(1000);
  });
});
