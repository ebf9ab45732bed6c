import { FailedPreconditionError } from "../errors.js";
import type { GetRiskProfileRequest, GetRiskProfileResponse } from "../gen/warden/v1/risk_service.js";
import type { RiskDetector } from "../risk/detector.js";

export interface RiskServiceDependencies {
  /** Absent when risk detection is turned off. */
  risk: RiskDetector | undefined;
  now: () => Date;
}

/** RiskService handlers: ask the risk domain. */
export function riskServiceHandlers({ risk, now }: RiskServiceDependencies) {
  return {
    getRiskProfile: async (request: GetRiskProfileRequest): Promise<GetRiskProfileResponse> => {
      if (risk === undefined) throw new FailedPreconditionError("risk detection is turned off (WARDEN_RISK_ENABLED)");
      return risk.riskProfile(request.subject, request.recentLimit, now());
    },
  };
}
