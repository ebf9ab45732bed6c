import { MAX_BATCH_ITEMS, type Access, type Claimant } from "../authz/access.js";
import { InvalidArgumentError } from "../errors.js";
import type {
  CheckBatchRequest,
  CheckBatchResponse,
  CheckRequest,
  CheckResponse,
} from "../gen/warden/v1/access_service.js";
import type { Principal } from "../gen/warden/v1/auth_service.js";

export interface AccessServiceDependencies {
  access: Access;
}

/**
 * Who the check is about: a credential to authenticate, or a principal the
 * caller vouches for (the edge has already required access:check of that
 * caller, as the RPC's access rule declares).
 */
function claimant(request: { credential?: string | undefined; principal?: Principal | undefined }): Claimant {
  if (request.principal !== undefined) return { principal: request.principal };
  if (request.credential === undefined || request.credential === "") {
    throw new InvalidArgumentError("credential", "set credential or principal");
  }
  return { credential: request.credential };
}

/** AccessService handlers: establish whom the check is about, then call the access domain. */
export function accessServiceHandlers({ access }: AccessServiceDependencies) {
  return {
    check: async (request: CheckRequest): Promise<CheckResponse> => {
      const result = await access.check({
        claimant: claimant(request),
        items: [{ permission: request.permission, resource: request.resource }],
        minVersion: request.minVersion,
        client: request.client,
        sourceService: request.sourceService,
        itemPath: () => "",
      });
      return { decision: result.decisions[0], principal: result.principal };
    },

    checkBatch: async (request: CheckBatchRequest): Promise<CheckBatchResponse> => {
      const asking = claimant(request);
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
