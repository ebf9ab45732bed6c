/**
 * Tracing, end to end: `warden serve` as its own process (so the ESM entry and
 * the instrumentation's patching of @grpc/grpc-js and pg are what production
 * runs), exporting OTLP/HTTP JSON to a receiver in this test. A caller's W3C
 * traceparent must be continued by the server span, its queries must be spans
 * under it, and the batched event write must link back to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { authClient, createToken } from "./support/warden.js";

/** A span as OTLP/JSON carries it (ids in hex). */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: { traceId: string; spanId: string }[];
}

const SPAN_KIND_SERVER = 2;

/** Collects the spans posted to /v1/traces. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: ExportedSpan[] }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const payload = JSON.parse(body) as {
        resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[];
      };
      for (const resource of payload.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

/** `warden serve` in a child process; resolves with its gRPC port and every log line it writes. */
async function serve(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; grpcPort: number; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve"], {
    env: {
      PATH: process.env.PATH,
      WARDEN_PLAINTEXT: "true",
      WARDEN_GRPC_HOST: "127.0.0.1",
      WARDEN_GRPC_PORT: "0",
      WARDEN_HTTP_HOST: "127.0.0.1",
      WARDEN_HTTP_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Record<string, unknown>[] = [];
  const serving = new Promise<{ grpcPort: number }>((resolve) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.msg === "warden serving") resolve(entry as unknown as { grpcPort: number });
    });
  });
  const { grpcPort } = await serving;
  return { child, grpcPort, lines };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  const [code] = (await once(child, "exit")) as [number | null];
  expect(code).toBe(0);
}

/** Authenticate with a service token, as a caller in trace `traceId` whose own span is `parentSpanId`. */
async function authenticateInTrace(grpcPort: number, token: string, traceId: string, parentSpanId: string) {
  const client = authClient(`127.0.0.1:${grpcPort}`);
  const metadata = new Metadata();
  metadata.set("traceparent", `00-${traceId}-${parentSpanId}-01`);
  try {
    return await client.authenticate(AuthenticateRequest.fromPartial({ credential: token }), { metadata });
  } finally {
    client.close();
  }
}

describe("tracing", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let token: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    token = await createToken(db.url, "traced-caller", ["events:read"]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it("continues the caller's trace: a server span, its queries beneath it, the event write linked to it", async () => {
    const receiver = await startReceiver();
    const { child, grpcPort, lines } = await serve({
      DATABASE_URL: db.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "50",
    });
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    try {
      const answer = await authenticateInTrace(grpcPort, token, traceId, callerSpanId);
      expect(answer.authenticated).toBe(true);

      const ours = () => receiver.spans.filter((span) => span.traceId === traceId);
      const serverSpan = () => ours().find((span) => span.kind === SPAN_KIND_SERVER);
      const eventWrite = () =>
        receiver.spans.find(
          (span) =>
            span.name === "events.write" &&
            span.links?.some((link) => link.traceId === traceId && link.spanId === serverSpan()?.spanId),
        );
      await expect.poll(() => serverSpan() !== undefined && eventWrite() !== undefined, { timeout: 20_000 }).toBe(true);

      const server = serverSpan()!;
      expect(server.name).toBe("grpc.warden.v1.AuthService/Authenticate");
      expect(server.parentSpanId).toBe(callerSpanId);

      // Every span of the trace below the server span descends from it; the token lookup is a query among them.
      const byId = new Map(ours().map((span) => [span.spanId, span]));
      const descendsFromServer = (span: ExportedSpan): boolean => {
        for (let at: ExportedSpan | undefined = span; at !== undefined; at = byId.get(at.parentSpanId ?? "")) {
          if (at.parentSpanId === server.spanId) return true;
        }
        return false;
      };
      const queries = ours().filter((span) => span.name.startsWith("pg.query"));
      expect(queries.length).toBeGreaterThan(0);
      for (const query of queries) expect(descendsFromServer(query)).toBe(true);

      // The batched write runs in a trace of its own, its INSERT a query beneath it.
      const write = eventWrite()!;
      expect(write.traceId).not.toBe(traceId);
      await expect
        .poll(() => receiver.spans.some((span) => span.parentSpanId === write.spanId && span.name.startsWith("pg.")))
        .toBe(true);

      // Log lines are written in batches, at most 100 ms after the call.
      const rpcLine = () => lines.find((line) => line.msg === "rpc" && line.method === "Authenticate");
      await expect.poll(rpcLine).toBeDefined();
      expect(rpcLine()?.traceId).toBe(traceId);
    } finally {
      await stop(child);
      receiver.server.close();
    }
  });

  it("is off without OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER: no spans, no trace id in the log", async () => {
    const { child, grpcPort, lines } = await serve({ DATABASE_URL: db.url });
    try {
      const answer = await authenticateInTrace(
        grpcPort,
        token,
        randomBytes(16).toString("hex"),
        randomBytes(8).toString("hex"),
      );
      expect(answer.authenticated).toBe(true);
    } finally {
      await stop(child);
    }
    const rpcLine = lines.find((line) => line.msg === "rpc" && line.method === "Authenticate");
    expect(rpcLine).toBeDefined();
    expect(rpcLine).not.toHaveProperty("traceId");
  });
});
