import type { Alerts } from "../alerts/alerts.js";
import type { AlertFeed } from "../alerts/feed.js";
import type { Db } from "../db/pool.js";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.js";
import type {
  AcknowledgeAlertRequest,
  AcknowledgeAlertResponse,
  GetAlertRequest,
  GetAlertResponse,
  ListAlertsRequest,
  ListAlertsResponse,
  ResolveAlertRequest,
  ResolveAlertResponse,
  WatchAlertsRequest,
  WatchAlertsResponse,
} from "../gen/warden/v1/alert_service.js";
import { callerOf, type CallContext } from "./edge/context.js";
import { SEQ_PATTERN } from "../validate.js";

export interface AlertServiceDependencies {
  /** Absent when alerting is turned off. */
  alerts: { store: Alerts; feed: AlertFeed } | undefined;
  /** The database for reads that stop when the call's signal aborts. */
  dbFor: (signal: AbortSignal) => Db;
}

const CHANGES_PER_READ = 100;

/** AlertService handlers: call the alerts domain. */
export function alertServiceHandlers({ alerts, dbFor }: AlertServiceDependencies) {
  const enabled = () => {
    if (alerts === undefined) throw new FailedPreconditionError("alerting is turned off (WARDEN_ALERTS_ENABLED)");
    return alerts;
  };
  return {
    listAlerts: async (request: ListAlertsRequest, context: CallContext): Promise<ListAlertsResponse> =>
      enabled().store.list(request, dbFor(context.signal)),

    getAlert: async (request: GetAlertRequest, context: CallContext): Promise<GetAlertResponse> => ({
      alert: await enabled().store.get(request.alertId, dbFor(context.signal)),
    }),

    acknowledgeAlert: async (
      request: AcknowledgeAlertRequest,
      context: CallContext,
    ): Promise<AcknowledgeAlertResponse> => {
      return { alert: await enabled().store.acknowledge(request.alertId, request.note, callerOf(context).actor) };
    },

    resolveAlert: async (request: ResolveAlertRequest, context: CallContext): Promise<ResolveAlertResponse> => {
      return { alert: await enabled().store.resolve(request.alertId, request.note, callerOf(context).actor) };
    },

    watchAlerts: async (
      request: WatchAlertsRequest,
      context: CallContext,
      send: (change: WatchAlertsResponse) => Promise<void>,
    ): Promise<void> => {
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
