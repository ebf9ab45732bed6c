import { status, type ServiceError } from "@grpc/grpc-js";
import { classifyDatabaseError } from "../db/errors.js";
import {
  AlreadyExistsError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  ShuttingDownError,
  UnauthenticatedError,
  UnavailableError,
} from "../errors.js";

export interface GrpcFailure {
  code: status;
  details: string;
  /** Set for failures that are Warden's fault, to be logged with the stack. */
  internal?: unknown;
}

/** The one place where errors become gRPC status codes. */
export function toGrpcFailure(thrown: unknown): GrpcFailure {
  const error = classifyDatabaseError(thrown);
  if (error instanceof InvalidArgumentError) return { code: status.INVALID_ARGUMENT, details: error.message };
  if (error instanceof NotFoundError) return { code: status.NOT_FOUND, details: error.message };
  if (error instanceof AlreadyExistsError) return { code: status.ALREADY_EXISTS, details: error.message };
  if (error instanceof FailedPreconditionError) return { code: status.FAILED_PRECONDITION, details: error.message };
  if (error instanceof UnauthenticatedError) return { code: status.UNAUTHENTICATED, details: error.message };
  if (error instanceof PermissionDeniedError) return { code: status.PERMISSION_DENIED, details: error.message };
  if (error instanceof ResourceExhaustedError) return { code: status.RESOURCE_EXHAUSTED, details: error.message };
  if (error instanceof DeadlineExceededError) return { code: status.DEADLINE_EXCEEDED, details: error.message };
  if (error instanceof UnavailableError || error instanceof ShuttingDownError) {
    return { code: status.UNAVAILABLE, details: error.message };
  }
  return { code: status.INTERNAL, details: "internal error", internal: error };
}

export function toServiceError(failure: GrpcFailure): Partial<ServiceError> {
  return { code: failure.code, details: failure.details, message: failure.details };
}
