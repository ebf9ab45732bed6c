/**
 * A gRPC load generator for varied bodies that costs far less CPU per call
 * than a grpc-js client: node:http2 sessions sending pre-framed request bodies
 * and reading only the grpc-status trailer. h2load is cheaper still but
 * repeats one body, which would make every LogEvent after the first a
 * duplicate. One thread; it reports its own CPU so a reader can tell whether
 * the generator, not the server, set the pace.
 *
 * Open loop: latency counts from each call's scheduled send time (no
 * coordinated omission). Closed loop: `concurrency` calls in flight in all.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { status } from "@grpc/grpc-js";
import type { LoadResult, LoadSpec } from "./load.js";

export interface Http2LoadResult extends LoadResult {
  /** The generator's own CPU (user + system) over the phase. */
  generatorCpuMicros: number;
}

const SESSIONS = 4;

function frame(payload: Uint8Array): Buffer {
  const framed = Buffer.alloc(5 + payload.length);
  framed.writeUInt32BE(payload.length, 1);
  framed.set(payload, 5);
  return framed;
}

export async function runHttp2Load(spec: Omit<LoadSpec, "workers">): Promise<Http2LoadResult> {
  const bodies = spec.payloads.map(frame);
  const sessions: ClientHttp2Session[] = Array.from({ length: SESSIONS }, () =>
    // Under overload thousands of streams wait at once; past node's default 10 MB a session is destroyed.
    connect(`http://${spec.address}`, { settings: { initialWindowSize: 1 << 20 }, maxSessionMemory: 256 }),
  );
  const headers = {
    [constants.HTTP2_HEADER_METHOD]: "POST",
    [constants.HTTP2_HEADER_PATH]: spec.method,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
    te: "trailers",
    "grpc-timeout": "10S",
    ...spec.metadata,
  };
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  let inFlight = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadlineAt = started + spec.durationMs;

  const take = (): Buffer | undefined => {
    if (spec.once && next >= bodies.length) return undefined;
    return bodies[next++ % bodies.length];
  };
  const count = (code: status | undefined, from: number) => {
    if (code === status.OK) {
      ok += 1;
      latencies.push(performance.now() - from);
    } else {
      // A stream reset or closed without a grpc-status is counted apart from every gRPC code.
      const name = code === undefined ? "NO_STATUS" : (status[code] ?? String(code));
      errors[name] = (errors[name] ?? 0) + 1;
    }
  };
  const send = (body: Buffer, from: number, done: () => void) => {
    const session = sessions[next % SESSIONS]!;
    // A session the server ended cannot take a stream (request() throws): counted apart, and the run goes on.
    if (session.destroyed || session.closed) {
      errors.SESSION_ENDED = (errors.SESSION_ENDED ?? 0) + 1;
      setImmediate(done);
      return;
    }
    inFlight += 1;
    const stream = session.request(headers);
    let code: number | undefined;
    // Trailers-only answers (most errors) put grpc-status in the headers.
    stream.on("response", (head) => {
      if (head["grpc-status"] !== undefined) code = Number(head["grpc-status"]);
    });
    stream.on("trailers", (trailers: IncomingHttpHeaders) => {
      code = Number(trailers["grpc-status"]);
    });
    stream.on("data", () => undefined);
    stream.on("close", () => {
      inFlight -= 1;
      count(code, from);
      done();
    });
    stream.on("error", () => undefined);
    stream.end(body);
  };

  await new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished || inFlight > 0) return;
      finished = true;
      resolve();
    };
    if (spec.mode.kind === "closed") {
      const loop = () => {
        const body = performance.now() < deadlineAt ? take() : undefined;
        if (body === undefined) return finish();
        send(body, performance.now(), loop);
      };
      for (let i = 0; i < spec.mode.concurrency; i += 1) loop();
      return;
    }
    const intervalMs = 1000 / spec.mode.ratePerSecond;
    let sent = 0;
    let exhausted = false;
    const tick = () => {
      const now = performance.now();
      const due = Math.floor((Math.min(now, deadlineAt) - started) / intervalMs);
      while (sent < due && !exhausted) {
        const body = take();
        if (body === undefined) {
          exhausted = true;
          break;
        }
        const scheduledAt = started + sent * intervalMs;
        sent += 1;
        send(body, scheduledAt, () => {
          if (performance.now() >= deadlineAt || exhausted) finish();
        });
      }
      if (now < deadlineAt && !exhausted) setTimeout(tick, 1);
      else finish();
    };
    tick();
  });
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  for (const session of sessions) session.close();
  return {
    ok,
    errors,
    elapsedMs,
    latenciesMs: latencies.sort((a, b) => a - b),
    generatorCpuMicros: cpu.user + cpu.system,
  };
}

if (process.send !== undefined) {
  // Started as the load process: one spec in over IPC, one result out.
  process.once("message", (spec: LoadSpec) => {
    const decoded = {
      ...spec,
      payloads: spec.payloads.map((payload) => Buffer.from(payload as unknown as string, "base64")),
    };
    void runHttp2Load(decoded).then((result) => {
      process.send!(result, () => process.exit(0));
    });
  });
}
