import { status, type ServerWritableStream } from "@grpc/grpc-js";
import { once } from "node:events";
import { toGrpcFailure, toServiceError } from "./errors.js";
import { inRange } from "./numbers.js";
import { recordCall, requestIdOf, type CallContext, type UnaryOptions } from "./unary.js";

export interface StreamContext extends Omit<CallContext, "timeoutMs"> {
  /** Aborted when the client cancels or disconnects. */
  signal: AbortSignal;
}

export type StreamHandler<Request, Response> = (
  request: Request,
  context: StreamContext,
  send: (message: Response) => Promise<void>,
) => Promise<void>;

/**
 * Adapts an async server-streaming handler to grpc-js: honours back-pressure,
 * stops the handler when the client goes away, maps thrown errors to status
 * codes, and writes one log line (with the messages sent) and the metrics
 * when the stream ends.
 */
export function serverStream<Request, Response>(
  method: string,
  handler: StreamHandler<Request, Response>,
  options: UnaryOptions,
): (call: ServerWritableStream<Request, Response>) => void {
  return (call) => {
    const requestId = requestIdOf(call.metadata);
    const recorded = recordCall(method, requestId, call.getPeer(), options);
    const cancelled = new AbortController();
    call.on("cancelled", () => cancelled.abort());
    let messages = 0;
    const send = async (message: Response) => {
      messages += 1;
      if (!call.write(message)) await once(call, "drain", { signal: cancelled.signal });
    };
    Promise.resolve(call.request)
      .then(inRange)
      .then((request) =>
        handler(request, { requestId, metadata: call.metadata, peer: call.getPeer(), signal: cancelled.signal }, send),
      )
      .then(
        () => {
          recorded(cancelled.signal.aborted ? status.CANCELLED : status.OK, undefined, { messages });
          if (!cancelled.signal.aborted) call.end();
        },
        (error: unknown) => {
          if (cancelled.signal.aborted) {
            recorded(status.CANCELLED, undefined, { messages });
            return;
          }
          const failure = toGrpcFailure(error);
          recorded(failure.code, failure, { messages });
          call.emit("error", toServiceError(failure));
        },
      );
  };
}
