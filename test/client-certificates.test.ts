import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthServiceClient, AuthenticateRequest, ListEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import type { AuthenticateResponse, ListEventsResponse } from "../src/gen/warden/v1/auth_service.js";
import {
  AuthorizationClient,
  CheckRequest,
  type CheckResponse,
} from "../src/gen/envoy/service/auth/v3/external_auth.js";
import { FailureReason, PrincipalKind } from "../src/gen/warden/v1/event.js";
import { certificates, SERVER_CERTIFICATE } from "./support/certificates.js";
import { eventually, startTestWarden, type TestWarden } from "./support/warden.js";

const SPIFFE_ID = "spiffe://example.org/ns/billing/sa/api";

let certs: Record<string, string>;
let t: TestWarden;
let address: string;

beforeAll(async () => {
  certs = await certificates([
    SERVER_CERTIFICATE,
    ["workload", "/CN=billing-api", `subjectAltName=URI:${SPIFFE_ID}\nextendedKeyUsage=clientAuth`],
    ["nameless", "/O=no-common-name", "extendedKeyUsage=clientAuth"],
  ]);
  const dir = await mkdtemp(path.join(tmpdir(), "warden-x509-"));
  const mappings = path.join(dir, "mappings.yaml");
  await writeFile(
    mappings,
    [
      "mappings:",
      "  - principal: spiffe://example.org/ns/billing/*",
      "    scopes: [events:read]",
      "    roles: [auditor]",
    ].join("\n"),
  );
  t = await startTestWarden({
    WARDEN_PLAINTEXT: undefined,
    WARDEN_TLS_CERT_FILE: certs["server.crt"],
    WARDEN_TLS_KEY_FILE: certs["server.key"],
    WARDEN_TLS_CLIENT_CA_FILE: certs["ca.crt"],
    WARDEN_X509_PRINCIPAL: "spiffe",
    WARDEN_X509_MAPPINGS_FILE: mappings,
    WARDEN_X509_FORWARDED_CA_FILE: certs["ca.crt"],
  });
  address = `127.0.0.1:${t.warden.grpcPort}`;
});
afterAll(async () => {
  await t?.stop();
});

async function tls(name: string): Promise<ChannelCredentials> {
  const [ca, key, cert] = await Promise.all([
    readFile(certs["ca.crt"]!),
    readFile(certs[`${name}.key`]!),
    readFile(certs[`${name}.crt`]!),
  ]);
  return credentials.createSsl(ca, key, cert);
}

function unary<Response>(start: (callback: (error: ServiceError | null, response: Response) => void) => void) {
  return new Promise<Response>((resolve, reject) =>
    start((error, response) => (error ? reject(error) : resolve(response))),
  );
}

const deadline = () => ({ deadline: Date.now() + 5000 });

async function authenticateWith(certificate: string): Promise<AuthenticateResponse> {
  const client = new AuthServiceClient(address, await tls(certificate));
  try {
    return await unary<AuthenticateResponse>((callback) =>
      client.authenticate(AuthenticateRequest.fromPartial({}), new Metadata(), deadline(), callback),
    );
  } finally {
    client.close();
  }
}

async function extAuthz(forwarded: string | undefined): Promise<CheckResponse> {
  // The caller is Envoy, on a connection of its own (here, the workload's certificate stands in for Envoy's).
  const client = new AuthorizationClient(address, await tls("workload"));
  const pem = forwarded === undefined ? "" : encodeURIComponent(await readFile(certs[forwarded]!, "utf8"));
  try {
    return await unary<CheckResponse>((callback) =>
      client.check(
        CheckRequest.fromPartial({
          attributes: {
            source: { address: { socketAddress: { address: "10.0.0.7", portValue: 5000 } }, certificate: pem },
            request: { http: { method: "GET", path: "/reports/7", headers: {} } },
            contextExtensions: { warden_permission: "events:read" },
          },
        }),
        new Metadata(),
        deadline(),
        callback,
      ),
    );
  } finally {
    client.close();
  }
}

const headerValue = (response: CheckResponse, name: string) =>
  response.okResponse?.headers.find((entry) => entry.header?.key === name)?.header?.value;

describe("client certificates", () => {
  it("authenticate a caller over mTLS as its SPIFFE ID, with the scopes and roles mapped to it", async () => {
    const answer = await authenticateWith("workload");
    expect(answer.authenticated).toBe(true);
    expect(answer.principal).toMatchObject({
      subject: SPIFFE_ID,
      kind: PrincipalKind.WORKLOAD,
      scopes: ["events:read"],
      roles: ["auditor"],
    });
    // The certificate is a caller credential too: its mapped scope lets it read events, with no token.
    const client = new AuthServiceClient(address, await tls("workload"));
    try {
      const events = await eventually(async () => {
        const page = await unary<ListEventsResponse>((callback) =>
          client.listEvents(
            ListEventsRequest.fromPartial({ identityProvider: "x509" }),
            new Metadata(),
            deadline(),
            callback,
          ),
        );
        return page.events.find((event) => event.eventId === answer.eventId);
      });
      expect(events.principal?.subject).toBe(SPIFFE_ID);
    } finally {
      client.close();
    }
  });

  it("refuses a certificate from another CA at the handshake", async () => {
    const client = new AuthServiceClient(address, await tls("stranger"));
    const error = await unary((callback) =>
      client.authenticate(AuthenticateRequest.fromPartial({}), new Metadata(), deadline(), callback),
    ).then(
      () => undefined,
      (caught: ServiceError) => caught,
    );
    client.close();
    expect(error?.code).toBe(status.UNAVAILABLE);
  });

  it("refuses a certificate without the configured name", async () => {
    const answer = await authenticateWith("nameless");
    expect(answer.failureReason).toBe(FailureReason.CERTIFICATE_IDENTITY_MISSING);
  });
});

describe("ext_authz with a forwarded client certificate", () => {
  it("authenticates the certificate Envoy forwards, when it chains to the configured CA", async () => {
    const allowed = await extAuthz("workload.crt");
    expect(allowed.status?.code).toBe(0);
    expect(headerValue(allowed, "x-warden-subject")).toBe(SPIFFE_ID);
    expect(headerValue(allowed, "x-warden-principal-kind")).toBe("workload");
  });

  it("refuses a forwarded certificate from another CA, and a request with no credential at all", async () => {
    const stranger = await extAuthz("stranger.crt");
    expect(stranger.deniedResponse?.status?.code).toBe(401);
    expect(
      stranger.deniedResponse?.headers.find((entry) => entry.header?.key === "x-warden-reason")?.header?.value,
    ).toBe("untrusted_certificate");
    const none = await extAuthz(undefined);
    expect(none.deniedResponse?.headers.find((entry) => entry.header?.key === "x-warden-reason")?.header?.value).toBe(
      "missing_credential",
    );
  });
});
