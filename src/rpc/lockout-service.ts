import type { Db } from "../db/pool.js";
import { FailedPreconditionError } from "../errors.js";
import type {
  ListLockoutsRequest,
  ListLockoutsResponse,
  UnlockRequest,
  UnlockResponse,
} from "../gen/warden/v1/lockout_service.js";
import type { Lockouts } from "../lockout/lockouts.js";
import { callerOf, type CallContext } from "./edge/context.js";

export interface LockoutServiceDependencies {
  /** Absent when lockout is turned off. */
  lockouts: Lockouts | undefined;
  /** The pool, as a call's queries see it: cancelled when the call ends early. */
  dbFor: (signal: AbortSignal) => Db;
}

/** LockoutService handlers: call the lockout domain. */
export function lockoutServiceHandlers({ lockouts, dbFor }: LockoutServiceDependencies) {
  return {
    listLockouts: async (request: ListLockoutsRequest, context: CallContext): Promise<ListLockoutsResponse> =>
      lockouts === undefined ? { lockouts: [], nextPageToken: "" } : lockouts.list(request, dbFor(context.signal)),

    unlock: async (request: UnlockRequest, context: CallContext): Promise<UnlockResponse> => {
      if (lockouts === undefined) throw new FailedPreconditionError("lockout is turned off (WARDEN_LOCKOUT_ENABLED)");
      return { lockout: await lockouts.unlock(request.kind, request.key, request.reason, callerOf(context).actor) };
    },
  };
}
