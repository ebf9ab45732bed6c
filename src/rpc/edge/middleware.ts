import type { AccessRule } from "./access-rules.js";
import type { CallLifetime } from "./call-lifetime.js";
import type { CallContext } from "./context.js";

/** One RPC as the edge sees it, fixed when the server starts. */
export interface MethodSpec {
  /** The gRPC path, e.g. "/warden.v1.AuthService/Authenticate". */
  path: string;
  /** The short name logs and metrics use, e.g. "Authenticate". */
  name: string;
  streaming: boolean;
  access: AccessRule;
}

/** One call on its way through the edge. */
export interface EdgeCall {
  readonly method: MethodSpec;
  readonly request: unknown;
  readonly context: CallContext;
  /** How the call ends early (`lifetime.abort(reason)`: its signal aborts, and the handler's result no longer counts). */
  readonly lifetime: CallLifetime;
  /** The caller's credential, once the caller is established; only the edge sees it. */
  credential: string | undefined;
  /** A streaming call's way to send a message to the client. */
  send?: (message: unknown) => Promise<void>;
  /** What the call's log line carries besides the standard fields. */
  readonly logFields: Record<string, unknown>;
}

/** The rest of the method's path; passed the call, so that no closure is made per call and layer. */
export type Next = (call: EdgeCall) => Promise<unknown>;
export type Middleware = (call: EdgeCall, next: Next) => Promise<unknown>;

/**
 * Builds a method's middleware when the server starts, from what the method
 * declares; undefined leaves the method without it (e.g. no caller check on
 * a public RPC), so a call pays only for what applies to it.
 */
export type MiddlewareFactory = (method: MethodSpec) => Middleware | undefined;

/**
 * Runs `layers` in order around `terminal`, chained once when the server
 * starts; a layer that throws rejects the call.
 */
export function compose(layers: readonly Middleware[], terminal: Next): Next {
  return layers.reduceRight<Next>((next, layer) => guarded((call) => layer(call, next)), guarded(terminal));
}

/** `step`, with a synchronous throw turned into a rejection. */
function guarded(step: Next): Next {
  return (call) => {
    try {
      return step(call);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
}
