import pg from "pg";
import { ping } from "../../sql/queries/health.queries.js";
import type { Logger } from "../log.js";

export interface ListenerHandlers {
  /** LISTEN is active: notifications from now on will arrive. */
  onListening(): void;
  /** The connection is gone: notifications may be missed until onListening again. */
  onLost(): void;
  onNotification(payload: string): void;
}

export interface ListenerOptions {
  url: string;
  channel: string;
  /** How often the connection proves it is alive; a half-open connection is noticed within about twice this. */
  heartbeatMs: number;
  connectTimeoutMs: number;
}

/**
 * A dedicated connection that LISTENs on one channel and reconnects for ever
 * with capped back-off. Callers learn whenever it is not listening, so they
 * can stop trusting state that notifications keep fresh.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  private stopped = false;
  private reconnect: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ListenerOptions,
    private readonly handlers: ListenerHandlers,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    clearInterval(this.heartbeat);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      query_timeout: this.options.heartbeatMs,
      keepAlive: true,
      application_name: "warden-listener",
    });
    this.client = client;
    let lost = false;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      clearInterval(this.heartbeat);
      client.end().catch(() => undefined);
      this.handlers.onLost();
      if (this.stopped) return;
      this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, 100), 5000);
      this.log.warn(
        { err: error, channel: this.options.channel, retryInMs: this.retryDelayMs },
        "notification listener lost",
      );
      this.reconnect = setTimeout(() => void this.connect(), this.retryDelayMs);
      this.reconnect.unref();
    };
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (message) => {
      if (message.channel === this.options.channel) this.handlers.onNotification(message.payload ?? "");
    });
    try {
      await client.connect();
      // LISTEN takes no parameters and cannot be prepared, so it is the one statement outside sql/queries.
      await client.query(`LISTEN ${this.options.channel}`);
    } catch (error) {
      onLost(error);
      return;
    }
    this.retryDelayMs = 0;
    this.heartbeat = setInterval(() => {
      ping.run(undefined, client).catch(onLost);
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
    this.handlers.onListening();
  }
}
