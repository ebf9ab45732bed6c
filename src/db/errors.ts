import { DeadlineExceededError, UnavailableError } from "../errors.js";

// SQLSTATE classes and codes that mean "the database could not serve this now",
// as opposed to a bug in a query: connection exceptions, insufficient resources,
// operator intervention (shutdown, cancel), and serialization failures.
const UNAVAILABLE_SQLSTATE_PREFIXES = ["08", "53", "57P", "40001", "40P01", "55P03"];
const STATEMENT_TIMEOUT_SQLSTATE = "57014";
const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const NODE_PG_TRANSIENT_MESSAGES = [
  "timeout exceeded when trying to connect",
  "Connection terminated",
  "Query read timeout",
  "Client has encountered a connection error",
  "Connection terminated due to connection timeout",
];

/**
 * Turns a failure from pg into a typed error when it means the database is
 * unreachable or overloaded; returns anything else (a real bug) unchanged.
 */
export function classifyDatabaseError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code === STATEMENT_TIMEOUT_SQLSTATE) {
      return new DeadlineExceededError("database statement timed out", { cause: error });
    }
    if (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATE_PREFIXES.some((prefix) => code.startsWith(prefix))) {
      return new UnavailableError(`database unavailable (${code})`, { cause: error });
    }
  }
  if (NODE_PG_TRANSIENT_MESSAGES.some((message) => error.message.includes(message))) {
    return new UnavailableError(`database unavailable: ${error.message}`, { cause: error });
  }
  return error;
}

/** Whether a classified error means the database could not serve the work now, rather than refused it. */
export function isTransient(error: unknown): boolean {
  return error instanceof UnavailableError || error instanceof DeadlineExceededError;
}

/** Runs database work, turning an unreachable or overloaded database into a typed error. */
export async function withDatabaseErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw classifyDatabaseError(error);
  }
}
