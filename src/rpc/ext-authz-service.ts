import type { ExtAuthz } from "../authz/envoy.js";
import { unavailableResponse } from "../authz/envoy.js";
import type { CheckRequest, CheckResponse } from "../gen/envoy/service/auth/v3/external_auth.js";
import type { Logger } from "../log.js";
import type { CallContext } from "./edge/context.js";

/** Time kept back from the deadline to send the denial before the call itself times out. */
const DEADLINE_MARGIN_MS = 20;

/**
 * envoy.service.auth.v3.Authorization/Check. It never fails as a gRPC call:
 * any trouble, a deadline about to pass included, is a denied 503, so that
 * Envoy's failure_mode_allow cannot turn it into an allow.
 */
export function extAuthzHandlers(extAuthz: ExtAuthz, log: Logger) {
  return {
    check: async (request: CheckRequest, context: CallContext): Promise<CheckResponse> => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<CheckResponse>((resolve) => {
        timer = setTimeout(
          () => resolve(unavailableResponse("timeout")),
          Math.max(0, context.deadlineAt - Date.now() - DEADLINE_MARGIN_MS),
        );
      });
      try {
        return await Promise.race([extAuthz.check(request), deadline]);
      } catch (error) {
        log.error({ err: error, requestId: context.requestId }, "ext_authz check failed");
        return unavailableResponse("error");
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
