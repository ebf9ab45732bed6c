import { credentials, Metadata, type CallOptions, type ServiceError } from "@grpc/grpc-js";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import type { JWTPayload } from "jose";
import { pino, type Logger } from "pino";
import { loadConfig, type Environment } from "../../src/config.js";
import { createPool } from "../../src/db/pool.js";
import type { Scope } from "../../src/authz/scopes.js";
import { ServiceTokens } from "../../src/tokens/tokens.js";
import {
  AuthServiceClient,
  type AuthenticateRequest,
  type AuthenticateResponse,
  type ListEventsRequest,
  type ListEventsResponse,
  type LogEventRequest,
  type LogEventResponse,
  type LogEventsRequest,
  type LogEventsResponse,
  type CheckLockoutRequest,
  type CheckLockoutResponse,
  type ExchangeTokenRequest,
  type ExchangeTokenResponse,
} from "../../src/gen/warden/v1/auth_service.js";
import { LockoutServiceClient } from "../../src/gen/warden/v1/lockout_service.js";
import { TokenServiceClient } from "../../src/gen/warden/v1/token_service.js";
import { AlertServiceClient } from "../../src/gen/warden/v1/alert_service.js";
import { RiskServiceClient } from "../../src/gen/warden/v1/risk_service.js";
import { RoleServiceClient } from "../../src/gen/warden/v1/role_service.js";
import { AccessServiceClient } from "../../src/gen/warden/v1/access_service.js";
import { AuthorizationClient } from "../../src/gen/envoy/service/auth/v3/external_auth.js";
import { startWarden, type RunningWarden, type WardenOverrides } from "../../src/main.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { AUDIENCE, FakeIdentityProvider, ISSUER, signingKey, signJwt, type SigningKey } from "./identity-provider.js";

const runFile = promisify(execFile);

type Callback<Response> = (error: ServiceError | null, response: Response) => void;
type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: Callback<Response>,
) => unknown;

function call<Request, Response>(method: UnaryMethod<Request, Response>) {
  return (request: Request, options: { metadata?: Metadata; deadlineMs?: number } = {}) =>
    new Promise<Response>((resolve, reject) => {
      method(
        request,
        options.metadata ?? new Metadata(),
        { deadline: Date.now() + (options.deadlineMs ?? 10_000) },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
}

export function lockoutClient(address: string) {
  return promised(new LockoutServiceClient(address, credentials.createInsecure()), ["listLockouts", "unlock"]);
}

export function alertClient(address: string) {
  const client = new AlertServiceClient(address, credentials.createInsecure());
  // raw: the generated client itself, for WatchAlerts (a stream).
  return {
    raw: client,
    ...promised(client, ["listAlerts", "getAlert", "acknowledgeAlert", "resolveAlert"]),
  };
}

export function riskClient(address: string) {
  return promised(new RiskServiceClient(address, credentials.createInsecure()), ["getRiskProfile"]);
}

type UnaryFace<Client> = {
  [
    Method in keyof Client as Client[Method] extends (
      request: infer _Request,
      metadata: Metadata,
      options: Partial<CallOptions>,
      callback: Callback<infer _Response>,
    ) => unknown
      ? Method
      : never
  ]: Client[Method] extends (
    request: infer Request,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: Callback<infer Response>,
  ) => unknown
    ? (request: Request, options?: { metadata?: Metadata; deadlineMs?: number }) => Promise<Response>
    : never;
};

/** Promise-returning faces of every unary method of a generated client, plus close(). */
function promised<Client extends { close(): void }>(client: Client, methods: (keyof Client & string)[]) {
  const face = Object.fromEntries(
    methods.map((name) => [name, call<unknown, unknown>((client[name] as UnaryMethod<unknown, unknown>).bind(client))]),
  );
  return { ...(face as UnaryFace<Client>), close: () => client.close() };
}

export function roleClient(address: string) {
  return promised(new RoleServiceClient(address, credentials.createInsecure()), [
    "createPermission",
    "listPermissions",
    "createRole",
    "getRole",
    "listRoles",
    "updateRole",
    "deleteRole",
    "grantPermission",
    "revokePermission",
    "assignRole",
    "unassignRole",
    "listSubjectPermissions",
  ]);
}
export type RoleClient = ReturnType<typeof roleClient>;

export function accessClient(address: string) {
  return promised(new AccessServiceClient(address, credentials.createInsecure()), ["check", "checkBatch"]);
}
export type AccessClient = ReturnType<typeof accessClient>;

/** Envoy's ext_authz client, generated from Warden's wire-compatible subset of Envoy's protos. */
export function extAuthzClient(address: string) {
  return promised(new AuthorizationClient(address, credentials.createInsecure()), ["check"]);
}

/** The error a call failed with; throws if it succeeded. */
export async function callError(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (caught: ServiceError) => caught,
  );
  if (error === undefined) throw new Error("expected the call to fail");
  return error;
}

export function tokenClient(address: string) {
  return promised(new TokenServiceClient(address, credentials.createInsecure()), [
    "createServiceToken",
    "getServiceToken",
    "listServiceTokens",
    "revokeServiceToken",
    "rotateServiceToken",
    "revokeAllServiceTokens",
  ]);
}

export type TokenClient = ReturnType<typeof tokenClient>;

/** Metadata carrying `authorization: Bearer <credential>`. */
export function bearer(credential: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${credential}`);
  return metadata;
}

const reporters = new Map<string, Promise<Metadata>>();

/** A credential holding events:write, as reporting services need: one token per database, made on first use. */
export function reporterOf(databaseUrl: string): () => Promise<Metadata> {
  return () => {
    let reporter = reporters.get(databaseUrl);
    if (reporter === undefined) {
      reporter = createToken(databaseUrl, `test-reporter-${randomUUID()}`, ["events:write"]).then(bearer);
      reporters.set(databaseUrl, reporter);
    }
    return reporter;
  };
}

/** After a test revokes every token: the next reporting call makes a new reporter. */
export function forgetReporter(databaseUrl: string): void {
  reporters.delete(databaseUrl);
}

/**
 * A promise-returning face of the generated AuthService client. Reporting
 * calls (LogEvent, LogEvents, CheckLockout) given no metadata carry
 * `reporter`'s credential.
 */
export function authClient(address: string, reporter?: () => Promise<Metadata>) {
  const client = new AuthServiceClient(address, credentials.createInsecure());
  const reporting = <Request, Response>(method: UnaryMethod<Request, Response>) => {
    const plain = call(method);
    return async (request: Request, options: { metadata?: Metadata; deadlineMs?: number } = {}) =>
      plain(
        request,
        options.metadata !== undefined || reporter === undefined ? options : { ...options, metadata: await reporter() },
      );
  };
  return {
    raw: client,
    authenticate: call<AuthenticateRequest, AuthenticateResponse>(client.authenticate.bind(client)),
    logEvent: reporting<LogEventRequest, LogEventResponse>(client.logEvent.bind(client)),
    logEvents: reporting<LogEventsRequest, LogEventsResponse>(client.logEvents.bind(client)),
    listEvents: call<ListEventsRequest, ListEventsResponse>(client.listEvents.bind(client)),
    checkLockout: reporting<CheckLockoutRequest, CheckLockoutResponse>(client.checkLockout.bind(client)),
    exchangeToken: call<ExchangeTokenRequest, ExchangeTokenResponse>(client.exchangeToken.bind(client)),
    close: () => client.close(),
  };
}

export type AuthClient = ReturnType<typeof authClient>;

export interface TestWarden {
  warden: RunningWarden;
  client: AuthClient;
  tokens: TokenClient;
  db: TestDatabase;
  /** ListEvents as a caller holding `events:read` (a service token made on first use). */
  listEvents(request: ListEventsRequest, options?: { deadlineMs?: number }): Promise<ListEventsResponse>;
  stop(): Promise<void>;
}

/** Makes a service token directly in the database, as the CLI does, and returns its secret. */
export async function createToken(databaseUrl: string, name: string, scopes: Scope[]): Promise<string> {
  const pool = createPool(
    { url: databaseUrl, max: 1, connectTimeoutMs: 5000, statementTimeoutMs: 5000 },
    pino({ level: "silent" }),
  );
  try {
    const created = await new ServiceTokens(pool).create(
      { name, scopes, expiresAt: undefined, description: "" },
      { principal: "test-support" },
    );
    return created.secret;
  } finally {
    await pool.end();
  }
}

/** The real server, in-process, on ephemeral ports, over a database of its own. */
export async function startTestWarden(
  env: Environment = {},
  overrides: WardenOverrides = {},
  db?: TestDatabase,
  /** Where the server logs; silent unless WARDEN_TEST_LOG_LEVEL says otherwise. */
  log: Logger = pino({ level: process.env.WARDEN_TEST_LOG_LEVEL ?? "silent" }),
): Promise<TestWarden> {
  const database = db ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: database.url,
    WARDEN_PLAINTEXT: "true",
    WARDEN_GRPC_HOST: "127.0.0.1",
    WARDEN_GRPC_PORT: "0",
    WARDEN_HTTP_HOST: "127.0.0.1",
    WARDEN_HTTP_PORT: "0",
    WARDEN_SHUTDOWN_GRACE_MS: "3000",
    ...env,
  });
  const warden = await startWarden(config, log, overrides);
  const client = authClient(`127.0.0.1:${warden.grpcPort}`, reporterOf(database.url));
  const tokens = tokenClient(`127.0.0.1:${warden.grpcPort}`);
  let reader: Promise<Metadata> | undefined;
  return {
    warden,
    client,
    tokens,
    db: database,
    async listEvents(request, options = {}) {
      reader ??= createToken(database.url, "test-events-reader", ["events:read"]).then(bearer);
      return client.listEvents(request, { ...options, metadata: await reader });
    },
    async stop() {
      client.close();
      tokens.close();
      await warden.stop();
      if (db === undefined) await database.drop();
    },
  };
}

/** A test Warden that trusts a fake OIDC provider of its own; stop() stops both. */
export interface TestWardenWithIdentityProvider extends TestWarden {
  idp: FakeIdentityProvider;
  /** The provider's first key: the one sign() uses. */
  key: SigningKey;
  /** The settings that make a Warden trust `idp`, for replicas that must trust it too. */
  trustEnv: { WARDEN_JWKS_URL: string; WARDEN_JWT_ISSUER: string; WARDEN_JWT_AUDIENCE: string };
  /** A JWT from `idp`: signJwt's defaults (its issuer, audience, sub and lifetime) overridden by `claims`. */
  sign(claims?: JWTPayload): Promise<string>;
}

/**
 * startTestWarden with `env`, trusting a FakeIdentityProvider that publishes
 * `keys` (by default one ES256 key) for the issuer and audience signJwt uses.
 * The allowed algorithms stay Warden's default unless `env` names them.
 */
export async function startTestWardenWithIdentityProvider(
  env: Environment = {},
  options: { keys?: SigningKey[]; overrides?: WardenOverrides; db?: TestDatabase } = {},
): Promise<TestWardenWithIdentityProvider> {
  const keys = options.keys ?? [await signingKey("ES256", "idp-1")];
  const idp = await new FakeIdentityProvider().start();
  idp.keys = keys;
  const trustEnv = { WARDEN_JWKS_URL: idp.url, WARDEN_JWT_ISSUER: ISSUER, WARDEN_JWT_AUDIENCE: AUDIENCE };
  let t: TestWarden;
  try {
    t = await startTestWarden({ ...trustEnv, ...env }, options.overrides, options.db);
  } catch (error) {
    await idp.stop();
    throw error;
  }
  return {
    ...t,
    idp,
    key: keys[0]!,
    trustEnv,
    sign: (claims) => signJwt(keys[0]!, claims),
    async stop() {
      await t.stop();
      await idp.stop();
    },
  };
}

/** Runs the `warden` CLI from the sources against `databaseUrl`; resolves with its stdout. */
export async function wardenCli(databaseUrl: string, args: string[]): Promise<string> {
  const { stdout } = await runFile(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, WARDEN_PLAINTEXT: "true", WARDEN_LOG_LEVEL: "warn" },
  });
  return stdout;
}

/** Creates a token with the CLI (the documented way to make the first admin token) and returns its secret. */
export async function createTokenWithCli(databaseUrl: string, name: string, scopes: string): Promise<string> {
  const output = await wardenCli(databaseUrl, ["token", "create", "--name", name, "--scopes", scopes]);
  const secret = output.trim().split("\n").at(-1)!;
  if (!secret.startsWith("wdn_")) throw new Error(`unexpected CLI output: ${output}`);
  return secret;
}

/** Polls until `probe` returns a value, for effects that land asynchronously (Authenticate's events). */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface Replica {
  process: ChildProcess;
  port: number;
  client: AuthClient;
  /** Its "warden serving" log line. */
  serving: Record<string, unknown>;
}

/**
 * A second Warden, as a separate process (`warden serve`) on the same
 * database; `launcher` runs it, e.g. ["prlimit", "--nofile=1024:1024"].
 */
export async function startReplica(
  databaseUrl: string,
  env: Record<string, string> = {},
  launcher: string[] = [],
): Promise<Replica> {
  const command = [...launcher, process.execPath, "--import", "tsx", "src/cli.ts", "serve"];
  const child = spawn(command[0]!, command.slice(1), {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      WARDEN_PLAINTEXT: "true",
      WARDEN_GRPC_HOST: "127.0.0.1",
      WARDEN_GRPC_PORT: "0",
      WARDEN_HTTP_HOST: "127.0.0.1",
      WARDEN_HTTP_PORT: "0",
      WARDEN_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const serving = await new Promise<Record<string, unknown> & { grpcPort: number }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`replica exited with ${code}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; grpcPort: number };
      if (entry.msg === "warden serving") resolve(entry);
    });
  });
  const port = serving.grpcPort;
  return { process: child, port, serving, client: authClient(`127.0.0.1:${port}`, reporterOf(databaseUrl)) };
}
