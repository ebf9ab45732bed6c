import { once } from "node:events";
import { connect as http2Connect } from "node:http2";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticateRequest } from "../src/gen/warden/v1/auth_service.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { authClient, startReplica, startTestWarden, type TestWarden } from "./support/warden.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** An empty SETTINGS frame: what a client sends after the preface. */
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const PING = 6;

/** A raw TCP connection to `port` that records the HTTP/2 frame types it receives and when it closed. */
async function rawConnection(port: number) {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const opened = performance.now();
  let received = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  socket.on("error", () => undefined);
  const closed = once(socket, "close").then(() => performance.now() - opened);
  const frameTypes = () => {
    const types: number[] = [];
    for (let at = 0; at + 9 <= received.length; at += 9 + received.readUIntBE(at, 3)) types.push(received[at + 3]!);
    return types;
  };
  return { socket, closed, frameTypes };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms)),
  ]);

describe("connection hygiene", () => {
  let t: TestWarden;
  beforeAll(async () => {
    t = await startTestWarden({
      WARDEN_GRPC_HANDSHAKE_TIMEOUT_MS: "500",
      WARDEN_GRPC_IDLE_TIMEOUT_MS: "2500",
      WARDEN_GRPC_KEEPALIVE_TIME_MS: "300",
      WARDEN_GRPC_KEEPALIVE_TIMEOUT_MS: "300",
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("closes a connection that sends nothing, or not HTTP/2, after the handshake timeout", async () => {
    const silent = await rawConnection(t.warden.grpcPort);
    const http1 = await rawConnection(t.warden.grpcPort);
    http1.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await within(silent.closed, 3000)).toBeGreaterThanOrEqual(450);
    expect(await within(http1.closed, 3000)).toBeLessThan(450);
    const metrics = await (await fetch(`http://127.0.0.1:${t.warden.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^warden_grpc_connections_closed\{reason="handshake_timeout"\} [1-9]/m);
  });

  it("pings a connection and closes it when the pings go unanswered", async () => {
    const mute = await rawConnection(t.warden.grpcPort);
    mute.socket.write(Buffer.concat([PREFACE, SETTINGS]));
    // Closed by keepalive (300 + 300 ms), well before the idle timeout.
    expect(await within(mute.closed, 2000)).toBeLessThan(2000);
    expect(mute.frameTypes()).toContain(PING);
  });

  it("keeps a connection that answers pings until it has been idle for the idle timeout", async () => {
    const session = http2Connect(`http://127.0.0.1:${t.warden.grpcPort}`);
    session.on("error", () => undefined);
    const opened = performance.now();
    const goaway = once(session, "goaway").then(() => performance.now() - opened);
    const elapsed = await within(goaway, 6000);
    expect(elapsed).toBeGreaterThan(2000);
    session.destroy();
  });

  it("asks a connection to go at its maximum age, with grace", async () => {
    const aged = await startTestWarden({
      WARDEN_GRPC_MAX_CONNECTION_AGE_MS: "1000",
      WARDEN_GRPC_MAX_CONNECTION_AGE_GRACE_MS: "300",
    });
    try {
      const session = http2Connect(`http://127.0.0.1:${aged.warden.grpcPort}`);
      session.on("error", () => undefined);
      const opened = performance.now();
      const goaway = once(session, "goaway").then(() => performance.now() - opened);
      // Age ±10 %, far below the 5-minute idle timeout.
      expect(await within(goaway, 4000)).toBeGreaterThan(850);
      session.destroy();
    } finally {
      await aged.stop();
    }
  });
});

describe("at a 1,024 open-file limit", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it("serves a new client within 2 s beside 1,100 silent connections, with the soft limit raised to the hard", async () => {
    // The soft limit starts lower: start-up raises it to the hard one.
    const replica = await startReplica(db.url, { WARDEN_LOG_LEVEL: "info" }, ["prlimit", "--nofile=256:1024"]);
    const silent: Socket[] = [];
    try {
      expect(replica.serving.openFiles).toBe(1024);
      expect(replica.serving.maxConnections).toBe(1024 - 256);
      for (let opened = 0; opened < 1100; opened += 100) {
        const batch = Array.from({ length: 100 }, () => {
          const socket = connect(replica.port, "127.0.0.1");
          socket.on("error", () => undefined);
          silent.push(socket);
          return once(socket, "connect");
        });
        await Promise.all(batch);
      }
      const client = authClient(`127.0.0.1:${replica.port}`);
      try {
        const started = performance.now();
        const answer = await client.authenticate(AuthenticateRequest.fromPartial({ credential: "nope" }), {
          deadlineMs: 2000,
        });
        expect(answer.authenticated).toBe(false);
        expect(performance.now() - started).toBeLessThan(2000);
      } finally {
        client.close();
      }
    } finally {
      for (const socket of silent) socket.destroy();
      const exited = once(replica.process, "exit");
      replica.process.kill("SIGTERM");
      replica.client.close();
      await exited;
    }
  }, 60_000);
});
