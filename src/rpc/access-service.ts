import type { Authenticator } from "../authn/authenticator.js";
import { MAX_BATCH_ITEMS, type Access, type Claimant } from "../authz/access.js";
import { InvalidArgumentError } from "../errors.js";
import type {
  AccessServiceServer,
  CheckBatchRequest,
  CheckBatchResponse,
  CheckRequest,
  CheckResponse,
} from "../gen/warden/v1/access_service.js";
import type { Principal } from "../gen/warden/v1/auth_service.js";
import { authorize } from "./authorize.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";

export interface AccessServiceDependencies {
  authenticator: Authenticator;
  access: Access;
}

/** A credential needs no caller credential; a vouched-for principal needs a caller with `access:check`. */
async function claimant(
  request: { credential?: string | undefined; principal?: Principal | undefined },
  authenticator: Authenticator,
  context: CallContext,
): Promise<Claimant> {
  if (request.principal !== undefined) {
    await authorize(authenticator, context, "access:check");
    return { principal: request.principal };
  }
  if (request.credential === undefined || request.credential === "") {
    throw new InvalidArgumentError("credential", "set credential or principal");
  }
  return { credential: request.credential };
}

/** AccessService handlers: establish who is asking about whom, then call the access domain. */
export function accessServiceHandlers({ authenticator, access }: AccessServiceDependencies) {
  return {
    check: async (request: CheckRequest, context: CallContext): Promise<CheckResponse> => {
      const result = await access.check({
        claimant: await claimant(request, authenticator, context),
        items: [{ permission: request.permission, resource: request.resource }],
        minVersion: request.minVersion,
        client: request.client,
        sourceService: request.sourceService,
        itemPath: () => "",
      });
      return { decision: result.decisions[0], principal: result.principal };
    },

    checkBatch: async (request: CheckBatchRequest, context: CallContext): Promise<CheckBatchResponse> => {
      // Who is asking comes first: an unauthorized caller learns nothing about its request.
      const asking = await claimant(request, authenticator, context);
      if (request.items.length === 0 || request.items.length > MAX_BATCH_ITEMS) {
        throw new InvalidArgumentError("items", `1 to ${MAX_BATCH_ITEMS} items`);
      }
      const result = await access.check({
        claimant: asking,
        items: request.items,
        minVersion: request.minVersion,
        client: request.client,
        sourceService: request.sourceService,
        itemPath: (index) => `items[${index}].`,
      });
      return { decisions: result.decisions, principal: result.principal };
    },
  };
}

export function accessService(deps: AccessServiceDependencies, options: UnaryOptions): AccessServiceServer {
  const handlers = accessServiceHandlers(deps);
  return {
    check: unary("Check", handlers.check, options),
    checkBatch: unary("CheckBatch", handlers.checkBatch, options),
  };
}
