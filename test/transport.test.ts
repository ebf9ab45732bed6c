import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthServiceClient, AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason } from "../src/gen/warden/v1/event.js";
import { certificates as signedCertificates, SERVER_CERTIFICATE } from "./support/certificates.js";
import { createToken, startTestWarden, type TestWarden } from "./support/warden.js";

const run = promisify(execFile);

/** A CA, a server certificate for 127.0.0.1 and two client certificates (one trusted, one not). */
const certificates = () =>
  signedCertificates([SERVER_CERTIFICATE, ["client", "/CN=billing-api", "extendedKeyUsage=clientAuth"]]);

function authenticate(client: AuthServiceClient): Promise<FailureReason> {
  return new Promise((resolve, reject) =>
    client.authenticate(
      AuthenticateRequest.fromPartial({ credential: "not-a-token" }),
      new Metadata(),
      { deadline: Date.now() + 3000 },
      (error, response) => (error ? reject(error) : resolve(response.failureReason)),
    ),
  );
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: ServiceError) => error.code,
  );

describe("TLS", () => {
  let certs: Record<string, string>;
  let ca: Buffer;
  beforeAll(async () => {
    certs = await certificates();
    ca = await readFile(certs["ca.crt"]!);
  });

  it("serves TLS when a certificate and key are configured, and refuses plaintext callers", async () => {
    const t = await startTestWarden({
      WARDEN_PLAINTEXT: undefined,
      WARDEN_TLS_CERT_FILE: certs["server.crt"],
      WARDEN_TLS_KEY_FILE: certs["server.key"],
    });
    try {
      const address = `127.0.0.1:${t.warden.grpcPort}`;
      const secure = new AuthServiceClient(address, credentials.createSsl(ca));
      expect(await authenticate(secure)).toBe(FailureReason.MALFORMED_CREDENTIAL);
      secure.close();
      const plain = new AuthServiceClient(address, credentials.createInsecure());
      expect(await failure(authenticate(plain))).toBe(status.UNAVAILABLE);
      plain.close();
    } finally {
      await t.stop();
    }
  });

  it("with a client CA bundle, accepts only callers whose certificate it signed (mTLS)", async () => {
    const t = await startTestWarden({
      WARDEN_PLAINTEXT: undefined,
      WARDEN_TLS_CERT_FILE: certs["server.crt"],
      WARDEN_TLS_KEY_FILE: certs["server.key"],
      WARDEN_TLS_CLIENT_CA_FILE: certs["ca.crt"],
    });
    try {
      const address = `127.0.0.1:${t.warden.grpcPort}`;
      const withCert = async (cert?: string, key?: string) => {
        const client = new AuthServiceClient(
          address,
          credentials.createSsl(ca, key ? await readFile(key) : null, cert ? await readFile(cert) : null),
        );
        try {
          return await authenticate(client).then(
            () => "ok",
            (error: ServiceError) => error.code,
          );
        } finally {
          client.close();
        }
      };
      expect(await withCert(certs["client.crt"], certs["client.key"])).toBe("ok");
      expect(await withCert()).toBe(status.UNAVAILABLE);
      expect(await withCert(certs["stranger.crt"], certs["stranger.key"])).toBe(status.UNAVAILABLE);
    } finally {
      await t.stop();
    }
  });
});

describe("server reflection", () => {
  let t: TestWarden;
  beforeAll(async () => {
    t = await startTestWarden();
  });
  afterAll(async () => {
    await t.stop();
  });

  const bufCurl = async (method: string, body: object, headers: string[] = []) => {
    const { stdout } = await run(path.join("node_modules", ".bin", "buf"), [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      ...headers.flatMap((header) => ["-H", header]),
      "-d",
      JSON.stringify(body),
      `http://127.0.0.1:${t.warden.grpcPort}/${method}`,
    ]);
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  it("lets buf curl call Health, Authenticate and LogEvent without the proto files", async () => {
    expect(await bufCurl("grpc.health.v1.Health/Check", {})).toEqual({ status: "SERVING" });
    expect(await bufCurl("grpc.health.v1.Health/Check", { service: "warden.v1.AuthService" })).toEqual({
      status: "SERVING",
    });
    expect(await bufCurl("warden.v1.AuthService/Authenticate", { credential: "x" })).toMatchObject({
      failureReason: "FAILURE_REASON_MALFORMED_CREDENTIAL",
    });
    const reporter = await createToken(t.db.url, "buf-reporter", ["events:write"]);
    const logged = await bufCurl(
      "warden.v1.AuthService/LogEvent",
      { event: { type: "EVENT_TYPE_LOGIN_SUCCESS", outcome: "OUTCOME_SUCCESS", principal: { subject: "via-buf" } } },
      [`authorization: Bearer ${reporter}`],
    );
    expect(logged.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
