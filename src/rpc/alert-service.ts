import type { Alerts } from "../alerts/alerts.js";
import type { AlertFeed } from "../alerts/feed.js";
import type { Authenticator } from "../authn/authenticator.js";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.js";
import type {
  AcknowledgeAlertRequest,
  AcknowledgeAlertResponse,
  AlertServiceServer,
  GetAlertRequest,
  GetAlertResponse,
  ListAlertsRequest,
  ListAlertsResponse,
  ResolveAlertRequest,
  ResolveAlertResponse,
  WatchAlertsRequest,
  WatchAlertsResponse,
} from "../gen/warden/v1/alert_service.js";
import { authorize } from "./authorize.js";
import { serverStream, type StreamContext } from "./stream.js";
import { unary, type CallContext, type UnaryOptions } from "./unary.js";
import { SEQ_PATTERN } from "../validate.js";

export interface AlertServiceDependencies {
  authenticator: Authenticator;
  /** Absent when alerting is turned off. */
  alerts: { store: Alerts; feed: AlertFeed } | undefined;
}

const CHANGES_PER_READ = 100;

/** AlertService handlers: authorize the caller, then call the alerts domain. */
export function alertServiceHandlers({ authenticator, alerts }: AlertServiceDependencies) {
  const enabled = () => {
    if (alerts === undefined) throw new FailedPreconditionError("alerting is turned off (WARDEN_ALERTS_ENABLED)");
    return alerts;
  };
  return {
    listAlerts: async (request: ListAlertsRequest, context: CallContext): Promise<ListAlertsResponse> => {
      await authorize(authenticator, context, "alerts:read");
      return enabled().store.list(request);
    },

    getAlert: async (request: GetAlertRequest, context: CallContext): Promise<GetAlertResponse> => {
      await authorize(authenticator, context, "alerts:read");
      return { alert: await enabled().store.get(request.alertId) };
    },

    acknowledgeAlert: async (
      request: AcknowledgeAlertRequest,
      context: CallContext,
    ): Promise<AcknowledgeAlertResponse> => {
      const actor = await authorize(authenticator, context, "alerts:write");
      return { alert: await enabled().store.acknowledge(request.alertId, request.note, actor) };
    },

    resolveAlert: async (request: ResolveAlertRequest, context: CallContext): Promise<ResolveAlertResponse> => {
      const actor = await authorize(authenticator, context, "alerts:write");
      return { alert: await enabled().store.resolve(request.alertId, request.note, actor) };
    },

    watchAlerts: async (
      request: WatchAlertsRequest,
      context: StreamContext,
      send: (change: WatchAlertsResponse) => Promise<void>,
    ): Promise<void> => {
      await authorize(authenticator, context, "alerts:read");
      const { store, feed } = enabled();
      if (request.cursor !== "" && !SEQ_PATTERN.test(request.cursor)) {
        throw new InvalidArgumentError("cursor", "not a cursor returned by WatchAlerts");
      }
      let cursor = request.cursor === "" ? await store.latestCursor() : request.cursor;
      while (!context.signal.aborted && !feed.isClosed) {
        // Waiting starts before the read, so a change committed during it still wakes us.
        const woken = feed.next(context.signal);
        const changes = await store.changesAfter(cursor, CHANGES_PER_READ);
        for (const change of changes) {
          await send(change);
          cursor = change.cursor;
        }
        if (changes.length < CHANGES_PER_READ) await woken;
      }
    },
  };
}

export function alertService(deps: AlertServiceDependencies, options: UnaryOptions): AlertServiceServer {
  const handlers = alertServiceHandlers(deps);
  return {
    listAlerts: unary("ListAlerts", handlers.listAlerts, options),
    getAlert: unary("GetAlert", handlers.getAlert, options),
    acknowledgeAlert: unary("AcknowledgeAlert", handlers.acknowledgeAlert, options),
    resolveAlert: unary("ResolveAlert", handlers.resolveAlert, options),
    watchAlerts: serverStream("WatchAlerts", handlers.watchAlerts, options),
  };
}
