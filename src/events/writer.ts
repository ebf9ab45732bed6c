import { setTimeout as sleep } from "node:timers/promises";
import { context, ROOT_CONTEXT, SpanStatusCode, trace, type SpanContext } from "@opentelemetry/api";
import { classifyDatabaseError, isTransient } from "../db/errors.js";
import type { Db } from "../db/pool.js";
import { ResourceExhaustedError, ShuttingDownError } from "../errors.js";
import type { Logger } from "../log.js";
import type { EventRecord } from "./event.js";
import { insertEventRecords } from "./insert.js";

export interface EventWriterOptions {
  /** Events waiting to be written, across all callers, before new writes are refused. */
  queueMax: number;
  /** Events per INSERT. */
  batchMax: number;
  /**
   * How long fire-and-forget events wait for company before their INSERT.
   * Nobody waits on them, and one INSERT per many events saves a round trip,
   * a commit and most of the per-statement CPU per event. Writes someone
   * awaits never wait.
   */
  lingerMs: number;
  /** Ceiling of the back-off between retries of fire-and-forget events while the database is down. */
  retryMaxDelayMs?: number;
}

export interface WriteResult {
  eventId: string;
  /** An event with this id was already stored; the new one was ignored. */
  duplicate: boolean;
}

interface PendingWrite {
  records: EventRecord[];
  /** The span of the call that queued these events, for the batch's span to link to. */
  caller?: SpanContext;
  /** Absent for fire-and-forget writes, which are retried instead of reported. */
  settle?: { resolve: (results: WriteResult[]) => void; reject: (error: unknown) => void };
}

const tracer = trace.getTracer("warden");

/**
 * Group commit for events. Writes queue up while one INSERT is in flight and
 * all go out together in the next, so a caller's promise resolves only after
 * its events are committed while concurrent callers share the cost of a
 * commit. The queue is bounded: when full, writes fail with
 * ResourceExhaustedError instead of growing memory or dropping silently.
 */
export class EventWriter {
  private readonly queue: PendingWrite[] = [];
  private queuedEvents = 0;
  /** Queued writes whose callers await the commit. */
  private awaitedWrites = 0;
  /** Ends the current linger early. */
  private wake: (() => void) | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  private retryDelayMs = 0;
  private readonly retryMaxDelayMs: number;
  /** Fire-and-forget events refused because the queue was full, or dropped after a non-retryable failure. */
  droppedEvents = 0;

  constructor(
    private readonly db: Db,
    private readonly options: EventWriterOptions,
    private readonly log: Logger,
  ) {
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 5000;
  }

  /** Events accepted but not yet committed. */
  get depth(): number {
    return this.queuedEvents;
  }

  /** Queues events and resolves once they are committed. */
  write(records: EventRecord[]): Promise<WriteResult[]> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    if (this.queuedEvents + records.length > this.options.queueMax) {
      return Promise.reject(
        new ResourceExhaustedError(`event queue is full (${this.queuedEvents} events waiting); retry with back-off`),
      );
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ records, settle: { resolve, reject } });
    });
  }

  /**
   * Queues an event without waiting for its commit (Authenticate's own events,
   * which must not add a commit to its latency). Returns false, and counts the
   * event as dropped, when the queue is full or the writer is closed.
   */
  submit(record: EventRecord): boolean {
    if (this.closed || this.queuedEvents + 1 > this.options.queueMax) {
      this.droppedEvents += 1;
      this.log.error(
        { eventId: record.eventId, type: record.type },
        "event queue full: dropped an authentication event",
      );
      return false;
    }
    this.enqueue({ records: [record] });
    return true;
  }

  /** Stops accepting writes and waits, up to `timeoutMs`, for queued events to be committed. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.wake?.();
    if (this.draining === undefined) return;
    const finished = await Promise.race([this.draining.then(() => true), sleep(timeoutMs, false)]);
    if (!finished) {
      this.log.error(
        { pendingEvents: this.queuedEvents },
        "shutdown: gave up waiting for pending events to be written",
      );
    }
  }

  private enqueue(pending: PendingWrite): void {
    pending.caller = trace.getActiveSpan()?.spanContext();
    this.queue.push(pending);
    this.queuedEvents += pending.records.length;
    if (pending.settle !== undefined) this.awaitedWrites += 1;
    if (pending.settle !== undefined || this.queuedEvents >= this.options.batchMax) this.wake?.();
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private takeBatch(): PendingWrite[] {
    const batch: PendingWrite[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && size + next.records.length > this.options.batchMax) break;
      batch.push(this.queue.shift()!);
      size += next.records.length;
      if (next.settle !== undefined) this.awaitedWrites -= 1;
    }
    return batch;
  }

  private async drain(): Promise<void> {
    // Let every write issued in the same tick join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      if (this.retryDelayMs > 0) await sleep(this.retryDelayMs);
      await this.linger();
      const batch = this.takeBatch();
      const records = batch.flatMap((pending) => pending.records);
      try {
        this.settle(batch, await this.insert(batch, records));
      } catch (caught) {
        const error = classifyDatabaseError(caught);
        // The database refused something in the batch: write each caller's events
        // alone, so one refused write fails only its own caller.
        if (batch.length > 1 && !isTransient(error)) await this.writeEach(batch);
        else this.fail(batch, records.length, error);
      }
    }
  }

  /**
   * One INSERT, traced as a span of its own rather than a child of whichever
   * call started the drain: it links to every call whose events it carries.
   */
  private async insert(batch: PendingWrite[], records: EventRecord[]): Promise<{ event_id: string }[]> {
    const span = tracer.startSpan("events.write", {
      root: true,
      links: batch.flatMap((pending) => (pending.caller === undefined ? [] : [{ context: pending.caller }])),
      attributes: { "warden.events": records.length },
    });
    try {
      return await context.with(trace.setSpan(ROOT_CONTEXT, span), () => insertEventRecords(this.db, records));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  private settle(batch: PendingWrite[], inserted: { event_id: string }[]): void {
    this.queuedEvents -= batch.reduce((sum, pending) => sum + pending.records.length, 0);
    this.retryDelayMs = 0;
    const insertedIds = new Set(inserted.map((row) => row.event_id));
    for (const pending of batch) {
      pending.settle?.resolve(
        pending.records.map((record) => ({ eventId: record.eventId, duplicate: !insertedIds.has(record.eventId) })),
      );
    }
  }

  private async writeEach(batch: PendingWrite[]): Promise<void> {
    for (const pending of batch) {
      try {
        this.settle([pending], await this.insert([pending], pending.records));
      } catch (caught) {
        this.fail([pending], pending.records.length, classifyDatabaseError(caught));
      }
    }
  }

  private async linger(): Promise<void> {
    const waitFor =
      this.closed || this.awaitedWrites > 0 || this.queuedEvents >= this.options.batchMax ? 0 : this.options.lingerMs;
    if (waitFor === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), waitFor);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private fail(batch: PendingWrite[], size: number, error: unknown): void {
    this.queuedEvents -= size;
    const retryable = isTransient(error);
    const retry: PendingWrite[] = [];
    for (const pending of batch) {
      if (pending.settle) pending.settle.reject(error);
      else if (retryable) retry.push(pending);
      else {
        this.droppedEvents += pending.records.length;
        this.log.error(
          { err: error, eventIds: pending.records.map((r) => r.eventId) },
          "dropped events the database rejected",
        );
      }
    }
    if (retry.length > 0) {
      this.queue.unshift(...retry);
      this.queuedEvents += retry.reduce((sum, pending) => sum + pending.records.length, 0);
    }
    this.retryDelayMs = retryable ? Math.min(Math.max(this.retryDelayMs * 2, 100), this.retryMaxDelayMs) : 0;
    this.log.warn({ err: error, retryInMs: this.retryDelayMs, pendingEvents: this.queuedEvents }, "event batch failed");
  }
}
