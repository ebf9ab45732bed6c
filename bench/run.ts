/**
 * `npm run bench`: Warden's cost per Authenticate and its durable event
 * ingest, each next to the limit it is measured against, all from one run on
 * this machine. Writes bench/results/<time>.json and docs/benchmarks.md.
 * `--smoke` runs every phase for a moment only, to prove the harness works.
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hash, randomBytes, randomUUID, sign as cryptoSign, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { exportJWK, generateKeyPair, type JSONWebKeySet } from "jose";
import pg from "pg";
import { pino } from "pino";
import { migrate } from "../src/db/migrate.js";
import { createPool } from "../src/db/pool.js";
import { credentials, Metadata } from "@grpc/grpc-js";
import {
  AuthenticateRequest,
  AuthServiceClient,
  ExchangeTokenRequest,
  LogEventRequest,
  LogEventsRequest,
} from "../src/gen/warden/v1/auth_service.js";
import { ServiceTokens } from "../src/tokens/tokens.js";
import { Roles } from "../src/authz/roles.js";
import { CheckRequest as AccessCheckRequest } from "../src/gen/warden/v1/access_service.js";
import { CheckRequest as EnvoyCheckRequest } from "../src/gen/envoy/service/auth/v3/external_auth.js";
import type { AuthenticationEvent } from "../src/gen/warden/v1/event.js";
import { decisionTimes } from "./decisions.js";
import { h2loadAvailable, h2loadOpenLoop } from "./h2load.js";
import { adminDatabase, databaseUrl } from "../scripts/lib/scratch-db.js";
import { copyRate, verificationRate } from "./baselines.js";
import type { LoadResult, LoadSpec } from "./load.js";
import { renderReport, type BenchResults, type PhaseResult } from "./report.js";
import { CLIENT_ID, CLIENT_SECRET, FakeIntrospectionServer } from "../test/support/introspection-server.js";
import { mixEvents, newSubjectEvent } from "./workload.js";
import type { Http2LoadResult } from "./http2-load.js";
import type { MinimalIngestResult, MinimalIngestSpec } from "./minimal-ingest.js";

const options = new Command()
  .option("--smoke", "run each phase for a moment, to check the harness (CI)")
  .option("--out <dir>", "where the JSON results go", "bench/results")
  .option("--docs <file>", "markdown report to write (default: docs/benchmarks.md, none with --smoke)")
  .option("--only <phases>", "run only these phases (comma-separated names), e.g. to profile one")
  .option("--render <json>", "measure nothing: render a saved result into the docs (after editing bench/steps.md)")
  .option("--profile <dir>", "write the server's V8 CPU profile (.cpuprofile) into this folder")
  .option("--seconds <n>", "each phase's length (default 5): longer phases, to tell apart figures a few % apart", "5")
  .option(
    "--server-flags <flags>",
    'Node flags for the servers under test (default: those of `npm start`); "" for none, to compare',
  )
  .option(
    "--logevent-rate <n>",
    "calls/s the logevent-mix phases offer (default 5,000, the target; half for -half): lower, to compare CPU per call unsaturated",
    "5000",
  )
  .parse()
  .opts<{
    smoke?: boolean;
    out: string;
    docs?: string;
    only?: string;
    profile?: string;
    render?: string;
    seconds: string;
    serverFlags?: string;
    logeventRate: string;
  }>();
const only = options.only?.split(",");

const smoke = options.smoke === true;
const phaseMs = smoke ? 300 : Number(options.seconds) * 1000;
if (!(phaseMs > 0)) throw new Error(`--seconds: a positive number of seconds, not ${options.seconds}`);
const cores = availableParallelism();
const ISSUER = "https://bench.warden.test";
const AUDIENCE = "warden-bench";
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface SigningKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: KeyObject;
}

/** Signs with node:crypto directly: generating thousands of unique tokens is set-up, not the thing measured. */
function signJwt(key: SigningKey, subject: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: "JWT" })).toString("base64url");
  const payload = Buffer.from(
    JSON.stringify({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: subject,
      iat: now,
      exp: now + 3600,
      jti: randomUUID(),
      scope: "events:write",
    }),
  ).toString("base64url");
  const signature = cryptoSign(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    key.alg === "ES256" ? { key: key.privateKey, dsaEncoding: "ieee-p1363" } : key.privateKey,
  );
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

async function signingKeys(): Promise<{ keys: SigningKey[]; jwks: JSONWebKeySet }> {
  const keys: SigningKey[] = [];
  const jwks: JSONWebKeySet = { keys: [] };
  for (const alg of ["RS256", "ES256"] as const) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `bench-${alg.toLowerCase()}`;
    keys.push({ kid, alg, privateKey: privateKey as unknown as KeyObject });
    jwks.keys.push({ ...(await exportJWK(publicKey)), kid, alg, use: "sig" });
  }
  return { keys, jwks };
}

function request(ask: ChildProcess, message: string, answer: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (reply: Record<string, unknown>) => {
      if (answer in reply) {
        ask.off("message", onMessage);
        resolve(reply);
      }
    };
    ask.on("message", onMessage);
    ask.send(message);
  });
}

interface BenchServer {
  child: ChildProcess;
  port: number;
  /** Where the server's /metrics is served. */
  httpPort: number;
}

/**
 * The servers under test run compiled, as `npm start` runs Warden: what ships,
 * not tsx's transform, which wraps every function it creates at run time.
 */
function buildServers(): void {
  execFileSync(process.execPath, [path.join("node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.bench.json"], {
    stdio: "inherit",
  });
}

/** The Node flags `npm start` gives Warden: the servers under test, floors included, run with the same. */
function startScriptFlags(): string[] {
  const start = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith("--"));
}
const serverFlags =
  options.serverFlags === undefined ? startScriptFlags() : options.serverFlags.split(/\s+/).filter(Boolean);
log(`servers under test run with Node flags: ${serverFlags.join(" ") || "none"}`);

async function startServer(env: Record<string, string>, script = "server"): Promise<BenchServer> {
  const profile = options.profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.profile}`];
  const child = fork(path.join("dist", "bench", `${script}.js`), [], {
    execArgv: [...serverFlags, ...profile],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const ready = await new Promise<{ grpcPort: number; httpPort: number }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
    child.once("message", (message: { ready: { grpcPort: number; httpPort: number } }) => resolve(message.ready));
  });
  return { child, port: ready.grpcPort, httpPort: ready.httpPort };
}

/** The grpc-js generator (load.ts, worker threads), or node:http2 (http2-load.ts, one thread, reports its CPU). */
function runLoadProcess(
  spec: LoadSpec,
  generator: "grpc-js" | "http2" = "grpc-js",
): Promise<LoadResult & Partial<Http2LoadResult>> {
  const child = fork(path.join("bench", generator === "http2" ? "http2-load.ts" : "load.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (result: LoadResult) => resolve(result));
    child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`load process exited with ${code}`))));
    child.send({ ...spec, payloads: spec.payloads.map((payload) => Buffer.from(payload).toString("base64")) });
  });
}

/** Runs bench/minimal-ingest.ts in a process of its own, compiled as the servers are. */
function minimalIngest(spec: MinimalIngestSpec): Promise<MinimalIngestResult> {
  const child = fork(path.join("dist", "bench", "minimal-ingest.js"), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (result: MinimalIngestResult) => resolve(result));
    child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`minimal ingest exited with ${code}`))));
    child.send(spec);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function cpuMicros(server: ChildProcess): Promise<number> {
  const { cpu } = (await request(server, "cpu", "cpu")) as { cpu: NodeJS.CpuUsage };
  return cpu.user + cpu.system;
}

const phases: PhaseResult[] = [];
const useH2load = !smoke && (await h2loadAvailable());
/** The methods h2load may drive, with the names the server's metrics count them under (none for the health check). */
const H2LOAD_METHODS = new Map<string, string | undefined>([
  ["/grpc.health.v1.Health/Check", undefined],
  ["/warden.v1.AuthService/Authenticate", "Authenticate"],
  ["/warden.v1.AccessService/Check", "Check"],
  ["/envoy.service.auth.v3.Authorization/Check", "Authorization.Check"],
]);

interface PhaseSpec extends Omit<LoadSpec, "address" | "workers" | "durationMs"> {
  durationMs?: number;
  /** The server keeps no Warden metrics (the minimal program): h2load's calls are counted by HTTP status. */
  uncounted?: boolean;
  /** Measure without adding the result to the run's phases (the ceiling search's trial rates). */
  trial?: boolean;
  /** Varied bodies at rates a grpc-js client cannot offer cheaply go through node:http2. */
  generator?: "grpc-js" | "http2";
}

interface Measurement {
  result: LoadResult & Partial<Http2LoadResult>;
  /** The server's CPU (user and system, every thread) over the measurement, µs. */
  cpu: number;
  byH2load: boolean;
}

async function measure(server: BenchServer, spec: PhaseSpec): Promise<Measurement> {
  const before = await cpuMicros(server.child);
  // A steady rate of one repeated request goes to h2load when it is installed (see bench/h2load.ts),
  // unless the phase is compared with others driven by node:http2.
  const byH2load =
    useH2load &&
    spec.generator !== "http2" &&
    spec.mode.kind === "open" &&
    !spec.once &&
    spec.payloads.length === 1 &&
    H2LOAD_METHODS.has(spec.method);
  const result: LoadResult & Partial<Http2LoadResult> = byH2load
    ? await h2loadOpenLoop({
        grpcPort: server.port,
        httpPort: server.httpPort,
        path: spec.method,
        metricsMethod: spec.uncounted === true ? undefined : H2LOAD_METHODS.get(spec.method),
        payload: spec.payloads[0]!,
        ratePerSecond: (spec.mode as { ratePerSecond: number }).ratePerSecond,
        durationMs: spec.durationMs ?? phaseMs,
        clients: 4,
      })
    : await runLoadProcess(
        {
          address: `127.0.0.1:${server.port}`,
          workers: cores,
          ...spec,
          durationMs: spec.durationMs ?? phaseMs,
        },
        spec.generator,
      );
  return { result, cpu: (await settledCpuMicros(server.child)) - before, byH2load };
}

/** A server using less than this share of one core over SETTLE_WINDOW_MS is idle. */
const IDLE_CPU_SHARE = 0.05;
const SETTLE_WINDOW_MS = 100;
const MAX_SETTLE_MS = 3000;

/**
 * The server's CPU once the work a phase left behind (events lingering for
 * their batch, risk and usage flushes) is done: a phase pays for its own
 * background work, not for its predecessor's, and the next starts from idle.
 */
async function settledCpuMicros(server: ChildProcess): Promise<number> {
  let last = await cpuMicros(server);
  for (let waited = 0; waited < MAX_SETTLE_MS; waited += SETTLE_WINDOW_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_WINDOW_MS));
    const now = await cpuMicros(server);
    const idle = now - last < SETTLE_WINDOW_MS * 1000 * IDLE_CPU_SHARE;
    last = now;
    if (idle) break;
  }
  return last;
}

/** One measurement's server CPU per call, refused calls included. */
function cpuPerCall({ result, cpu }: Measurement): number {
  const calls = result.ok + Object.values(result.errors).reduce((total, count) => total + count, 0);
  return calls === 0 ? Number.NaN : cpu / calls;
}

/** One phase's result from its measurements (one per pass for an interleaved phase), added to `phases` unless a trial. */
function outcomeOf(name: string, spec: PhaseSpec, measurements: Measurement[]): PhaseResult {
  const sum = (of: (m: Measurement) => number) => measurements.reduce((total, m) => total + of(m), 0);
  const ok = sum((m) => m.result.ok);
  const errors: Record<string, number> = {};
  for (const { result } of measurements) {
    for (const [code, count] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + count;
  }
  const calls = ok + Object.values(errors).reduce((total, count) => total + count, 0);
  const elapsedMs = sum((m) => m.result.elapsedMs);
  const latenciesMs = measurements.flatMap((m) => m.result.latenciesMs).sort((a, b) => a - b);
  const generatorCpu = measurements.every((m) => m.result.generatorCpuMicros !== undefined)
    ? sum((m) => m.result.generatorCpuMicros!)
    : undefined;
  const outcome: PhaseResult = {
    name,
    ok,
    errors,
    seconds: elapsedMs / 1000,
    perSecond: ok / (elapsedMs / 1000),
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    serverCpuMicrosPerCall: calls === 0 ? Number.NaN : sum((m) => m.cpu) / calls,
    ...(measurements.length > 1 ? { passCpuMicrosPerCall: measurements.map(cpuPerCall) } : {}),
    loadGenerator: measurements[0]!.byH2load ? "h2load" : spec.generator === "http2" ? "node:http2" : "grpc-js",
    ...(spec.mode.kind === "open" ? { ratePerSecond: spec.mode.ratePerSecond } : {}),
    ...(generatorCpu === undefined
      ? {}
      : { generatorCpuMicrosPerCall: calls === 0 ? Number.NaN : generatorCpu / calls }),
  };
  if (spec.trial !== true) phases.push(outcome);
  log(
    `${name}: ${outcome.perSecond.toFixed(0)}/s, p99 ${outcome.p99Ms.toFixed(2)} ms, ${outcome.serverCpuMicrosPerCall.toFixed(1)} µs CPU/call, errors ${JSON.stringify(outcome.errors)}`,
  );
  return outcome;
}

const wanted = (name: string) => only === undefined || only.some((prefix) => name.startsWith(prefix));

/** Runs one phase (unless --only leaves it out) and adds its result to `phases`. */
async function phase(server: BenchServer, name: string, spec: PhaseSpec): Promise<PhaseResult | undefined> {
  if (!wanted(name)) return undefined;
  return outcomeOf(name, spec, [await measure(server, spec)]);
}

/**
 * The steady-rate comparisons run this many phases' time: two figures a few
 * per cent apart (an introspected against a cached service token) scattered
 * by ±10 % between identical 5-second runs; two 20-second runs agreed within 1 %.
 */
const COMPARED_PHASE_LENGTHS = 4;
/**
 * Passes over the compared phases, alternately in order and in reverse
 * (A B C, C B A, A B C, C B A). A server's cost drifts over a run (JIT, heap
 * growth, background writes of the phase before), and a major GC lands in
 * one phase every ~15 s at 2,000/s: with two long passes, one such phase
 * could move a comparison by 10 %. Four shorter ones let each comparison be
 * made pass by pass, between phases a few seconds apart, and judged on the
 * median pass.
 */
const COMPARED_PASSES = 4;

/**
 * Phases compared with each other, interleaved over COMPARED_PASSES passes.
 * Each result merges its passes, and keeps each pass's CPU per call.
 */
async function interleavedPhases(
  server: BenchServer,
  entries: [name: string, spec: PhaseSpec][],
): Promise<Map<string, PhaseResult>> {
  const chosen = entries
    .filter(([name]) => wanted(name))
    .map(
      ([name, spec]) =>
        [
          name,
          { ...spec, durationMs: ((spec.durationMs ?? phaseMs) * COMPARED_PHASE_LENGTHS) / COMPARED_PASSES },
        ] as const,
    );
  const measured = new Map<string, Measurement[]>(chosen.map(([name]) => [name, []]));
  for (let pass = 0; pass < COMPARED_PASSES; pass += 1) {
    for (const [name, spec] of pass % 2 === 0 ? chosen : [...chosen].reverse()) {
      measured.get(name)!.push(await measure(server, spec));
    }
  }
  return new Map(chosen.map(([name, spec]) => [name, outcomeOf(name, spec, measured.get(name)!)]));
}

const CEILING_P99_MS = 5;
/** Issue 20's goal for single LogEvent calls (5,000/s), offered in open loop; lower with --logevent-rate. */
const LOGEVENT_TARGET_RATE = Number(options.logeventRate);
if (!(LOGEVENT_TARGET_RATE > 0)) throw new Error(`--logevent-rate: a positive rate, not ${options.logeventRate}`);

/** Tries the no-op at rising steady rates; the last whose p99 stays within CEILING_P99_MS, or none (not even 250/s). */
async function noopCeiling(server: BenchServer): Promise<PhaseResult | undefined> {
  let best: PhaseResult | undefined;
  for (const ratePerSecond of smoke ? [2000] : [250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000]) {
    const tried = await phase(server, "noop-ceiling", {
      method: "/grpc.health.v1.Health/Check",
      payloads: [new Uint8Array()],
      once: false,
      mode: { kind: "open", ratePerSecond },
      durationMs: Math.min(phaseMs, 3000),
      trial: true,
    });
    if (tried === undefined || tried.p99Ms > CEILING_P99_MS) break;
    best = tried;
  }
  return best;
}

/**
 * A token Warden issues for the cached service token (as subject_token), by
 * a caller holding tokens:exchange: three events (the caller's and the
 * subject's authentication, TOKEN_EXCHANGED).
 */
async function exchangedToken(port: number, caller: string, subjectToken: string): Promise<string> {
  const client = new AuthServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${caller}`);
  try {
    return await new Promise<string>((resolve, reject) =>
      client.exchangeToken(ExchangeTokenRequest.fromPartial({ subjectToken }), metadata, (error, response) =>
        error === null ? resolve(response.accessToken) : reject(error),
      ),
    );
  } finally {
    client.close();
  }
}
const EXCHANGE_EVENTS = 3;

const encode = {
  authenticate: (credential: string) =>
    AuthenticateRequest.encode(
      AuthenticateRequest.fromPartial({
        credential,
        client: { ipAddress: "192.0.2.10", userAgent: "bench/1.0" },
        sourceService: "bench",
      }),
    ).finish(),
};

/** Prints the tables and, when `docs` is given, writes the markdown report and its chart there. */
async function publish(results: BenchResults, docs: string | undefined): Promise<string | undefined> {
  const report = renderReport(results, await readFile(path.join("bench", "steps.md"), "utf8"));
  process.stdout.write(`${report.table}\n`);
  if (docs !== undefined) {
    await mkdir(path.dirname(docs), { recursive: true });
    await writeFile(docs, report.markdown);
    await writeFile(path.join(path.dirname(docs), "benchmarks.svg"), report.svg);
  }
  return docs;
}

async function main(): Promise<void> {
  const root = process.cwd();
  buildServers();
  const admin = await adminDatabase(root);
  const name = `warden_bench_${Date.now()}`;
  const adminClient = new pg.Client({ connectionString: admin.url });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE ${name}`);
  const url = databaseUrl(admin.url, name);
  try {
    await migrate(url, pino({ level: "warn" }));
    const { keys, jwks } = await signingKeys();
    const dir = await mkdtemp(path.join(tmpdir(), "warden-bench-"));
    const jwksFile = path.join(dir, "jwks.json");
    await writeFile(jwksFile, JSON.stringify(jwks));

    log("preparing tokens");
    const uniqueCount = smoke ? 200 : 30_000;
    const unique = Object.fromEntries(
      keys.map((key) => [key.alg, Array.from({ length: uniqueCount }, (_, i) => signJwt(key, `user-${i}`))]),
    ) as Record<SigningKey["alg"], string[]>;
    const pool = createPool(
      { url, max: 8, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 },
      pino({ level: "warn" }),
    );
    const tokens = new ServiceTokens(pool);
    const actor = { principal: "bench" };
    const cached = await tokens.create(
      { name: "bench-cached", scopes: ["events:write"], expiresAt: undefined, description: "" },
      actor,
    );
    const exchanger = await tokens.create(
      { name: "bench-exchanger", scopes: ["tokens:exchange"], expiresAt: undefined, description: "" },
      actor,
    );
    // Reporting (LogEvent, LogEvents) needs a credential holding events:write.
    const reporter = await tokens.create(
      { name: "bench-reporter", scopes: ["events:write"], expiresAt: undefined, description: "" },
      actor,
    );
    const reporting = { authorization: `Bearer ${reporter.secret}` };
    const coldCount = only !== undefined && !only.includes("service-token-cold") ? 0 : smoke ? 50 : 4000;
    const cold: string[] = [];
    for (let i = 0; i < coldCount; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, coldCount - i) }, (_, j) =>
          tokens.create(
            { name: `bench-cold-${i + j}`, scopes: ["events:write"], expiresAt: undefined, description: "" },
            actor,
          ),
        ),
      );
      cold.push(...batch.map((created) => created.secret));
    }
    // Check traffic: the cached token holds a role granting orders:read, which
    // the ext_authz route table also asks for.
    const roles = new Roles(pool);
    await roles.createPermission("orders:read", "", actor);
    await roles.createRole(
      { name: "order_viewer", description: "", parent: "api_user", permissions: ["orders:read"] },
      actor,
    );
    await roles.assignRole({ subject: "service_token:bench-cached", role: "order_viewer", resource: "" }, actor);
    const rbacChanges = 3;
    const decision = await decisionTimes(pool, smoke ? 10_000 : 1_000_000);
    log(`in-process decision: p50 ${decision.p50Micros.toFixed(2)} µs, p99 ${decision.p99Micros.toFixed(2)} µs`);
    await pool.end();
    const tokensCreated = 3 + coldCount;
    const routesFile = path.join(dir, "routes.json");
    await writeFile(
      routesFile,
      JSON.stringify({ routes: [{ method: "GET", path_prefix: "/orders", permission: "orders:read" }] }),
    );

    // The authorization server's introspection endpoint, in this process: only the first call reaches it.
    // Its token is a client's (client credentials), so Warden scores it as a workload, as it does a service
    // token: the comparison of the two is then of the credential kinds, not of a person's risk profile.
    const introspection = await new FakeIntrospectionServer().start();
    const introspected = "bench-opaque-access-token";
    introspection.tokens.set(introspected, { active: true, sub: "bench-client", scope: "events:write" });
    const serverEnv = {
      DATABASE_URL: url,
      WARDEN_INTROSPECTION_URL: introspection.url,
      WARDEN_INTROSPECTION_CLIENT_ID: CLIENT_ID,
      WARDEN_INTROSPECTION_CLIENT_SECRET: CLIENT_SECRET,
      WARDEN_INTROSPECTION_PRINCIPAL_KIND: "workload",
      WARDEN_PLAINTEXT: "true",
      WARDEN_GRPC_HOST: "127.0.0.1",
      WARDEN_GRPC_PORT: "0",
      WARDEN_HTTP_HOST: "127.0.0.1",
      WARDEN_HTTP_PORT: "0",
      WARDEN_JWKS_FILE: jwksFile,
      WARDEN_JWT_ISSUER: ISSUER,
      WARDEN_JWT_AUDIENCE: AUDIENCE,
      WARDEN_LOG_LEVEL: "info",
      WARDEN_EXTAUTHZ_ROUTES_FILE: routesFile,
      WARDEN_EXCHANGE_ENABLED: "true",
      WARDEN_EXCHANGE_ISSUER: "https://warden.bench.test",
      WARDEN_EXCHANGE_KEY: randomBytes(32).toString("base64"),
      WARDEN_EXCHANGE_TOKEN_LIFETIME_SECONDS: "86400",
      // Overload is answered RESOURCE_EXHAUSTED once an admitted report has waited this long for its answer
      // (100 ms: at 50 a report's two or three commits in a row tripped it below capacity; bench/steps.md),
      WARDEN_EVENT_ADMIT_WAIT_MS: "100",
      // ... and while the event loop runs this late: calls have waited that long before their handler.
      WARDEN_EVENT_ADMIT_LAG_MS: "100",
    };
    const server = await startServer(serverEnv);
    const exchanged = await exchangedToken(server.port, exchanger.secret, cached.secret);

    const closed = (concurrency: number) => ({ kind: "closed" as const, concurrency });
    const auth = "/warden.v1.AuthService/Authenticate";
    // Warm-up, not recorded: the first seconds of a fresh process pay for JIT compilation.
    const warmUp = (port: number) =>
      runLoadProcess({
        address: `127.0.0.1:${port}`,
        workers: cores,
        durationMs: smoke ? 100 : 3000,
        method: "/grpc.health.v1.Health/Check",
        payloads: [new Uint8Array()],
        once: false,
        mode: closed(16),
      });
    await warmUp(server.port);
    await phase(server, "noop", {
      method: "/grpc.health.v1.Health/Check",
      payloads: [new Uint8Array()],
      once: false,
      mode: closed(16),
    });
    await phase(server, "jwt-rs256-repeated", {
      method: auth,
      payloads: [encode.authenticate(unique.RS256[0]!)],
      once: false,
      mode: closed(16),
    });
    await phase(server, "jwt-es256-repeated", {
      method: auth,
      payloads: [encode.authenticate(unique.ES256[0]!)],
      once: false,
      mode: closed(16),
    });
    await phase(server, "jwt-rs256-unique", {
      method: auth,
      payloads: unique.RS256.slice(1).map(encode.authenticate),
      once: true,
      mode: closed(16),
    });
    await phase(server, "jwt-es256-unique", {
      method: auth,
      payloads: unique.ES256.slice(1).map(encode.authenticate),
      once: true,
      mode: closed(16),
    });
    await phase(server, "service-token-cached", {
      method: auth,
      payloads: [encode.authenticate(cached.secret)],
      once: false,
      mode: closed(16),
    });
    await phase(server, "service-token-cold", {
      method: auth,
      payloads: cold.map(encode.authenticate),
      once: true,
      mode: closed(16),
    });

    // Authorization at a steady rate, open loop: each call authenticates the
    // cached token, decides from the snapshot and records the decision's event.
    const checkRate = 2000;
    const accessCheck = AccessCheckRequest.encode(
      AccessCheckRequest.fromPartial({ credential: cached.secret, permission: "orders:read", sourceService: "bench" }),
    ).finish();
    const envoyCheck = EnvoyCheckRequest.encode(
      EnvoyCheckRequest.fromPartial({
        attributes: {
          source: { address: { socketAddress: { address: "10.1.2.3", portValue: 40000 } } },
          request: {
            http: {
              method: "GET",
              path: "/orders/42",
              host: "shop.internal",
              headers: {
                ":authority": "shop.internal",
                ":method": "GET",
                ":path": "/orders/42",
                authorization: `Bearer ${cached.secret}`,
                "user-agent": "bench/1.0",
              },
            },
          },
        },
      }),
    ).finish();
    // Both paths warmed up first, unrecorded, so the timed phases do not pay for compiling them.
    let authorizationEvents = 0;
    for (const [method, payload] of [
      ["/warden.v1.AccessService/Check", accessCheck],
      ["/envoy.service.auth.v3.Authorization/Check", envoyCheck],
    ] as const) {
      if (
        only !== undefined &&
        !only.some((name) => name.startsWith(method.includes("envoy") ? "ext-authz" : "check-"))
      ) {
        continue;
      }
      const warm = await runLoadProcess({
        address: `127.0.0.1:${server.port}`,
        workers: cores,
        durationMs: smoke ? 100 : 2000,
        method,
        payloads: [payload],
        once: false,
        mode: closed(8),
      });
      authorizationEvents += warm.ok;
    }
    // At one steady rate, interleaved: the no-op (the floor this machine and load generator set for any
    // RPC's CPU and tail), Authenticate of each cached credential kind, an empty credential refused before any
    // domain work (INVALID_ARGUMENT: its log line, metrics and protobuf only, no event), and the access checks.
    const steady = (method: string, payload: Uint8Array): PhaseSpec => ({
      method,
      payloads: [payload],
      once: false,
      mode: { kind: "open", ratePerSecond: checkRate },
    });
    const atRate = await interleavedPhases(server, [
      ["noop-2000rps", steady("/grpc.health.v1.Health/Check", new Uint8Array())],
      ["service-token-cached-2000rps", steady(auth, encode.authenticate(cached.secret))],
      ["introspected-cached-2000rps", steady(auth, encode.authenticate(introspected))],
      // Warden's own token (ExchangeToken's), verified from the signing keys in memory.
      ["exchanged-token-2000rps", steady(auth, encode.authenticate(exchanged))],
      // The cached service token again: two identical phases show how far apart this run's figures fall by
      // chance, the resolution of the comparisons with a cached service token.
      ["service-token-cached-again-2000rps", steady(auth, encode.authenticate(cached.secret))],
      ["authenticate-refused-2000rps", steady(auth, encode.authenticate(""))],
      ["jwt-es256-repeated-2000rps", steady(auth, encode.authenticate(unique.ES256[0]!))],
      ["check-rpc-2000rps", steady("/warden.v1.AccessService/Check", accessCheck)],
      ["ext-authz-2000rps", steady("/envoy.service.auth.v3.Authorization/Check", envoyCheck)],
    ]);
    for (const name of ["check-rpc-2000rps", "ext-authz-2000rps"]) authorizationEvents += atRate.get(name)?.ok ?? 0;

    // The highest steady rate at which the no-op still answers with p99 ≤ 5 ms, and Authenticate at that rate.
    const ceiling = await noopCeiling(server);
    if (ceiling !== undefined) {
      phases.push({ ...ceiling, name: "noop-ceiling" });
      await phase(server, "service-token-cached-ceiling", {
        method: auth,
        payloads: [encode.authenticate(cached.secret)],
        once: false,
        mode: { kind: "open", ratePerSecond: ceiling.ratePerSecond! },
      });
    }

    // Worst case, labelled so: every event a never-seen subject from a new address.
    const eventsNeeded = smoke ? 2000 : 150_000;
    const single = Array.from({ length: eventsNeeded }, (_, i) =>
      LogEventRequest.encode({ event: newSubjectEvent(i) }).finish(),
    );
    const logEventMax = await phase(server, "logevent-max", {
      method: "/warden.v1.AuthService/LogEvent",
      payloads: single,
      metadata: reporting,
      once: true,
      mode: closed(64),
    });
    // Without logevent-max in this run (--only), half of the 10,000/s target.
    const halfRate = Math.max(10, Math.floor((logEventMax?.perSecond ?? 10_000) / 2));
    // Each phase's users are its own: numbers from 1,000,000 and 2,000,000 up.
    const single2 = Array.from({ length: Math.ceil((halfRate * phaseMs) / 1000) + 100 }, (_, i) =>
      LogEventRequest.encode({ event: newSubjectEvent(1_000_000 + i) }).finish(),
    );
    await phase(server, "logevent-half-rate", {
      method: "/warden.v1.AuthService/LogEvent",
      payloads: single2,
      metadata: reporting,
      once: true,
      mode: { kind: "open", ratePerSecond: halfRate },
    });
    // One call per worker: one batch commits while the next is decoded. More would only wait in the queue,
    // which the writer's admission bound answers RESOURCE_EXHAUSTED.
    const batchSize = 1000;
    const batches = Array.from({ length: smoke ? 10 : 400 }, (_, b) =>
      LogEventsRequest.encode({
        events: Array.from({ length: batchSize }, (_, i) => newSubjectEvent(2_000_000 + b * batchSize + i)),
      }).finish(),
    );
    const logEvents = await phase(server, "logevents-1000", {
      method: "/warden.v1.AuthService/LogEvents",
      payloads: batches,
      metadata: reporting,
      once: true,
      mode: closed(1),
    });
    if (logEvents !== undefined) logEvents.eventsPerSecond = logEvents.perSecond * batchSize;

    // The realistic workload: Zipf-distributed users with their usual networks (bench/workload.ts).
    const mixBatches = Array.from({ length: smoke ? 10 : 400 }, (_, b) =>
      LogEventsRequest.encode({ events: mixEvents(batchSize, 1 + b) }).finish(),
    );
    const logEventsMix = await phase(server, "logevents-mix", {
      method: "/warden.v1.AuthService/LogEvents",
      payloads: mixBatches,
      metadata: reporting,
      once: true,
      mode: closed(1),
    });
    if (logEventsMix !== undefined) logEventsMix.eventsPerSecond = logEventsMix.perSecond * batchSize;
    // The ceiling for logevents-mix: the smallest program doing the same duties for the same traffic
    // (bench/minimal-ingest.ts), on the same database right after it (Warden idle), beside COPY in this run;
    // and the same program storing only the ids and events: what the rows alone cost beside COPY.
    const minimalIngestPhase = async (
      name: string,
      storeOnly: boolean,
      events: (count: number, batch: number) => AuthenticationEvent[],
    ) => {
      if (only !== undefined && !only.some((wanted) => name.startsWith(wanted))) return;
      const minimal = await minimalIngest({
        url,
        payloads: Array.from({ length: smoke ? 10 : 400 }, (_, b) =>
          Buffer.from(LogEventsRequest.encode({ events: events(batchSize, b) }).finish()).toString("base64"),
        ),
        durationMs: phaseMs,
        connections: 2,
        storeOnly,
      });
      const outcome: PhaseResult = {
        name,
        ok: minimal.events / batchSize,
        errors: {},
        seconds: minimal.ms / 1000,
        perSecond: (minimal.events / batchSize / minimal.ms) * 1000,
        eventsPerSecond: (minimal.events / minimal.ms) * 1000,
        p50Ms: Number.NaN,
        p99Ms: Number.NaN,
        serverCpuMicrosPerCall: minimal.cpuMicros / (minimal.events / batchSize),
      };
      phases.push(outcome);
      const perBatch = Object.entries(minimal.steps).map(
        ([step, ms]) => `${step} ${((ms / minimal.events) * batchSize).toFixed(1)}`,
      );
      log(`${name}: ${outcome.eventsPerSecond!.toFixed(0)} events/s; ms per 1,000 events: ${perBatch.join(", ")}`);
    };
    await minimalIngestPhase("logevents-minimal-mix", false, (count, batch) => mixEvents(count, 20_001 + batch));
    await minimalIngestPhase("logevents-minimal-store", true, (count, batch) => mixEvents(count, 30_001 + batch));
    // Single calls, offered in open loop from node:http2 (bench/http2-load.ts): the 5,000/s target, half of it,
    // and twice what the server sustains flat out, where admission control must refuse quickly and keep the rest fast.
    const mixSingles = (count: number, seed: number) =>
      mixEvents(count, seed).map((event) => LogEventRequest.encode({ event }).finish());
    const openMix = async (target: BenchServer, name: string, ratePerSecond: number, seed: number) =>
      phase(target, name, {
        method: "/warden.v1.AuthService/LogEvent",
        payloads: mixSingles(Math.ceil((ratePerSecond * phaseMs) / 1000) + 100, seed),
        metadata: reporting,
        once: true,
        mode: { kind: "open", ratePerSecond },
        generator: "http2",
      });
    // What the server sustains flat out (closed loop) sets the overload phase's rate.
    const mixMax = await phase(server, "logevent-mix-max", {
      method: "/warden.v1.AuthService/LogEvent",
      payloads: mixSingles(smoke ? 2000 : 100_000, 10_000),
      metadata: reporting,
      once: true,
      mode: closed(32),
      generator: "http2",
    });
    const mixRate = smoke ? 500 : LOGEVENT_TARGET_RATE;
    await openMix(server, "logevent-mix", mixRate, 10_001);
    await openMix(server, "logevent-mix-half", mixRate / 2, 10_002);
    const overloadRate = Math.max(10, Math.round(2 * (mixMax?.perSecond ?? mixRate)));
    await openMix(server, "logevent-mix-overload", overloadRate, 10_003);

    await request(server.child, "stop", "stopped");

    // The ingest ceiling for logevents-1000's traffic, all subjects new (numbered past every other phase's):
    // after Warden's single calls, since its 400,000 new profiles would otherwise be theirs to work beside.
    await minimalIngestPhase("logevents-minimal-new", false, (count, batch) =>
      Array.from({ length: count }, (_, i) => newSubjectEvent(5_000_000 + batch * count + i)),
    );

    // The floor for those single calls: the smallest program doing a LogEvent's duties on the same stack
    // (bench/minimal-logevent.ts), driven by the same generator at the same rates, beside its own no-op.
    if (
      ["logevent-minimal-noop", "logevent-minimal-mix", "logevent-minimal-mix-half", "logevent-minimal-overload"].some(
        wanted,
      )
    ) {
      const minimal = await startServer(
        { DATABASE_URL: url, MINIMAL_REPORTER_SHA256: hash("sha256", reporter.secret, "base64") },
        "minimal-logevent",
      );
      await warmUp(minimal.port);
      await phase(minimal, "logevent-minimal-noop", {
        method: "/grpc.health.v1.Health/Check",
        payloads: [new Uint8Array()],
        once: false,
        mode: { kind: "open", ratePerSecond: mixRate },
        generator: "http2",
      });
      await openMix(minimal, "logevent-minimal-mix", mixRate, 40_001);
      await openMix(minimal, "logevent-minimal-mix-half", mixRate / 2, 40_002);
      // Warden's overload rate, well within the floor's capacity: the latency this machine allows at that rate.
      await openMix(minimal, "logevent-minimal-overload", overloadRate, 40_003);
      await request(minimal.child, "stop", "stopped");
    }
    // The same program doing the rest of a reported login's duties too: risk scoring against
    // profiles read when not cached, and profiles, familiar networks and lockout counters written.
    if (
      ["logevent-minimal-full-mix", "logevent-minimal-full-mix-half", "logevent-minimal-full-overload"].some(wanted)
    ) {
      const full = await startServer(
        {
          DATABASE_URL: url,
          MINIMAL_REPORTER_SHA256: hash("sha256", reporter.secret, "base64"),
          MINIMAL_DUTIES: "full",
        },
        "minimal-logevent",
      );
      await warmUp(full.port);
      await openMix(full, "logevent-minimal-full-mix", mixRate, 50_001);
      await openMix(full, "logevent-minimal-full-mix-half", mixRate / 2, 50_002);
      await openMix(full, "logevent-minimal-full-overload", overloadRate, 50_003);
      await request(full.child, "stop", "stopped");
    }

    log(`introspection endpoint: ${introspection.requests} request(s) for the run`);

    // The floor: the smallest program doing the same duties on the same stack, beside its own no-op;
    // and the refused Authenticate through nice-grpc, to set beside Warden's own edge.
    for (const mode of ["bare", "duties", "refused", "nice-grpc"] as const) {
      if (only !== undefined && !only.some((name) => name.startsWith("minimal") || name.startsWith("nice"))) break;
      const minimal = await startServer({ DATABASE_URL: url, MINIMAL_MODE: mode }, "minimal-server");
      await warmUp(minimal.port);
      if (mode === "bare") {
        await phase(minimal, "minimal-noop-2000rps", {
          method: "/grpc.health.v1.Health/Check",
          payloads: [new Uint8Array()],
          once: false,
          mode: { kind: "open", ratePerSecond: checkRate },
          uncounted: true,
        });
      }
      await phase(minimal, mode === "nice-grpc" ? "nice-grpc-refused-2000rps" : `minimal-${mode}-2000rps`, {
        method: auth,
        payloads: [encode.authenticate(mode === "nice-grpc" || mode === "refused" ? "" : cached.secret)],
        once: false,
        mode: { kind: "open", ratePerSecond: checkRate },
        uncounted: true,
      });
      await request(minimal.child, "stop", "stopped");
    }

    // The same Authenticate traffic with risk detection off, on a fresh server
    // warmed up the same way: the difference is what detection costs.
    if (only === undefined || only.some((name) => name.endsWith("-no-risk"))) {
      const plain = await startServer({ ...serverEnv, WARDEN_RISK_ENABLED: "false" });
      await warmUp(plain.port);
      await phase(plain, "jwt-es256-repeated-no-risk", {
        method: auth,
        payloads: [encode.authenticate(unique.ES256[0]!)],
        once: false,
        mode: closed(16),
      });
      await phase(plain, "jwt-es256-unique-no-risk", {
        method: auth,
        payloads: unique.ES256.slice(1).map(encode.authenticate),
        once: true,
        mode: closed(16),
      });
      await request(plain.child, "stop", "stopped");
    }

    // Cached-token Authenticate on two fresh servers warmed up alike, one
    // exporting every span over OTLP (to a sink here) and one with tracing off
    // (the SDK not loaded): the difference is what tracing costs, and off
    // against the first server's phase shows the noise between two identical ones.
    if (only === undefined || only.some((name) => name.startsWith("service-token-cached-tracing-"))) {
      const sink = createServer((request, response) => request.resume().on("end", () => response.end()));
      sink.listen(0, "127.0.0.1");
      await once(sink, "listening");
      const tracingEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}` };
      for (const [name, env] of [
        ["service-token-cached-tracing-off", {}],
        ["service-token-cached-tracing-on", tracingEnv],
      ] as const) {
        const fresh = await startServer({ ...serverEnv, ...env });
        await warmUp(fresh.port);
        await phase(fresh, name, {
          method: auth,
          payloads: [encode.authenticate(cached.secret)],
          once: false,
          mode: closed(16),
        });
        await request(fresh.child, "stop", "stopped");
      }
      sink.close();
    }

    // The crash spool's cost per call (issue 19): a cached-token Authenticate at the
    // steady rate on fresh servers warmed alike, without the spool, with it
    // (appends, no fsync: survives a process crash) and with an fsync per write
    // (survives a machine crash). Off against the first server's phase is the noise.
    if (only === undefined || only.some((name) => name.startsWith("service-token-cached-spool-"))) {
      for (const [name, env] of [
        ["service-token-cached-spool-off-2000rps", {}],
        ["service-token-cached-spool-none-2000rps", { WARDEN_EVENT_SPOOL_SYNC: "none" }],
        ["service-token-cached-spool-batch-2000rps", { WARDEN_EVENT_SPOOL_SYNC: "batch" }],
      ] as const) {
        const spool: Record<string, string> = name.endsWith("off-2000rps")
          ? {}
          : { WARDEN_EVENT_SPOOL_DIR: await mkdtemp(path.join(tmpdir(), "warden-bench-spool-")) };
        const fresh = await startServer({ ...serverEnv, ...spool, ...env });
        await warmUp(fresh.port);
        await phase(fresh, name, {
          method: auth,
          payloads: [encode.authenticate(cached.secret)],
          once: false,
          mode: { kind: "open", ratePerSecond: checkRate },
        });
        await request(fresh.child, "stop", "stopped");
      }
    }
    await introspection.stop();

    log("baselines");
    const verifyMs = smoke ? 300 : 3000;
    const baselines = {
      joseRs256: await verificationRate(
        { library: "jose", tokens: unique.RS256, jwks, issuer: ISSUER, audience: AUDIENCE, durationMs: verifyMs },
        cores,
      ),
      joseEs256: await verificationRate(
        { library: "jose", tokens: unique.ES256, jwks, issuer: ISSUER, audience: AUDIENCE, durationMs: verifyMs },
        cores,
      ),
      cryptoRs256: await verificationRate(
        {
          library: "node:crypto",
          tokens: unique.RS256,
          jwks,
          issuer: ISSUER,
          audience: AUDIENCE,
          durationMs: verifyMs,
        },
        cores,
      ),
      cryptoEs256: await verificationRate(
        {
          library: "node:crypto",
          tokens: unique.ES256,
          jwks,
          issuer: ISSUER,
          audience: AUDIENCE,
          durationMs: verifyMs,
        },
        cores,
      ),
      copyRowsPerSecond: await copyRate(url, smoke ? 5000 : 300_000),
    };

    const authCalls = phases
      .filter((p) =>
        ["jwt-", "service-token-", "introspected-", "exchanged-token-"].some((prefix) => p.name.startsWith(prefix)),
      )
      .reduce((sum, p) => sum + p.ok, 0);
    const acknowledged =
      // The minimal program's events go to twin tables of its own.
      phases
        .filter((p) => p.name.startsWith("logevent-") && !p.name.startsWith("logevent-minimal-"))
        .reduce((sum, p) => sum + p.ok, 0) +
      ((logEvents?.ok ?? 0) + (logEventsMix?.ok ?? 0)) * batchSize;
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    // Lockout's and risk's own events depend on timing; every other row is accounted for.
    const rows = (
      await check.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM security_events WHERE type NOT IN ('ACCOUNT_LOCKED', 'BRUTE_FORCE_DETECTED', 'SUSPICIOUS_ACTIVITY')",
      )
    ).rows[0]!.n;
    const version = (await check.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
    await check.end();

    const results: BenchResults = {
      at: new Date().toISOString(),
      smoke,
      phaseSeconds: phaseMs / 1000,
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        postgres: version,
      },
      phases,
      baselines,
      decision,
      events: {
        expected: acknowledged + authCalls + tokensCreated + rbacChanges + authorizationEvents + EXCHANGE_EVENTS,
        stored: rows,
        acknowledged,
      },
    };
    await mkdir(options.out, { recursive: true });
    const file = path.join(options.out, `${results.at.replace(/[:.]/g, "-")}.json`);
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    const docs = await publish(results, options.docs ?? (smoke ? undefined : "docs/benchmarks.md"));
    log(`wrote ${file}${docs === undefined ? "" : ` and ${docs}`}`);
    if (results.events.stored < results.events.expected) {
      throw new Error(`lost events: expected ${results.events.expected} rows, found ${results.events.stored}`);
    }
  } finally {
    await adminClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await adminClient.end();
    await admin.release();
  }
}

if (options.render === undefined) {
  await main();
} else {
  const results = JSON.parse(await readFile(options.render, "utf8")) as BenchResults;
  log(`wrote ${await publish(results, options.docs ?? "docs/benchmarks.md")} from ${options.render}`);
}
