import type { Authenticator } from "../authn/authenticator.js";
import { FailedPreconditionError } from "../errors.js";
import type {
  ListLockoutsRequest,
  ListLockoutsResponse,
  LockoutServiceServer,
  UnlockRequest,
  UnlockResponse,
} from "../gen/warden/v1/lockout_service.js";
import type { Lockouts } from "../lockout/lockouts.js";
import { authorize } from "./authorize.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";

export interface LockoutServiceDependencies {
  authenticator: Authenticator;
  /** Absent when lockout is turned off. */
  lockouts: Lockouts | undefined;
}

/** LockoutService handlers: authorize the caller, then call the lockout domain. */
export function lockoutServiceHandlers({ authenticator, lockouts }: LockoutServiceDependencies) {
  return {
    listLockouts: async (request: ListLockoutsRequest, context: CallContext): Promise<ListLockoutsResponse> => {
      await authorize(authenticator, context, "lockouts:read");
      return lockouts === undefined ? { lockouts: [], nextPageToken: "" } : lockouts.list(request);
    },

    unlock: async (request: UnlockRequest, context: CallContext): Promise<UnlockResponse> => {
      const actor = await authorize(authenticator, context, "lockouts:write");
      if (lockouts === undefined) throw new FailedPreconditionError("lockout is turned off (WARDEN_LOCKOUT_ENABLED)");
      return { lockout: await lockouts.unlock(request.kind, request.key, request.reason, actor) };
    },
  };
}

export function lockoutService(deps: LockoutServiceDependencies, options: UnaryOptions): LockoutServiceServer {
  const handlers = lockoutServiceHandlers(deps);
  return {
    listLockouts: unary("ListLockouts", handlers.listLockouts, options),
    unlock: unary("Unlock", handlers.unlock, options),
  };
}
