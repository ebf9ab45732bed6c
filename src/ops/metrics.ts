import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Pool } from "../db/pool.js";
import type { EventWriter } from "../events/writer.js";
import type { ConnectionGate } from "../rpc/connections.js";
import type { RiskDetector } from "../risk/detector.js";
import type { ServiceTokenVerifier } from "../tokens/verifier.js";

/** The batched writers that drop a row the database refuses, by their label in warden_rows_rejected_total. */
export type RowWriter = "events" | "risk_observations" | "familiar_networks" | "lockout_failures" | "token_usage";

/**
 * Rows the database refused for good, by writer. Made before the writers, and
 * registered with a server's registry by createMetrics.
 */
export class RejectedRows {
  readonly counter = new Counter({
    name: "warden_rows_rejected_total",
    help: "Rows a batched writer dropped because the database refused them (constraint, encoding, length), by writer.",
    labelNames: ["writer"] as const,
    registers: [],
  });

  count(writer: RowWriter): void {
    this.counter.inc({ writer });
  }
}

export interface Metrics {
  registry: Registry;
  rpcTotal: Counter<"method" | "code">;
  rpcDuration: Histogram<"method" | "code">;
  /** Stops sampling the event loop. */
  stop(): void;
}

const LOOP_SAMPLE_MS = 50;

/** Prometheus metrics for one server instance (a registry of its own, so tests can run several). */
export function createMetrics(sources: {
  pool: Pool;
  events: EventWriter;
  serviceTokens: ServiceTokenVerifier;
  risk: RiskDetector | undefined;
  rejectedRows: RejectedRows;
}): Metrics {
  const registry = new Registry();
  registry.registerMetric(sources.rejectedRows.counter);
  collectDefaultMetrics({ register: registry, prefix: "warden_process_" });
  const rpcTotal = new Counter({
    name: "warden_rpc_total",
    help: "RPCs completed, by method and gRPC status code.",
    labelNames: ["method", "code"] as const,
    registers: [registry],
  });
  const rpcDuration = new Histogram({
    name: "warden_rpc_duration_seconds",
    help: "RPC handling time, by method and gRPC status code.",
    labelNames: ["method", "code"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: "warden_event_queue_depth",
    help: "Events accepted and not yet committed.",
    registers: [registry],
    collect() {
      this.set(sources.events.depth);
    },
  });
  new Gauge({
    name: "warden_events_dropped",
    help: "Authenticate events that could not be recorded (queue full or rejected by the database) since start.",
    registers: [registry],
    collect() {
      this.set(sources.events.droppedEvents);
    },
  });
  new Gauge({
    name: "warden_db_pool_connections",
    help: "Database pool connections by state.",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      this.set({ state: "total" }, sources.pool.totalCount);
      this.set({ state: "idle" }, sources.pool.idleCount);
      this.set({ state: "waiting" }, sources.pool.waitingCount);
    },
  });
  new Gauge({
    name: "warden_service_token_lookups",
    help: "Service-token verifications that needed a database read (cache misses) since start.",
    registers: [registry],
    collect() {
      this.set(sources.serviceTokens.lookups);
    },
  });
  new Gauge({
    name: "warden_service_token_outage_answers",
    help: "Service tokens answered from the cache because the database could not be asked (within WARDEN_TOKEN_OUTAGE_WINDOW_MS) since start.",
    registers: [registry],
    collect() {
      this.set(sources.serviceTokens.outageAnswers);
    },
  });
  const risk = sources.risk;
  if (risk !== undefined) {
    new Gauge({
      name: "warden_risk_profile_reads",
      help: "Risk assessments that needed a database read (profile not cached) since start.",
      registers: [registry],
      collect() {
        this.set(risk.profileReads);
      },
    });
    new Gauge({
      name: "warden_risk_observations_pending",
      help: "Learnt attempts (runs of identical ones) not yet written to the shared risk profiles.",
      registers: [registry],
      collect() {
        this.set(risk.pendingRuns);
      },
    });
  }
  // A timer armed every 50 ms fires late by as long as the event loop was blocked.
  const loopDelay = new Histogram({
    name: "warden_event_loop_delay_seconds",
    help: "How late a timer armed every 50 ms fired: time the event loop was busy or blocked.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  let due = performance.now() + LOOP_SAMPLE_MS;
  const sampler = setInterval(() => {
    const now = performance.now();
    loopDelay.observe(Math.max(0, now - due) / 1000);
    due = now + LOOP_SAMPLE_MS;
  }, LOOP_SAMPLE_MS).unref();
  return { registry, rpcTotal, rpcDuration, stop: () => clearInterval(sampler) };
}

/** The gRPC listener's connections: open now, and closed by the gate since start, by why. */
export function registerConnectionMetrics(registry: Registry, gate: ConnectionGate): void {
  new Gauge({
    name: "warden_grpc_connections",
    help: "Open gRPC connections, including those still in their handshake.",
    registers: [registry],
    collect() {
      this.set(gate.connections);
    },
  });
  new Gauge({
    name: "warden_grpc_connections_closed",
    help: "Connections the gRPC listener closed since start: handshake_timeout, evicted (at the cap, for a newer one), refused (at the cap).",
    labelNames: ["reason"] as const,
    registers: [registry],
    collect() {
      this.set({ reason: "handshake_timeout" }, gate.closed.handshakeTimeout);
      this.set({ reason: "evicted" }, gate.closed.evicted);
      this.set({ reason: "refused" }, gate.closed.refused);
    },
  });
}
