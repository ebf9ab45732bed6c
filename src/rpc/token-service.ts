import type {
  CreateServiceTokenRequest,
  CreateServiceTokenResponse,
  GetServiceTokenRequest,
  GetServiceTokenResponse,
  ListServiceTokensRequest,
  ListServiceTokensResponse,
  RevokeAllServiceTokensRequest,
  RevokeAllServiceTokensResponse,
  RevokeServiceTokenRequest,
  RevokeServiceTokenResponse,
  RotateServiceTokenRequest,
  RotateServiceTokenResponse,
} from "../gen/warden/v1/token_service.js";
import type { Db } from "../db/pool.js";
import type { ServiceTokens } from "../tokens/tokens.js";
import { requireHeld } from "../tokens/scopes.js";
import { callerOf, type CallContext } from "./edge/context.js";
import { milliseconds } from "./numbers.js";

export interface TokenServiceDependencies {
  tokens: ServiceTokens;
  /** The database for reads that stop when the call's signal aborts. */
  dbFor: (signal: AbortSignal) => Db;
}

/** TokenService handlers: call the token domain as the caller the edge established. */
export function tokenServiceHandlers({ tokens, dbFor }: TokenServiceDependencies) {
  return {
    createServiceToken: async (
      request: CreateServiceTokenRequest,
      context: CallContext,
    ): Promise<CreateServiceTokenResponse> => {
      const caller = callerOf(context);
      requireHeld(caller.principal.scopes, request.scopes);
      return tokens.create(request, caller.actor);
    },

    getServiceToken: async (
      request: GetServiceTokenRequest,
      context: CallContext,
    ): Promise<GetServiceTokenResponse> => ({
      token: await tokens.get(request.token, dbFor(context.signal)),
    }),

    listServiceTokens: async (
      request: ListServiceTokensRequest,
      context: CallContext,
    ): Promise<ListServiceTokensResponse> => tokens.list(request, dbFor(context.signal)),

    revokeServiceToken: async (
      request: RevokeServiceTokenRequest,
      context: CallContext,
    ): Promise<RevokeServiceTokenResponse> => {
      return { token: await tokens.revoke(request.token, request.reason, callerOf(context).actor) };
    },

    rotateServiceToken: async (
      request: RotateServiceTokenRequest,
      context: CallContext,
    ): Promise<RotateServiceTokenResponse> => {
      const caller = callerOf(context);
      // Rotation hands the caller a working secret for the token's scopes.
      requireHeld(caller.principal.scopes, (await tokens.get(request.token)).scopes);
      return tokens.rotate(request.token, milliseconds(request.gracePeriod), caller.actor);
    },

    revokeAllServiceTokens: async (
      request: RevokeAllServiceTokensRequest,
      context: CallContext,
    ): Promise<RevokeAllServiceTokensResponse> => {
      return {
        revokedCount: await tokens.revokeAll(request.confirmation, request.reason, callerOf(context).actor),
      };
    },
  };
}
