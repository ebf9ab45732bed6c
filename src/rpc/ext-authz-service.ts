import type { ExtAuthz } from "../authz/envoy.js";
import { unavailableResponse } from "../authz/envoy.js";
import type { CheckRequest, CheckResponse } from "../gen/envoy/service/auth/v3/external_auth.js";
import type { Logger } from "../log.js";
import type { CallContext } from "./edge/context.js";

/**
 * Time kept back from the deadline to send the denial before the call itself
 * times out: a quarter of the time left, at most 100 ms, so that a busy event
 * loop or a slow network back to Envoy still lets the 503 arrive first.
 */
function deadlineMarginMs(remainingMs: number): number {
  return Math.min(100, remainingMs / 4);
}

/**
 * envoy.service.auth.v3.Authorization/Check. It never fails as a gRPC call:
 * any trouble, a deadline about to pass included, is a denied 503, so that
 * Envoy's failure_mode_allow cannot turn it into an allow.
 */
export function extAuthzHandlers(extAuthz: ExtAuthz, log: Logger) {
  return {
    check: async (request: CheckRequest, context: CallContext): Promise<CheckResponse> => {
      let timer: NodeJS.Timeout | undefined;
      const remainingMs = context.deadlineAt - Date.now();
      const deadline = new Promise<CheckResponse>((resolve) => {
        timer = setTimeout(
          () => resolve(unavailableResponse("timeout")),
          Math.max(0, remainingMs - deadlineMarginMs(remainingMs)),
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
