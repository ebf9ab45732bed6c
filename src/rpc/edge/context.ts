import type { X509Certificate } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";
import type { Actor } from "../../audit/audit.js";
import type { Principal } from "../../gen/warden/v1/auth_service.js";

/** The authenticated caller of an RPC whose access rule needs one. */
export interface Caller {
  principal: Principal;
  /** Who the caller is in the records a change writes. */
  actor: Actor;
}

/** What a handler knows about the call besides its request message. */
export interface CallContext {
  requestId: string;
  metadata: Metadata;
  /** The caller's address and port as grpc-js reports it, e.g. "127.0.0.1:53210", "::1:53210". */
  peer: string;
  /** The client certificate mTLS verified, read when asked for; undefined without one. */
  readonly peerCertificate: X509Certificate | undefined;
  /**
   * Aborted, with the error the call ends with, when the caller goes away,
   * the deadline passes, or a stream's caller stops being authenticated.
   * Hand it to queries (db.withSignal) so they stop too.
   */
  signal: AbortSignal;
  /** When the call fails with DEADLINE_EXCEEDED, in epoch milliseconds; Infinity for none. */
  deadlineAt: number;
  /** Set by the edge for every RPC whose access rule asks for a caller. */
  caller: Caller | undefined;
}

export type UnaryHandler<Request, Response> = (request: Request, context: CallContext) => Promise<Response>;

export type StreamHandler<Request, Response> = (
  request: Request,
  context: CallContext,
  send: (message: Response) => Promise<void>,
) => Promise<void>;

/** The caller the edge established; only absent from a public RPC, where asking for it is a bug. */
export function callerOf(context: CallContext): Caller {
  if (context.caller === undefined) throw new Error("no caller: the RPC's access rule asks for none");
  return context.caller;
}
