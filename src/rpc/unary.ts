import { status, type Metadata, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import type { Metrics } from "../ops/metrics.js";
import { DeadlineExceededError } from "../errors.js";
import { toGrpcFailure, toServiceError } from "./errors.js";
import { inRange } from "./numbers.js";

/** What a handler knows about the call besides its request message. */
export interface CallContext {
  requestId: string;
  metadata: Metadata;
  /** The caller's address and port as grpc-js reports it, e.g. "127.0.0.1:53210", "::1:53210". */
  peer: string;
  /** How long the handler has before the call fails with DEADLINE_EXCEEDED. */
  timeoutMs: number;
}

export type UnaryHandler<Request, Response> = (request: Request, context: CallContext) => Promise<Response>;

export interface UnaryOptions {
  log: Logger;
  metrics: Metrics;
  /** Bound applied when the caller sets no deadline, or a longer one. */
  defaultTimeoutMs: number;
}

const REQUEST_ID_HEADER = "x-request-id";

interface Failure {
  details: string;
  internal?: unknown;
}

/** The caller's `x-request-id`, or a new one. */
export function requestIdOf(metadata: Metadata): string {
  const header = metadata.get(REQUEST_ID_HEADER)[0];
  return typeof header === "string" && header.length > 0 && header.length <= 128 ? header : randomUUID();
}

/** Starts timing a call; the returned function writes its one log line and its metrics. */
export function recordCall(
  method: string,
  requestId: string,
  peer: string,
  options: UnaryOptions,
): (code: status, failure?: Failure, extra?: Record<string, unknown>) => void {
  const started = process.hrtime.bigint();
  return (code, failure, extra) => {
    const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const codeName = status[code];
    options.metrics.rpcTotal.inc({ method, code: codeName });
    options.metrics.rpcDuration.observe({ method, code: codeName }, durationSeconds);
    const line = {
      method,
      code: codeName,
      durationMs: Math.round(durationSeconds * 1e6) / 1e3,
      requestId,
      peer,
      ...extra,
      ...(failure === undefined ? {} : { error: failure.details }),
    };
    if (failure?.internal !== undefined) options.log.error({ ...line, err: failure.internal }, "rpc");
    else options.log.info(line, "rpc");
  };
}

function remainingMs(deadline: ReturnType<ServerUnaryCall<unknown, unknown>["getDeadline"]>): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? at - Date.now() : Number.POSITIVE_INFINITY;
}

/**
 * Adapts an async handler to grpc-js: bounds it by the deadline, maps thrown
 * errors to status codes, and writes one log line and the metrics per call.
 */
export function unary<Request, Response>(
  method: string,
  handler: UnaryHandler<Request, Response>,
  options: UnaryOptions,
): (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => void {
  return (call, callback) => {
    const requestId = requestIdOf(call.metadata);
    const timeoutMs = Math.max(0, Math.min(options.defaultTimeoutMs, remainingMs(call.getDeadline())));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new DeadlineExceededError(`deadline of ${Math.round(timeoutMs)} ms exceeded`));
      }, timeoutMs);
    });

    const recorded = recordCall(method, requestId, call.getPeer(), options);
    const finish = (code: status, failure?: Failure) => {
      clearTimeout(timer);
      recorded(code, failure);
    };

    Promise.race([
      Promise.resolve(call.request)
        .then(inRange)
        .then((request) => handler(request, { requestId, metadata: call.metadata, peer: call.getPeer(), timeoutMs })),
      deadline,
    ]).then(
      (response) => {
        finish(status.OK);
        callback(null, response);
      },
      (error: unknown) => {
        const failure = toGrpcFailure(error);
        finish(failure.code, failure);
        callback(toServiceError(failure));
      },
    );
  };
}
