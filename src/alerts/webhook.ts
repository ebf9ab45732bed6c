import { createHmac } from "node:crypto";
import { claimDeliveries, deliveryFailed, deliverySucceeded } from "../../sql/queries/alerts.queries.js";
import type { Pool } from "../db/pool.js";
import { Alert, AlertChangeKind } from "../gen/warden/v1/alert_service.js";
import type { Logger } from "../log.js";
import { PeriodicTask } from "../ops/periodic.js";
import type { Alerts } from "./alerts.js";

export interface WebhookOptions {
  url: string;
  /** HMAC-SHA256 key shared with the receiver. */
  secret: string;
  /** How often each replica looks for due deliveries. */
  pollMs: number;
  /** Attempts before a delivery is marked FAILED. */
  maxAttempts: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const WEBHOOK_SINK = "webhook";
const BATCH = 10;
const MAX_DELAY_SECONDS = 3600;

/**
 * The `x-warden-signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`. A receiver recomputes it, compares in constant time and
 * rejects old timestamps, so a captured delivery cannot be replayed later.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

/** Seconds to wait before attempt `attempts + 1`: doubling from 1 s, at most an hour, with ±20 % jitter. */
export function backoffSeconds(attempts: number): number {
  const base = Math.min(MAX_DELAY_SECONDS, 2 ** Math.max(0, attempts - 1));
  return base * (0.8 + Math.random() * 0.4);
}

/** Retry-After as seconds from now (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/**
 * Delivers the outbox: each replica leases due deliveries, POSTs them signed,
 * and records the outcome. A replica that dies mid-delivery loses its lease
 * and another delivers: at least once, with the delivery id as the
 * receiver's idempotency key.
 */
export class WebhookDeliverer {
  private readonly task: PeriodicTask;
  private readonly timeoutMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly alerts: Alerts,
    private readonly options: WebhookOptions,
    private readonly log: Logger,
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.task = new PeriodicTask(
      () => this.deliverDue(),
      options.pollMs,
      (error) => log.warn({ err: error }, "alert delivery round failed; will retry"),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async deliverDue(): Promise<void> {
    // Twice the request timeout: a lease outlives its attempt, and lapses soon after a crash.
    const leaseSeconds = Math.ceil(this.timeoutMs / 1000) * 2;
    const due = await claimDeliveries.run({ leaseSeconds, limit: BATCH }, this.pool);
    await Promise.all(due.map((delivery) => this.deliver(delivery)));
  }

  private async deliver(delivery: { delivery_id: string; alert_id: string; attempts: number }): Promise<void> {
    const fetcher = this.options.fetch ?? fetch;
    const alert = await this.alerts.get(delivery.alert_id);
    const body = JSON.stringify({
      deliveryId: delivery.delivery_id,
      change: AlertChangeKind[AlertChangeKind.RAISED],
      alert: Alert.toJSON(alert),
    });
    let failure: string;
    let retryAfter: number | undefined;
    try {
      const response = await fetcher(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-warden-delivery-id": delivery.delivery_id,
          "x-warden-signature": signWebhook(this.options.secret, Math.floor(Date.now() / 1000), body),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) {
        await deliverySucceeded.run({ deliveryId: delivery.delivery_id }, this.pool);
        return;
      }
      failure = `HTTP ${response.status}`;
      retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    const giveUp = delivery.attempts >= this.options.maxAttempts;
    const retryInSeconds = Math.min(MAX_DELAY_SECONDS, Math.max(backoffSeconds(delivery.attempts), retryAfter ?? 0));
    await deliveryFailed.run(
      { deliveryId: delivery.delivery_id, giveUp, retryInSeconds, error: failure.slice(0, 500) },
      this.pool,
    );
    this.log.warn(
      { deliveryId: delivery.delivery_id, attempts: delivery.attempts, error: failure, giveUp, retryInSeconds },
      giveUp ? "gave up delivering an alert" : "alert delivery failed; will retry",
    );
  }
}
