import type {
  Metadata,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from "@grpc/grpc-js";
import type { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { CancelledError, ResourceExhaustedError } from "../../errors.js";
import { CallLifetime } from "./call-lifetime.js";
import { grpcDefinition, type GeneratedService, type MessageCodec } from "./codecs.js";
import { peerCertificate } from "../peer.js";
import { toGrpcFailure, toServiceError } from "../errors.js";
import type { AccessRule } from "./access-rules.js";
import type { EdgeOptions } from "./edge-options.js";
import type { CallContext, Caller, StreamHandler, UnaryHandler } from "./context.js";
import { compose, type EdgeCall, type MethodSpec, type MiddlewareFactory, type Next } from "./middleware.js";

/** The plain handler functions a service definition asks for, one per method, by the definition's keys. */
export type HandlersOf<Definition extends GeneratedService> = {
  [Key in keyof Definition["methods"]]: Definition["methods"][Key] extends {
    requestType: MessageCodec<infer Request>;
    responseType: MessageCodec<infer Response>;
    responseStream: infer Streaming;
  }
    ? Streaming extends true
      ? StreamHandler<Request, Response>
      : UnaryHandler<Request, Response>
    : never;
};

/** A service as the server registers it: its grpc-js definition and its handlers. */
export interface ServiceEntry {
  /** The full name health reports it under, e.g. "warden.v1.AuthService". */
  name: string;
  definition: ServiceDefinition;
  handlers: Record<string, UnaryHandler<unknown, unknown> | StreamHandler<unknown, unknown>>;
}

/** Pairs a generated service definition with its handlers, checking each handler's types against the contract. */
export function service<Definition extends GeneratedService>(
  definition: Definition,
  handlers: HandlersOf<Definition>,
): ServiceEntry {
  return {
    name: definition.fullName,
    definition: grpcDefinition(definition),
    handlers,
  };
}

/**
 * The one path every RPC takes: its method's middleware, in order, around a
 * plain handler, adapted to grpc-js for unary and server-streaming calls.
 */
export class Edge {
  constructor(
    private readonly layers: readonly MiddlewareFactory[],
    private readonly rules: ReadonlyMap<string, AccessRule | string>,
    private readonly settings: Pick<EdgeOptions, "defaultTimeoutMs" | "streamDrainTimeoutMs">,
  ) {}

  /** The grpc-js implementation of one service; throws when a method declares no access rule. */
  implement(entry: ServiceEntry): UntypedServiceImplementation {
    const implementation: UntypedServiceImplementation = {};
    for (const [key, definition] of Object.entries(entry.definition)) {
      const access = this.rules.get(definition.path);
      if (typeof access !== "object") throw new Error(access ?? `${definition.path} is not in the descriptor set`);
      const spec: MethodSpec = {
        path: definition.path,
        name: methodName(definition.path),
        streaming: definition.responseStream,
        access,
      };
      const layers = this.layers.map((layer) => layer(spec)).filter((layer) => layer !== undefined);
      const handler = entry.handlers[key]!;
      if (spec.streaming) {
        const invoke: Next = (call) =>
          (handler as StreamHandler<unknown, unknown>)(call.request, call.context, call.send!);
        implementation[key] = this.streamAdapter(
          spec,
          compose(layers, (call) => settle(call, invoke)),
        );
      } else {
        const invoke: Next = (call) => (handler as UnaryHandler<unknown, unknown>)(call.request, call.context);
        implementation[key] = this.unaryAdapter(
          spec,
          compose(layers, (call) => settle(call, invoke)),
        );
      }
    }
    return implementation;
  }

  private unaryAdapter(spec: MethodSpec, run: Next) {
    const { defaultTimeoutMs } = this.settings;
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const deadlineAt = Math.min(Date.now() + defaultTimeoutMs, deadlineOf(call.getDeadline()));
      const edgeCall = newCall(spec, call, deadlineAt);
      run(edgeCall).then(
        (response) => {
          edgeCall.lifetime.finish();
          callback(null, response);
        },
        (error: unknown) => {
          edgeCall.lifetime.finish();
          callback(toServiceError(toGrpcFailure(error)));
        },
      );
    };
  }

  private streamAdapter(spec: MethodSpec, run: Next) {
    const { streamDrainTimeoutMs } = this.settings;
    return (call: ServerWritableStream<unknown, unknown>) => {
      const edgeCall = newCall(spec, call, deadlineOf(call.getDeadline()));
      const { lifetime } = edgeCall;
      let messages = 0;
      edgeCall.logFields.messages = 0;
      edgeCall.send = async (message) => {
        if (lifetime.reason !== undefined) throw lifetime.reason;
        messages += 1;
        edgeCall.logFields.messages = messages;
        if (call.write(message)) return;
        const slowReader = setTimeout(
          () =>
            lifetime.abort(
              new ResourceExhaustedError(
                `the client read nothing for ${streamDrainTimeoutMs} ms; the stream was ended`,
              ),
            ),
          streamDrainTimeoutMs,
        );
        try {
          await once(call, "drain", { signal: lifetime.signal });
        } finally {
          clearTimeout(slowReader);
        }
      };
      run(edgeCall).then(
        () => {
          lifetime.finish();
          call.end();
        },
        (error: unknown) => {
          const wentAway = lifetime.reason instanceof CancelledError;
          lifetime.finish();
          // A caller that went away hears nothing more.
          if (!wentAway) call.emit("error", toServiceError(toGrpcFailure(error)));
        },
      );
    };
  }
}

function newCall(
  spec: MethodSpec,
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
  deadlineAt: number,
): EdgeCall {
  const lifetime = new CallLifetime();
  call.on("cancelled", lifetime.cancel);
  return {
    method: spec,
    request: call.request,
    context: new EdgeContext(call, lifetime, deadlineAt),
    lifetime,
    credential: undefined,
    logFields: {},
  };
}

/** A handler's view of its call; the signal and the peer certificate are made only if the handler asks. */
class EdgeContext implements CallContext {
  requestId = "";
  caller: Caller | undefined = undefined;
  readonly metadata: Metadata;
  readonly peer: string;

  constructor(
    private readonly call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
    private readonly lifetime: CallLifetime,
    readonly deadlineAt: number,
  ) {
    this.metadata = call.metadata;
    this.peer = call.getPeer();
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  get peerCertificate(): X509Certificate | undefined {
    return peerCertificate(this.call);
  }
}

/**
 * Runs the handler, but ends the call as soon as it is cut short: a handler
 * stuck on I/O cannot hold a call past its deadline or its caller.
 */
function settle(call: EdgeCall, invoke: Next): Promise<unknown> {
  const { lifetime } = call;
  if (lifetime.reason !== undefined) return Promise.reject(lifetime.reason);
  return new Promise((resolve, reject) => {
    lifetime.onEnd = reject;
    invoke(call).then(resolve, (error: unknown) => reject(lifetime.reason ?? (error as Error)));
  });
}

function deadlineOf(deadline: Date | number): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? at : Number.POSITIVE_INFINITY;
}

/** "Authenticate" for Warden's own services; other packages' methods keep their service, e.g. "Authorization.Check". */
function methodName(path: string): string {
  const [service = "", method = ""] = path.slice(1).split("/");
  return service.startsWith("warden.") ? method : `${service.slice(service.lastIndexOf(".") + 1)}.${method}`;
}
