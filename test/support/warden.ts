import { credentials, Metadata, type CallOptions, type ServiceError } from "@grpc/grpc-js";
import { pino } from "pino";
import { loadConfig, type Environment } from "../../src/config.js";
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
} from "../../src/gen/warden/v1/auth_service.js";
import { startWarden, type RunningWarden, type WardenOverrides } from "../../src/main.js";
import { createTestDatabase, type TestDatabase } from "./database.js";

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

/** A promise-returning face of the generated client. */
export function authClient(address: string) {
  const client = new AuthServiceClient(address, credentials.createInsecure());
  return {
    raw: client,
    authenticate: call<AuthenticateRequest, AuthenticateResponse>(client.authenticate.bind(client)),
    logEvent: call<LogEventRequest, LogEventResponse>(client.logEvent.bind(client)),
    logEvents: call<LogEventsRequest, LogEventsResponse>(client.logEvents.bind(client)),
    listEvents: call<ListEventsRequest, ListEventsResponse>(client.listEvents.bind(client)),
    close: () => client.close(),
  };
}

export type AuthClient = ReturnType<typeof authClient>;

export interface TestWarden {
  warden: RunningWarden;
  client: AuthClient;
  db: TestDatabase;
  stop(): Promise<void>;
}

/** The real server, in-process, on ephemeral ports, over a database of its own. */
export async function startTestWarden(
  env: Environment = {},
  overrides: WardenOverrides = {},
  db?: TestDatabase,
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
  const warden = await startWarden(config, pino({ level: process.env.WARDEN_TEST_LOG_LEVEL ?? "silent" }), overrides);
  const client = authClient(`127.0.0.1:${warden.grpcPort}`);
  return {
    warden,
    client,
    db: database,
    async stop() {
      client.close();
      await warden.stop();
      if (db === undefined) await database.drop();
    },
  };
}

/** Polls until `probe` returns a value, for effects that land asynchronously (Authenticate's events). */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
