/**
 * An error that is an outcome, not a bug: a refused credential or a malformed
 * field is answered thousands of times a second, and its message (with
 * `cause`, which keeps its own stack) says all there is to know. It captures
 * no stack trace, which would cost more than the rest of a refusal.
 */
export class StacklessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * Typed errors that domain modules throw. Each names what went wrong in terms a
 * caller can act on; src/rpc/errors.ts maps them to gRPC status codes.
 */
export abstract class WardenError extends StacklessError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request field is missing or malformed. `field` is its path, e.g. `event.client.ip_address`. */
export class InvalidArgumentError extends WardenError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** Warden is temporarily unable to serve, e.g. the database is unreachable. Retrying later may work. */
export class UnavailableError extends WardenError {}

/** A bounded queue is full; the caller should back off. */
export class ResourceExhaustedError extends WardenError {}

/** The caller's deadline passed before the work finished. */
export class DeadlineExceededError extends WardenError {}

/** The caller cancelled the call, or went away. */
export class CancelledError extends WardenError {}

/** The server is shutting down and takes no new work. */
export class ShuttingDownError extends WardenError {
  constructor() {
    super("server is shutting down");
  }
}

/** The thing named does not exist. */
export class NotFoundError extends WardenError {}

/** A unique field collides with an existing record. `field` is its proto name. */
export class AlreadyExistsError extends WardenError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** The request is valid but the target's state forbids it (e.g. rotating a revoked token). */
export class FailedPreconditionError extends WardenError {}

/** The call carries no usable credential. */
export class UnauthenticatedError extends WardenError {}

/** The caller's credential lacks the scope the call needs; the message names it. */
export class PermissionDeniedError extends WardenError {}
