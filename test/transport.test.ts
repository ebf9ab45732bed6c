import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthServiceClient, AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason } from "../src/gen/warden/v1/event.js";
import { createToken, startTestWarden, type TestWarden } from "./support/warden.js";

const run = promisify(execFile);

/** A CA, a server certificate for 127.0.0.1 and two client certificates (one trusted, one not). */
async function certificates(): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(tmpdir(), "warden-tls-"));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const selfSigned = (name: string, subject: string) =>
    openssl(
      "req",
      "-x509",
      ...newKey,
      "-days",
      "1",
      "-subj",
      subject,
      "-keyout",
      f(`${name}.key`),
      "-out",
      f(`${name}.crt`),
    );

  await selfSigned("ca", "/CN=warden-test-ca");
  await selfSigned("stranger", "/CN=stranger");
  for (const [name, subject, extension] of [
    ["server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    ["client", "/CN=billing-api", "extendedKeyUsage=clientAuth"],
  ] as const) {
    await openssl("req", ...newKey, "-subj", subject, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`));
    await writeFile(f(`${name}.ext`), extension);
    await openssl(
      "x509",
      "-req",
      "-in",
      f(`${name}.csr`),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      f(`${name}.ext`),
      "-out",
      f(`${name}.crt`),
    );
  }
  return Object.fromEntries(
    ["ca.crt", "server.crt", "server.key", "client.crt", "client.key", "stranger.crt", "stranger.key"].map((name) => [
      name,
      f(name),
    ]),
  );
}

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
