/**
 * OpenTelemetry tracing: a span for every RPC (continuing the caller's W3C
 * `traceparent`) and every query. Configured by the standard OTEL_* variables,
 * and off unless OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * or OTEL_TRACES_EXPORTER is set; off, the SDK is not even loaded.
 *
 * The CLI imports this module before anything else, because instrumentation
 * patches @grpc/grpc-js and pg only as they are loaded (an ESM import of these
 * CommonJS packages included). Everything here is synchronous so that order
 * holds: a top-level await would let the modules imported after this one run first.
 */
import { createRequire } from "node:module";
import { isSpanContextValid, trace } from "@opentelemetry/api";
import type * as Sdk from "@opentelemetry/sdk-node";
import type * as Grpc from "@opentelemetry/instrumentation-grpc";
import type * as Pg from "@opentelemetry/instrumentation-pg";

/** Whether the environment asks for traces; OTEL_TRACES_EXPORTER=none does not. */
function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter === "none") return false;
  return Boolean(exporter || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

function startTracing(): Sdk.NodeSDK {
  const require = createRequire(import.meta.url);
  const { NodeSDK } = require("@opentelemetry/sdk-node") as typeof Sdk;
  const { GrpcInstrumentation } = require("@opentelemetry/instrumentation-grpc") as typeof Grpc;
  const { PgInstrumentation } = require("@opentelemetry/instrumentation-pg") as typeof Pg;
  // Tracing only: metrics are Prometheus's, on the HTTP port. Either can still be asked for by name.
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? "warden",
    instrumentations: [new GrpcInstrumentation(), new PgInstrumentation()],
  });
  sdk.start();
  return sdk;
}

const sdk = tracingRequested() ? startTracing() : undefined;

/** Exports the spans still buffered; call before the process exits. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
}

/** The trace id of the current span, for log lines; undefined when tracing is off. */
export function activeTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context !== undefined && isSpanContextValid(context) ? context.traceId : undefined;
}
