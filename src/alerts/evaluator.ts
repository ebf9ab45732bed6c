import { randomUUID } from "node:crypto";
import {
  advanceAlertCursor,
  eventsForAlerts,
  latestOpenAlerts,
  loadAlertHits,
  lockAlertChanges,
  lockAlertCursor,
  notifyAlertsChanged,
  pruneAlertHits,
  replaceAlertHits,
  writeAlertFirings,
  type alert_change_kind,
  type event_type,
} from "../../sql/queries/alerts.queries.js";
import { nullable } from "../db/arrays.js";
import { withTransaction, type Pool, type PoolClient } from "../db/pool.js";
import type { Logger } from "../log.js";
import { PeriodicTask } from "../ops/periodic.js";
import { groupOf, matches, type AlertRules, type AlertSeverityName } from "./rules.js";

export interface EvaluatorOptions {
  /** How often a replica tries to evaluate new events. */
  intervalMs: number;
  /** Sinks every raised alert is queued for (the outbox), e.g. ["webhook"]. */
  sinks: string[];
}

const EVENTS_PER_RUN = 2000;
const LAST_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff";
const RUNS_PER_TICK = 20;

interface Hit {
  occurredAt: Date;
  eventId: string | null;
}

interface Firing {
  rule: string;
  severity: AlertSeverityName;
  cooldownSeconds: number;
  group: string;
  summary: string;
  at: Date;
  eventId: string | null;
  /** Whether escalation counts it (its rule groups by subject). */
  aboutSubject: boolean;
}

/** One alert raised or repeated by a run, for the log sink once it commits. */
export interface AlertRaised {
  alertId: string;
  kind: alert_change_kind;
  rule: string;
  group: string;
  severity: AlertSeverityName;
  summary: string;
}

const key = (rule: string, group: string) => `${rule}\u0000${group}`;

/**
 * Applies the alert rules to new events, off the request path. Every replica
 * runs one; they take turns through a row lock on the cursor, and each run
 * moves the cursor, the rules' counts and the alerts it raises in one
 * transaction, so each event is counted exactly once however many replicas run.
 */
export class AlertEvaluator {
  private readonly task: PeriodicTask;
  private lastPrune = 0;
  /** The event types some rule reads; null when a rule reads every type. */
  private readonly types: event_type[] | null;
  /** The longest window any rule counts over, in seconds: older hits can go. */
  private readonly longestWindowSeconds: number;

  constructor(
    private readonly pool: Pool,
    private readonly rules: AlertRules,
    private readonly options: EvaluatorOptions,
    private readonly log: Logger,
  ) {
    const types = rules.threshold.map((rule) => rule.match.type);
    this.types = types.every((list) => list !== undefined) ? [...new Set(types.flat())] : null;
    this.longestWindowSeconds = Math.max(
      0,
      ...rules.threshold.map((rule) => rule.window_seconds),
      rules.escalation?.escalation.window_seconds ?? 0,
    );
    this.task = new PeriodicTask(
      () => this.evaluate(),
      options.intervalMs,
      (error) => log.warn({ err: error }, "alert evaluation failed; will retry"),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Evaluates until no new events are final, or a bound of runs. */
  private async evaluate(): Promise<void> {
    for (let run = 0; run < RUNS_PER_TICK; run += 1) {
      const outcome = await withTransaction(this.pool, (client) => this.run(client));
      this.logChanges(outcome.raised);
      if (!outcome.more) break;
    }
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      await pruneAlertHits.run(
        { before: new Date(Date.now() - (this.longestWindowSeconds + 86_400) * 1000) },
        this.pool,
      );
    }
  }

  /**
   * Each raise is a line; an alert's repeats in a run are one line with their
   * count, so a flood of matching events (an attack, the very thing alerts
   * are for) is not turned into as many log lines.
   */
  private logChanges(changes: AlertRaised[]): void {
    const repeats = new Map<string, { alert: AlertRaised; repeats: number }>();
    for (const alert of changes) {
      if (alert.kind === "RAISED") {
        this.log.warn({ alert }, "alert raised");
        continue;
      }
      const seen = repeats.get(alert.alertId);
      if (seen === undefined) repeats.set(alert.alertId, { alert, repeats: 1 });
      else seen.repeats += 1;
    }
    for (const { alert, repeats: count } of repeats.values()) {
      this.log.warn({ alert, repeats: count }, "alert repeated");
    }
  }

  /** One batch of events under the cursor lock. `more`: a full batch, so others may be waiting. */
  private async run(client: PoolClient): Promise<{ raised: AlertRaised[]; more: boolean }> {
    const [cursor] = await lockAlertCursor.run(undefined, client);
    if (cursor === undefined) return { raised: [], more: false };
    const events = await eventsForAlerts.run(
      {
        fromTxid: cursor.txid,
        fromEventId: cursor.eventId,
        horizon: cursor.horizon,
        types: this.types,
        limit: EVENTS_PER_RUN,
      },
      client,
    );
    const full = events.length === EVENTS_PER_RUN;
    if (events.length === 0) {
      await this.advance(client, cursor.txid, cursor.horizon, undefined);
      return { raised: [], more: false };
    }

    // Windows are in event time, so a batch is counted in the order its events happened.
    const matched = events
      .flatMap((event) =>
        this.rules.threshold.flatMap((rule) => {
          const group = matches(rule, event) ? groupOf(rule, event) : undefined;
          return group === undefined ? [] : [{ rule, group, event }];
        }),
      )
      .sort((a, b) => a.event.occurred_at.getTime() - b.event.occurred_at.getTime());
    const counted = matched.filter((m) => m.rule.threshold > 1);
    const hits = await this.loadHits(
      client,
      counted.map((m) => [m.rule.name, m.group]),
    );

    const firings: Firing[] = [];
    for (const { rule, group, event } of matched) {
      if (rule.threshold > 1) {
        const list = hits.get(key(rule.name, group))!;
        list.push({ occurredAt: event.occurred_at, eventId: event.event_id });
        const since = event.occurred_at.getTime() - rule.window_seconds * 1000;
        const inWindow = list.filter((hit) => hit.occurredAt.getTime() > since);
        hits.set(key(rule.name, group), inWindow);
        if (inWindow.length < rule.threshold) continue;
        hits.set(key(rule.name, group), []);
      }
      firings.push({
        rule: rule.name,
        severity: rule.severity,
        cooldownSeconds: rule.cooldown_seconds,
        group,
        summary:
          rule.threshold > 1
            ? `${rule.threshold} ${event.type} events for ${group} within ${rule.window_seconds} s`
            : `${event.type} for ${group}`,
        at: event.occurred_at,
        eventId: event.event_id,
        aboutSubject: rule.group_by === "subject",
      });
    }

    const escalation = this.rules.escalation;
    const escalated =
      escalation === undefined
        ? new Map<string, Hit[]>()
        : await this.loadHits(
            client,
            firings.filter((f) => f.aboutSubject).map((f) => [escalation.name, f.group]),
          );
    // Escalations follow the firing that completes them, as they are raised.
    const ordered: Firing[] = [];
    for (const firing of firings) {
      ordered.push(firing);
      if (escalation === undefined || !firing.aboutSubject) continue;
      const k = key(escalation.name, firing.group);
      const since = firing.at.getTime() - escalation.escalation.window_seconds * 1000;
      const list = [...escalated.get(k)!, { occurredAt: firing.at, eventId: firing.eventId }].filter(
        (hit) => hit.occurredAt.getTime() > since,
      );
      escalated.set(k, list);
      if (list.length < escalation.escalation.alerts) continue;
      escalated.set(k, []);
      ordered.push({
        rule: escalation.name,
        severity: escalation.severity,
        cooldownSeconds: escalation.cooldown_seconds,
        group: firing.group,
        summary: `${list.length} alerts about ${firing.group} within ${escalation.escalation.window_seconds} s`,
        at: firing.at,
        eventId: firing.eventId,
        aboutSubject: false,
      });
    }
    const raised = await this.fire(client, ordered);
    await this.saveHits(client, new Map([...hits, ...escalated]));

    await this.advance(client, cursor.txid, cursor.horizon, full ? events.at(-1) : undefined);
    if (raised.length > 0) await notifyAlertsChanged.run(undefined, client);
    return { raised, more: full };
  }

  /**
   * Past the last event read when the batch was full; otherwise past every
   * transaction below the horizon, events no rule reads included.
   */
  private async advance(
    client: PoolClient,
    from: string,
    horizon: string,
    last: { txid: string; event_id: string } | undefined,
  ): Promise<void> {
    if (last !== undefined) {
      await advanceAlertCursor.run({ txid: last.txid, eventId: last.event_id }, client);
      return;
    }
    const below = (BigInt(horizon) - 1n).toString();
    if (BigInt(below) >= BigInt(from)) await advanceAlertCursor.run({ txid: below, eventId: LAST_UUID }, client);
  }

  /**
   * Raises a new alert for each firing, or repeats its group's open one when
   * that last fired within the cooldown, in order: decided here from one read
   * of the groups' open alerts, then written in one statement however many
   * fire (a lockout wave fires thousands in a run).
   */
  private async fire(client: PoolClient, firings: Firing[]): Promise<AlertRaised[]> {
    if (firings.length === 0) return [];
    await lockAlertChanges.run(undefined, client);
    const fingerprintOf = (firing: Firing) => `${firing.rule}/${firing.group}`;
    const rows = await latestOpenAlerts.run({ fingerprints: [...new Set(firings.map(fingerprintOf))] }, client);
    const open = new Map(rows.map((row) => [row.fingerprint, { alertId: row.alert_id, lastSeenAt: row.last_seen_at }]));
    interface Written {
      count: number;
      lastSeenAt: Date;
      eventId: string | null;
    }
    const raisedNow = new Map<string, Written & { firing: Firing; fingerprint: string }>();
    const repeatedBefore = new Map<string, Written>();
    const changes: AlertRaised[] = [];
    for (const firing of firings) {
      const fingerprint = fingerprintOf(firing);
      const latest = open.get(fingerprint);
      const repeat =
        latest !== undefined && firing.at.getTime() - latest.lastSeenAt.getTime() <= firing.cooldownSeconds * 1000;
      let alertId: string;
      if (repeat) {
        alertId = latest.alertId;
        if (latest.lastSeenAt < firing.at) latest.lastSeenAt = firing.at;
        const written = raisedNow.get(alertId) ?? repeatedBefore.get(alertId);
        if (written === undefined)
          repeatedBefore.set(alertId, { count: 1, lastSeenAt: latest.lastSeenAt, eventId: firing.eventId });
        else
          Object.assign(written, { count: written.count + 1, lastSeenAt: latest.lastSeenAt, eventId: firing.eventId });
      } else {
        alertId = randomUUID();
        open.set(fingerprint, { alertId, lastSeenAt: firing.at });
        raisedNow.set(alertId, { firing, fingerprint, count: 0, lastSeenAt: firing.at, eventId: firing.eventId });
      }
      changes.push({
        alertId,
        kind: repeat ? "REPEATED" : "RAISED",
        rule: firing.rule,
        group: firing.group,
        severity: firing.severity,
        summary: firing.summary,
      });
    }
    const raised = [...raisedNow];
    const repeated = [...repeatedBefore];
    await writeAlertFirings.run(
      {
        raisedIds: raised.map(([alertId]) => alertId),
        raisedRules: raised.map(([, r]) => r.firing.rule),
        raisedFingerprints: raised.map(([, r]) => r.fingerprint),
        raisedGroupKeys: raised.map(([, r]) => r.firing.group),
        raisedSeverities: raised.map(([, r]) => r.firing.severity),
        raisedSummaries: raised.map(([, r]) => r.firing.summary),
        // The raise itself, and its repeats in this run.
        raisedCounts: raised.map(([, r]) => 1 + r.count),
        raisedFirstSeenAts: raised.map(([, r]) => r.firing.at),
        raisedLastSeenAts: raised.map(([, r]) => r.lastSeenAt),
        raisedEventIds: nullable(raised.map(([, r]) => r.eventId)),
        repeatedIds: repeated.map(([alertId]) => alertId),
        repeatedCounts: repeated.map(([, r]) => r.count),
        repeatedSeenAts: repeated.map(([, r]) => r.lastSeenAt),
        repeatedEventIds: nullable(repeated.map(([, r]) => r.eventId)),
        changeIds: changes.map((change) => change.alertId),
        changeKinds: changes.map((change) => change.kind),
        sinks: this.options.sinks,
      },
      client,
    );
    return changes;
  }

  private async loadHits(client: PoolClient, groups: [string, string][]): Promise<Map<string, Hit[]>> {
    const unique = new Map(groups.map(([rule, group]) => [key(rule, group), [rule, group] as const]));
    const hits = new Map<string, Hit[]>([...unique.keys()].map((k) => [k, []]));
    if (unique.size === 0) return hits;
    const rows = await loadAlertHits.run(
      { rules: [...unique.values()].map(([rule]) => rule), groupKeys: [...unique.values()].map(([, group]) => group) },
      client,
    );
    for (const row of rows) {
      hits.get(key(row.rule, row.group_key))!.push({ occurredAt: row.occurred_at, eventId: row.event_id });
    }
    return hits;
  }

  private async saveHits(client: PoolClient, hits: Map<string, Hit[]>): Promise<void> {
    if (hits.size === 0) return;
    const touched = [...hits.keys()].map((k) => k.split("\u0000") as [string, string]);
    const kept = [...hits].flatMap(([k, list]) => list.map((hit) => ({ k: k.split("\u0000"), hit })));
    await replaceAlertHits.run(
      {
        touchedRules: touched.map(([rule]) => rule),
        touchedGroupKeys: touched.map(([, group]) => group),
        rules: kept.map(({ k }) => k[0]!),
        groupKeys: kept.map(({ k }) => k[1]!),
        occurredAts: kept.map(({ hit }) => hit.occurredAt),
        eventIds: kept.map(({ hit }) => hit.eventId) as string[],
      },
      client,
    );
  }
}
