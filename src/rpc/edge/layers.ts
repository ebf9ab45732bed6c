import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { rbacSubject } from "../../authz/access.js";
import { grants } from "../../authz/scopes.js";
import type { AuthenticationPipeline } from "../../authn/pipeline.js";
import { DeadlineExceededError, PermissionDeniedError, UnauthenticatedError } from "../../errors.js";
import { FailureReason } from "../../gen/warden/v1/event.js";
import type { Logger } from "../../log.js";
import type { Metrics } from "../../ops/metrics.js";
import { activeTraceId } from "../../ops/tracing.js";
import { peerAddress } from "../peer.js";
import { toGrpcFailure, type GrpcFailure } from "../errors.js";
import { bearerCredential } from "../metadata.js";
import { inRange } from "../numbers.js";
import type { CredentialWatch } from "./credential-watch.js";
import type { EdgeCall, Middleware, MiddlewareFactory } from "./middleware.js";

const REQUEST_ID_HEADER = "x-request-id";

/** The caller's `x-request-id`, or a new one. */
export const requestId: MiddlewareFactory = () => (call, next) => {
  const header = call.context.metadata.get(REQUEST_ID_HEADER)[0];
  if (typeof header === "string" && header.length > 0 && header.length <= 128) call.context.requestId = header;
  else call.context.requestId = randomUUID();
  return next(call);
};

/**
 * One structured log line and the RPC metrics per call, with the status it
 * ended with. This is where errors become gRPC statuses (src/rpc/errors.ts
 * decides which), since the line and the metrics need the final status.
 */
export function logAndMeasure(log: Logger, metrics: Metrics): MiddlewareFactory {
  return (method) => {
    // prom-client hashes labels on every update; a method's children are looked up once per status.
    const children = new Map<status, { total: { inc(): void }; duration: { observe(value: number): void } }>();
    const childrenFor = (code: status) => {
      let child = children.get(code);
      if (child === undefined) {
        const labels = { method: method.name, code: status[code] };
        child = { total: metrics.rpcTotal.labels(labels), duration: metrics.rpcDuration.labels(labels) };
        children.set(code, child);
      }
      return child;
    };
    const finish = (call: EdgeCall, started: number, code: status, failure?: GrpcFailure) => {
      const durationMs = performance.now() - started;
      const child = childrenFor(code);
      child.total.inc();
      child.duration.observe(durationMs / 1000);
      const line: Record<string, unknown> = {
        method: method.name,
        code: status[code],
        durationMs: Math.round(durationMs * 1000) / 1000,
        requestId: call.context.requestId,
        peer: call.context.peer,
      };
      const traceId = activeTraceId();
      if (traceId !== undefined) line.traceId = traceId;
      Object.assign(line, call.logFields);
      if (failure === undefined) {
        log.info(line, "rpc");
        return;
      }
      line.error = failure.details;
      if (failure.internal !== undefined) {
        line.err = failure.internal;
        log.error(line, "rpc");
      } else log.info(line, "rpc");
    };
    return (call, next) => {
      const started = performance.now();
      return next(call).then(
        (response) => {
          finish(call, started, status.OK);
          return response;
        },
        (error: unknown) => {
          const failure = toGrpcFailure(error);
          finish(call, started, failure.code, failure);
          throw failure;
        },
      );
    };
  };
}

/** Aborts the call, and with it the handler's queries, when its deadline passes. */
export const deadline: MiddlewareFactory = () => (call, next) => {
  const remainingMs = call.context.deadlineAt - Date.now();
  if (Number.isFinite(remainingMs)) call.lifetime.abortAfter(Math.max(0, remainingMs), deadlineExceeded);
  return next(call);
};

function deadlineExceeded(ms: number): Error {
  return new DeadlineExceededError(`deadline of ${Math.round(ms)} ms exceeded`);
}

/**
 * Establishes the caller from its `authorization: Bearer` credential, once
 * per call, for every RPC whose access rule asks for one.
 */
export function authenticateCaller(pipeline: AuthenticationPipeline): MiddlewareFactory {
  return (method) => {
    const rule = method.access;
    if (rule.kind === "public") return undefined;
    const vouchField = rule.kind === "public-unless-set" ? rule.field : undefined;
    const reporter = rule.kind === "caller" && rule.reporter;
    const authenticated: Middleware = async (call, next) => {
      const credential = bearerCredential(call.context.metadata);
      const certificate = credential === "" ? call.context.peerCertificate : undefined;
      if (credential === "" && certificate === undefined) {
        throw new UnauthenticatedError("authorization: a Bearer credential is required");
      }
      const attempt = {
        credential,
        ...(certificate === undefined ? {} : { peer: { certificate, verifiedByTls: true } }),
        client: undefined,
        sourceService: reporter ? "warden-reporter" : "warden-admin",
      };
      const result = reporter ? await pipeline.authenticateReporter(attempt) : await pipeline.authenticate(attempt);
      if (!result.authenticated) {
        throw new UnauthenticatedError(`authorization: credential refused (${FailureReason[result.failureReason]})`);
      }
      const address = peerAddress(call.context.peer);
      call.context.caller = {
        principal: result.principal,
        actor: {
          principal: rbacSubject(result.principal),
          requestId: call.context.requestId,
          ...(address === undefined ? {} : { clientIp: address }),
        },
      };
      // A connection's certificate cannot change under a stream, so only a bearer credential is watched.
      if (credential !== "") call.credential = credential;
      return next(call);
    };
    if (vouchField === undefined) return authenticated;
    return (call, next) =>
      (call.request as Record<string, unknown>)[vouchField] === undefined ? next(call) : authenticated(call, next);
  };
}

/** Refuses a caller whose credential lacks the scope the RPC declares. */
export const requireScope: MiddlewareFactory = (method) => {
  const rule = method.access;
  if (rule.kind === "public") return undefined;
  const { scope } = rule;
  return (call, next) => {
    const caller = call.context.caller;
    if (caller === undefined) {
      // Only a public RPC's request that vouches for no one gets here without a caller.
      if (rule.kind === "caller") throw new UnauthenticatedError("authorization: no caller was established");
      return next(call);
    }
    if (!grants(caller.principal.scopes, scope)) throw new PermissionDeniedError(`missing scope ${scope}`);
    return next(call);
  };
};

/**
 * A request whose 64-bit integers or Timestamps are out of range was decoded
 * to a marker (see numbers.ts); it is refused with INVALID_ARGUMENT naming the
 * field, after the caller is established and before the handler sees it.
 */
export const numbersInRange: MiddlewareFactory = () => (call, next) => {
  inRange(call.request);
  return next(call);
};

/**
 * A stream lives under its caller's credential and within bounds: it ends
 * when the credential is revoked, rotated out or expires, and when it reaches
 * its maximum lifetime.
 */
export function superviseStreams(watch: CredentialWatch, maxLifetimeMs: number): MiddlewareFactory {
  return (method) => {
    if (!method.streaming) return undefined;
    return (call, next) => {
      const abort = (reason: Error) => call.lifetime.abort(reason);
      const lifetime = setTimeout(
        () =>
          abort(
            new DeadlineExceededError(`the stream reached its maximum lifetime of ${maxLifetimeMs} ms; open a new one`),
          ),
        maxLifetimeMs,
      );
      const unwatch = call.credential === undefined ? undefined : watch.watch(call.credential, abort);
      return next(call).finally(() => {
        clearTimeout(lifetime);
        unwatch?.();
      });
    };
  };
}
