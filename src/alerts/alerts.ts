import {
  acknowledgeAlert,
  alertChangesAfter,
  deliveriesOf,
  getAlerts,
  latestAlertChange,
  listAlerts,
  lockAlertChanges,
  notifyAlertsChanged,
  recordAlertChange,
  resolveAlert,
  type alert_change_kind,
  type alert_severity,
  type alert_state,
  type IListAlertsResult,
} from "../../sql/queries/alerts.queries.js";
import { withDatabaseErrors } from "../db/errors.js";
import { boundedText, enumLabel, UUID_PATTERN } from "../validate.js";
import { decodeTimeKey, encodeTimeKey } from "../db/page-token.js";
import { withTransaction, type Db, type Pool, type PoolClient } from "../db/pool.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors.js";
import {
  AlertChangeKind,
  AlertSeverity,
  AlertState,
  DeliveryState,
  type Alert,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type WatchAlertsResponse,
} from "../gen/warden/v1/alert_service.js";
import { recordAudit, type Actor } from "../audit/audit.js";
import { MAX_RULE_NAME_LENGTH } from "./rules.js";

export const ALERT_PAGE_SIZE = { default: 100, max: 1000 } as const;
const MAX_NOTE_LENGTH = 1024;

type Row = IListAlertsResult;

function alertId(value: string): string {
  if (value === "") throw new InvalidArgumentError("alert_id", "required");
  if (!UUID_PATTERN.test(value)) throw new InvalidArgumentError("alert_id", "must be a UUID");
  return value.toLowerCase();
}

function note(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("note", "required: say why");
  return boundedText(value, "note", MAX_NOTE_LENGTH);
}

/** Alerts as the API shows them, and their lifecycle. */
export class Alerts {
  constructor(private readonly pool: Pool) {}

  /** Reads take the caller's `db` (db.withSignal), so they stop when the call does. */
  async list(request: ListAlertsRequest, db: Db = this.pool): Promise<ListAlertsResponse> {
    if (request.pageSize > ALERT_PAGE_SIZE.max) {
      throw new InvalidArgumentError("page_size", `at most ${ALERT_PAGE_SIZE.max}`);
    }
    const pageSize = request.pageSize === 0 ? ALERT_PAGE_SIZE.default : request.pageSize;
    const cursor = request.pageToken === "" ? undefined : decodeTimeKey(request.pageToken, "ListAlerts");
    const rows = await withDatabaseErrors(() =>
      listAlerts.run(
        {
          state: enumLabel<alert_state>(AlertState, request.state, "state"),
          minSeverity: enumLabel<alert_severity>(AlertSeverity, request.minSeverity, "min_severity"),
          rule: request.rule === "" ? null : boundedText(request.rule, "rule", MAX_RULE_NAME_LENGTH),
          cursorCreatedAt: cursor?.at ?? null,
          cursorAlertId: cursor?.id ?? null,
          limit: pageSize + 1,
        },
        db,
      ),
    );
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    return {
      alerts: await this.withDeliveries(page, db),
      nextPageToken:
        rows.length > pageSize && last !== undefined ? encodeTimeKey({ at: last.created_at, id: last.alert_id }) : "",
    };
  }

  async get(id: string, db: Db = this.pool): Promise<Alert> {
    const [alert] = await this.byIds([alertId(id)], db);
    if (alert === undefined) throw new NotFoundError(`no alert ${id}`);
    return alert;
  }

  acknowledge(id: string, why: string, actor: Actor): Promise<Alert> {
    const reason = note(why);
    return this.change(alertId(id), "ACKNOWLEDGED", actor, reason, (client, alert) =>
      acknowledgeAlert.run({ alertId: alert, actor: actor.principal, note: reason }, client),
    );
  }

  resolve(id: string, why: string, actor: Actor): Promise<Alert> {
    const reason = note(why);
    return this.change(alertId(id), "RESOLVED", actor, reason, (client, alert) =>
      resolveAlert.run({ alertId: alert, actor: actor.principal, note: reason }, client),
    );
  }

  /** Changes after `cursor` (oldest first) with each alert as it is now. */
  async changesAfter(cursor: string, limit: number): Promise<WatchAlertsResponse[]> {
    const changes = await withDatabaseErrors(() => alertChangesAfter.run({ after: cursor, limit }, this.pool));
    const alerts = new Map(
      (await this.byIds([...new Set(changes.map((c) => c.alertId))])).map((alert) => [alert.alertId, alert]),
    );
    return changes.map((change) => ({
      cursor: change.seq,
      kind: AlertChangeKind[change.kind],
      alert: alerts.get(change.alertId),
    }));
  }

  /** The cursor of the latest change: a watch from now starts here. */
  async latestCursor(): Promise<string> {
    const [latest] = await withDatabaseErrors(() => latestAlertChange.run(undefined, this.pool));
    return latest!.seq;
  }

  private async change(
    id: string,
    kind: alert_change_kind,
    actor: Actor,
    why: string,
    update: (client: PoolClient, id: string) => Promise<{ previous_state: alert_state }[]>,
  ): Promise<Alert> {
    const changed = await withDatabaseErrors(() =>
      withTransaction(this.pool, async (client) => {
        await lockAlertChanges.run(undefined, client);
        const [updated] = await update(client, id);
        if (updated === undefined) return false;
        await recordAlertChange.run({ alertId: id, kind, sinks: [] }, client);
        await recordAudit(client, actor, {
          action: kind === "RESOLVED" ? "alert.resolve" : "alert.acknowledge",
          target: `alert:${id}`,
          before: { state: updated.previous_state },
          after: { state: kind, note: why },
        });
        await notifyAlertsChanged.run(undefined, client);
        return true;
      }),
    );
    const alert = await this.get(id);
    if (!changed) {
      throw new FailedPreconditionError(
        `alert ${id} is ${AlertState[alert.state]}; it cannot become ${kind.toLowerCase()}`,
      );
    }
    return alert;
  }

  private async byIds(ids: string[], db: Db = this.pool): Promise<Alert[]> {
    if (ids.length === 0) return [];
    return this.withDeliveries(await withDatabaseErrors(() => getAlerts.run({ alertIds: ids }, db)), db);
  }

  private async withDeliveries(rows: Row[], db: Db): Promise<Alert[]> {
    if (rows.length === 0) return [];
    const deliveries = await withDatabaseErrors(() =>
      deliveriesOf.run({ alertIds: rows.map((row) => row.alert_id) }, db),
    );
    return rows.map((row) => ({
      alertId: row.alert_id,
      rule: row.rule,
      severity: AlertSeverity[row.severity],
      state: AlertState[row.state],
      fingerprint: row.fingerprint,
      group: row.group_key,
      summary: row.summary,
      count: row.count,
      firstSeenAt: row.first_seen_at,
      lastSeenAt: row.last_seen_at,
      lastEventId: row.last_event_id ?? "",
      createdAt: row.created_at,
      acknowledgedAt: row.acknowledged_at ?? undefined,
      acknowledgedBy: row.acknowledged_by ?? "",
      acknowledgeNote: row.acknowledge_note ?? "",
      resolvedAt: row.resolved_at ?? undefined,
      resolvedBy: row.resolved_by ?? "",
      resolveNote: row.resolve_note ?? "",
      deliveries: deliveries
        .filter((d) => d.alert_id === row.alert_id)
        .map((d) => ({
          deliveryId: d.delivery_id,
          sink: d.sink,
          state: DeliveryState[d.state],
          attempts: d.attempts,
          nextAttemptAt: d.state === "PENDING" ? d.next_attempt_at : undefined,
          deliveredAt: d.delivered_at ?? undefined,
          lastError: d.last_error ?? "",
        })),
    }));
  }
}
