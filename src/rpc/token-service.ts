import type { Authenticator } from "../authn/authenticator.js";
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
  TokenServiceServer,
} from "../gen/warden/v1/token_service.js";
import type { Duration } from "../gen/google/protobuf/duration.js";
import type { ServiceTokens } from "../tokens/tokens.js";
import { authorize, authorizeCaller, requireHeld } from "./authorize.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";

export interface TokenServiceDependencies {
  authenticator: Authenticator;
  tokens: ServiceTokens;
}

function milliseconds(duration: Duration | undefined): number | undefined {
  return duration === undefined ? undefined : duration.seconds * 1000 + Math.floor(duration.nanos / 1e6);
}

/** TokenService handlers: authorize the caller, then call the token domain. */
export function tokenServiceHandlers({ authenticator, tokens }: TokenServiceDependencies) {
  return {
    createServiceToken: async (
      request: CreateServiceTokenRequest,
      context: CallContext,
    ): Promise<CreateServiceTokenResponse> => {
      const caller = await authorizeCaller(authenticator, context, "tokens:write");
      requireHeld(caller.scopes, request.scopes);
      return tokens.create(request, caller.actor);
    },

    getServiceToken: async (
      request: GetServiceTokenRequest,
      context: CallContext,
    ): Promise<GetServiceTokenResponse> => {
      await authorize(authenticator, context, "tokens:read");
      return { token: await tokens.get(request.token) };
    },

    listServiceTokens: async (
      request: ListServiceTokensRequest,
      context: CallContext,
    ): Promise<ListServiceTokensResponse> => {
      await authorize(authenticator, context, "tokens:read");
      return tokens.list(request);
    },

    revokeServiceToken: async (
      request: RevokeServiceTokenRequest,
      context: CallContext,
    ): Promise<RevokeServiceTokenResponse> => {
      const actor = await authorize(authenticator, context, "tokens:write");
      return { token: await tokens.revoke(request.token, request.reason, actor) };
    },

    rotateServiceToken: async (
      request: RotateServiceTokenRequest,
      context: CallContext,
    ): Promise<RotateServiceTokenResponse> => {
      const caller = await authorizeCaller(authenticator, context, "tokens:write");
      // Rotation hands the caller a working secret for the token's scopes.
      requireHeld(caller.scopes, (await tokens.get(request.token)).scopes);
      return tokens.rotate(request.token, milliseconds(request.gracePeriod), caller.actor);
    },

    revokeAllServiceTokens: async (
      request: RevokeAllServiceTokensRequest,
      context: CallContext,
    ): Promise<RevokeAllServiceTokensResponse> => {
      const actor = await authorize(authenticator, context, "tokens:write");
      return { revokedCount: await tokens.revokeAll(request.confirmation, request.reason, actor) };
    },
  };
}

export function tokenService(deps: TokenServiceDependencies, options: UnaryOptions): TokenServiceServer {
  const handlers = tokenServiceHandlers(deps);
  return {
    createServiceToken: unary("CreateServiceToken", handlers.createServiceToken, options),
    getServiceToken: unary("GetServiceToken", handlers.getServiceToken, options),
    listServiceTokens: unary("ListServiceTokens", handlers.listServiceTokens, options),
    revokeServiceToken: unary("RevokeServiceToken", handlers.revokeServiceToken, options),
    rotateServiceToken: unary("RotateServiceToken", handlers.rotateServiceToken, options),
    revokeAllServiceTokens: unary("RevokeAllServiceTokens", handlers.revokeAllServiceTokens, options),
  };
}
