import type { Authenticator } from "../authn/authenticator.js";
import { FailedPreconditionError } from "../errors.js";
import type {
  GetRiskProfileRequest,
  GetRiskProfileResponse,
  RiskServiceServer,
} from "../gen/warden/v1/risk_service.js";
import type { RiskDetector } from "../risk/detector.js";
import { authorize } from "./authorize.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";

export interface RiskServiceDependencies {
  authenticator: Authenticator;
  /** Absent when risk detection is turned off. */
  risk: RiskDetector | undefined;
  now: () => Date;
}

/** RiskService handlers: authorize the caller, then ask the risk domain. */
export function riskServiceHandlers({ authenticator, risk, now }: RiskServiceDependencies) {
  return {
    getRiskProfile: async (request: GetRiskProfileRequest, context: CallContext): Promise<GetRiskProfileResponse> => {
      await authorize(authenticator, context, "risk:read");
      if (risk === undefined) throw new FailedPreconditionError("risk detection is turned off (WARDEN_RISK_ENABLED)");
      return risk.riskProfile(request.subject, request.recentLimit, now());
    },
  };
}

export function riskService(deps: RiskServiceDependencies, options: UnaryOptions): RiskServiceServer {
  const handlers = riskServiceHandlers(deps);
  return { getRiskProfile: unary("GetRiskProfile", handlers.getRiskProfile, options) };
}
