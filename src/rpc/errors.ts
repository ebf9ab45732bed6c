import { status, type ServiceError } from "@grpc/grpc-js";
import { classifyDatabaseError } from "../db/errors.js";
import {
  AlreadyExistsError,
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  ShuttingDownError,
  StacklessError,
  UnauthenticatedError,
  UnavailableError,
} from "../errors.js";

/**
 * How a call failed, as the caller will see it. Where it was made is always
 * toGrpcFailure; a failure that is Warden's fault keeps the original error,
 * stack and all, in `internal`.
 */
export class GrpcFailure extends StacklessError {
  constructor(
    readonly code: status,
    readonly details: string,
    /** Set for failures that are Warden's fault, to be logged with the stack. */
    readonly internal?: unknown,
  ) {
    super(details);
  }
}

/** The one place where errors become gRPC status codes. */
export function toGrpcFailure(thrown: unknown): GrpcFailure {
  if (thrown instanceof GrpcFailure) return thrown;
  const error = classifyDatabaseError(thrown);
  if (error instanceof InvalidArgumentError) return new GrpcFailure(status.INVALID_ARGUMENT, error.message);
  if (error instanceof NotFoundError) return new GrpcFailure(status.NOT_FOUND, error.message);
  if (error instanceof AlreadyExistsError) return new GrpcFailure(status.ALREADY_EXISTS, error.message);
  if (error instanceof FailedPreconditionError) return new GrpcFailure(status.FAILED_PRECONDITION, error.message);
  if (error instanceof UnauthenticatedError) return new GrpcFailure(status.UNAUTHENTICATED, error.message);
  if (error instanceof PermissionDeniedError) return new GrpcFailure(status.PERMISSION_DENIED, error.message);
  if (error instanceof ResourceExhaustedError) return new GrpcFailure(status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof DeadlineExceededError) return new GrpcFailure(status.DEADLINE_EXCEEDED, error.message);
  if (error instanceof CancelledError) return new GrpcFailure(status.CANCELLED, error.message);
  if (error instanceof UnavailableError || error instanceof ShuttingDownError) {
    return new GrpcFailure(status.UNAVAILABLE, error.message);
  }
  return new GrpcFailure(status.INTERNAL, "internal error", error);
}

export function toServiceError(failure: GrpcFailure): Partial<ServiceError> {
  return { code: failure.code, details: failure.details, message: failure.details };
}
