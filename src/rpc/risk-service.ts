import { FailedPreconditionError } from "../errors.js";
import type { Db } from "../db/pool.js";
import type { GetRiskProfileRequest, GetRiskProfileResponse } from "../gen/warden/v1/risk_service.js";
import type { RiskDetector } from "../risk/detector.js";
import type { CallContext } from "./edge/context.js";

export interface RiskServiceDependencies {
  /** Absent when risk detection is turned off. */
  risk: RiskDetector | undefined;
  now: () => Date;
  /** The database for reads that stop when the call's signal aborts. */
  dbFor: (signal: AbortSignal) => Db;
}

/** RiskService handlers: ask the risk domain. */
export function riskServiceHandlers({ risk, now, dbFor }: RiskServiceDependencies) {
  return {
    getRiskProfile: async (request: GetRiskProfileRequest, context: CallContext): Promise<GetRiskProfileResponse> => {
      if (risk === undefined) throw new FailedPreconditionError("risk detection is turned off (WARDEN_RISK_ENABLED)");
      return risk.riskProfile(request.subject, request.recentLimit, now(), dbFor(context.signal));
    },
  };
}
