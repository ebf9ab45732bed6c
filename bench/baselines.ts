/**
 * The limits each Warden figure is compared with, measured in the same run:
 * JWT verification by jose alone and by node:crypto alone (one worker thread
 * per core, as the server has), and PostgreSQL COPY of event rows into a table
 * identical to security_events.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { runOnThread, serveThread } from "./threads.js";

export interface VerifySpec {
  library: "jose" | "node:crypto";
  tokens: string[];
  jwks: JSONWebKeySet;
  issuer: string;
  audience: string;
  durationMs: number;
}

interface VerifyWorkerInput {
  spec: VerifySpec;
  index: number;
  workers: number;
}

interface VerifyLoopResult {
  verified: number;
  ms: number;
}

export interface VerifyBaseline {
  perSecond: number;
  /** CPU time (user + system, all threads) per verification. */
  cpuMicrosPerVerification: number;
}

async function verifyLoop({ spec, index, workers }: VerifyWorkerInput): Promise<VerifyLoopResult> {
  const tokens = spec.tokens.filter((_, i) => i % workers === index);
  const keySet = createLocalJWKSet(spec.jwks);
  const publicKeys = new Map<string, { key: KeyObject; alg: string }>(
    spec.jwks.keys.map((jwk) => [jwk.kid!, { key: createPublicKey({ key: jwk, format: "jwk" }), alg: jwk.alg! }]),
  );
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < spec.durationMs) {
    const token = tokens[done % tokens.length]!;
    if (spec.library === "jose") {
      await jwtVerify(token, keySet, { issuer: spec.issuer, audience: spec.audience });
    } else {
      const [header, payload, signature] = token.split(".") as [string, string, string];
      const { kid } = JSON.parse(Buffer.from(header, "base64url").toString()) as { kid: string };
      const { key, alg } = publicKeys.get(kid)!;
      const ok = cryptoVerify(
        "sha256",
        Buffer.from(`${header}.${payload}`),
        alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key,
        Buffer.from(signature, "base64url"),
      );
      if (!ok) throw new Error("baseline verification failed");
    }
    done += 1;
  }
  return { verified: done, ms: performance.now() - started };
}

/**
 * Verifications per second across `workers` threads, and the CPU each took.
 * The threads run in this process, which does nothing else meanwhile.
 */
export async function verificationRate(spec: VerifySpec, workers: number): Promise<VerifyBaseline> {
  const before = process.cpuUsage();
  const loops = await Promise.all(
    Array.from({ length: workers }, (_, index) =>
      runOnThread<VerifyLoopResult>(import.meta.url, { spec, index, workers } satisfies VerifyWorkerInput),
    ),
  );
  const cpu = process.cpuUsage(before);
  const verified = loops.reduce((sum, loop) => sum + loop.verified, 0);
  return {
    perSecond: loops.reduce((sum, loop) => sum + (loop.verified / loop.ms) * 1000, 0),
    cpuMicrosPerVerification: (cpu.user + cpu.system) / verified,
  };
}

/** Rows per second that COPY writes into a table shaped like security_events (indexes included). */
export async function copyRate(databaseUrl: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("DROP TABLE IF EXISTS bench_copy_events");
    await client.query("CREATE TABLE bench_copy_events (LIKE security_events INCLUDING ALL)");
    const lines = function* () {
      const now = Date.now();
      for (let i = 0; i < rows; i += 1) {
        const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
        const at = new Date(now + i).toISOString();
        yield `${id},${at},${at},LOGIN_FAILURE,INFO,FAILURE,bench-user-${i % 1000},USER,,,,192.0.2.${i % 250},bench/1.0,,bench,INVALID_PASSWORD,0,{}\n`;
      }
    };
    const started = performance.now();
    await pipeline(
      Readable.from(lines()),
      client.query(
        copyFrom(
          "COPY bench_copy_events (event_id, occurred_at, received_at, type, severity, outcome, subject, principal_kind, email, service_token_name, token_id, client_ip, user_agent, request_id, source_service, failure_reason, risk_score, details) FROM STDIN WITH (FORMAT csv)",
        ),
      ),
    );
    const rate = (rows / (performance.now() - started)) * 1000;
    await client.query("DROP TABLE bench_copy_events");
    return rate;
  } finally {
    await client.end();
  }
}

serveThread(import.meta.url, verifyLoop);
