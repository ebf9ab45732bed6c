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
  /** Ends the call with `reason`: its signal aborts, and the handler's result no longer counts. */
  readonly abort: (reason: Error) => void;
  /** How the call ends early; the edge's own. */
  readonly lifetime: CallLifetime;
  /** The caller's credential, once the caller is established; only the edge sees it. */
  credential: string | undefined;
  /** A streaming call's way to send a message to the client. */
  send?: (message: unknown) => Promise<void>;
  /** What the call's log line carries besides the standard fields. */
  readonly logFields: Record<string, unknown>;
}

export type Next = () => Promise<unknown>;
export type Middleware = (call: EdgeCall, next: Next) => Promise<unknown>;

/**
 * Builds a method's middleware when the server starts, from what the method
 * declares; undefined leaves the method without it (e.g. no caller check on
 * a public RPC), so a call pays only for what applies to it.
 */
export type MiddlewareFactory = (method: MethodSpec) => Middleware | undefined;

/** Runs `layers` in order around `terminal`; a layer that throws rejects the call. */
export function compose(layers: readonly Middleware[], terminal: (call: EdgeCall) => Promise<unknown>) {
  return (call: EdgeCall): Promise<unknown> => {
    const dispatch = (index: number): Promise<unknown> => {
      const layer = layers[index];
      try {
        return layer === undefined ? terminal(call) : layer(call, () => dispatch(index + 1));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    return dispatch(0);
  };
}
