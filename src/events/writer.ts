import { setTimeout as sleep } from "node:timers/promises";
import { context, ROOT_CONTEXT, SpanStatusCode, trace, type SpanContext } from "@opentelemetry/api";
import { Backoff, writeIsolatingRefusals } from "../db/batches.js";
import type { Db } from "../db/pool.js";
import { ResourceExhaustedError, ShuttingDownError } from "../errors.js";
import type { Logger } from "../log.js";
import type { RejectedRows } from "../ops/metrics.js";
import type { EventSpool, SpoolFile } from "./spool.js";
import type { EventRecord } from "./event.js";
import { insertEventRecords } from "./insert.js";
import { EventLoopLag } from "../ops/event-loop-lag.js";

const NOTHING_TO_RELEASE = () => undefined;

/** The event loop's lag is probed ten times per bound: fine enough to act on, and a 1 s bound wakes 10 times a second. */
const LAG_PROBES_PER_BOUND = 10;

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
  /**
   * The longest an awaited write may have been waiting for its batch, or an
   * admitted one-event report for its answer, before new ones are refused: under
   * overload callers hear RESOURCE_EXHAUSTED at once, and those admitted
   * still finish promptly. 0: no bound but queueMax.
   */
  admitWaitMs: number;
  /**
   * How late the event loop may run before admit() refuses new reports: a
   * call read that late has already waited that long before its handler, a
   * wait no queue sees. 0: not checked.
   */
  admitLagMs: number;
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
  /** Where a fire-and-forget event was spooled, told once it needs no replay. */
  spooled?: SpoolFile;
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
  /** When each queued write whose caller awaits the commit was queued, oldest first. */
  private readonly awaitedSince: number[] = [];
  /** Ends the current linger early. */
  private wake: (() => void) | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly backoff: Backoff;
  /**
   * When each one-event report admit() let in and not yet finished was
   * admitted, oldest first (a Map keeps insertion order). Such a report's own
   * work takes milliseconds, so its age is nearly all waiting: for risk reads,
   * its batch and lockout counting. A batch's age is mostly its own work and
   * says nothing of a queue, so batches are not tracked.
   */
  private readonly reportsSince = new Map<number, number>();
  private nextReport = 0;
  /** Absent when admission does not check the event loop (admitLagMs 0). */
  private readonly lag: EventLoopLag | undefined;
  /** Fire-and-forget events refused because the queue was full, or dropped after a non-retryable failure. */
  droppedEvents = 0;

  constructor(
    private readonly db: Db,
    private readonly options: EventWriterOptions,
    private readonly log: Logger,
    private readonly rejected: RejectedRows,
    /** Absent when no spool is configured: a crash then loses the fire-and-forget events not yet committed. */
    private readonly spool?: EventSpool,
  ) {
    this.backoff = new Backoff(100, options.retryMaxDelayMs ?? 5000);
    this.lag =
      options.admitLagMs > 0
        ? new EventLoopLag(Math.max(1, Math.round(options.admitLagMs / LAG_PROBES_PER_BOUND))).start()
        : undefined;
    // What a previous process spooled and may not have committed: written again, ids make it idempotent.
    for (const { file, records } of spool?.leftover ?? []) {
      for (const record of records) this.enqueue({ records: [record], spooled: file });
    }
  }

  /** Events accepted but not yet committed. */
  get depth(): number {
    return this.queuedEvents;
  }

  /**
   * Admits a report of `events` events, or throws ResourceExhaustedError when
   * the event loop runs later than admitLagMs, the oldest one-event report
   * admitted and not finished has waited longer than admitWaitMs, or write()
   * would refuse it. For a report's handler to call first, so that a refusal
   * under overload costs no validation, risk scoring or queueing; it calls the
   * returned function once it has answered.
   */
  admit(events: number): () => void {
    const lagMs = this.lag?.currentMs ?? 0;
    if (lagMs > this.options.admitLagMs) {
      throw new ResourceExhaustedError(
        `the server runs ${Math.round(lagMs)} ms behind (more than ${this.options.admitLagMs} ms); retry with back-off`,
      );
    }
    const oldest = this.reportsSince.values().next();
    const waitedMs = oldest.done === true ? 0 : performance.now() - oldest.value;
    if (this.options.admitWaitMs > 0 && waitedMs > this.options.admitWaitMs && this.backoff.currentMs === 0) {
      throw new ResourceExhaustedError(
        `reports are waiting ${Math.round(waitedMs)} ms to be written and counted (more than ${this.options.admitWaitMs} ms); retry with back-off`,
      );
    }
    const refusal = this.refusal(events);
    if (refusal !== undefined) throw refusal;
    if (events !== 1) return NOTHING_TO_RELEASE;
    const report = this.nextReport++;
    this.reportsSince.set(report, performance.now());
    return () => this.reportsSince.delete(report);
  }

  /** Queues events and resolves once they are committed. */
  write(records: EventRecord[]): Promise<WriteResult[]> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    const refusal = this.refusal(records.length);
    if (refusal !== undefined) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      this.enqueue({ records, settle: { resolve, reject } });
    });
  }

  /** Why an awaited write of `events` events would not be queued now, if it would not. */
  private refusal(events: number): ResourceExhaustedError | undefined {
    if (this.queuedEvents + events > this.options.queueMax) {
      return new ResourceExhaustedError(
        `event queue is full (${this.queuedEvents} events waiting); retry with back-off`,
      );
    }
    // While the database answers, a long wait means more writes arrive than it commits: refuse, do not queue.
    // While it fails, callers hear its error from their own attempt instead.
    const waitedMs = this.awaitedSince.length === 0 ? 0 : performance.now() - this.awaitedSince[0]!;
    if (this.options.admitWaitMs > 0 && waitedMs > this.options.admitWaitMs && this.backoff.currentMs === 0) {
      return new ResourceExhaustedError(
        `events are waiting ${Math.round(waitedMs)} ms to be written (more than ${this.options.admitWaitMs} ms); retry with back-off`,
      );
    }
    return undefined;
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
    this.enqueue({ records: [record], ...(this.spool === undefined ? {} : { spooled: this.spool.append(record) }) });
    return true;
  }

  /**
   * Stops accepting writes and waits, up to `timeoutMs`, for queued events to
   * be committed. False when an event is neither committed nor spooled.
   */
  async close(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    this.lag?.stop();
    this.wake?.();
    const finished =
      this.draining === undefined || (await Promise.race([this.draining.then(() => true), sleep(timeoutMs, false)]));
    this.spool?.close();
    // Without a spool, whatever is still queued is lost; with one, only what it failed to write.
    const unsaved = finished ? 0 : this.spool === undefined ? this.queuedEvents : this.spool.unsaved;
    if (!finished) {
      this.log.error(
        { pendingEvents: this.queuedEvents, spooled: this.queuedEvents - unsaved, unsaved },
        "shutdown: gave up waiting for pending events to be written; spooled ones are written on the next start",
      );
    }
    return unsaved === 0;
  }

  private enqueue(pending: PendingWrite): void {
    pending.caller = trace.getActiveSpan()?.spanContext();
    this.queue.push(pending);
    this.queuedEvents += pending.records.length;
    if (pending.settle !== undefined) this.awaitedSince.push(performance.now());
    if (pending.settle !== undefined || this.queuedEvents >= this.options.batchMax) this.wake?.();
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private takeBatch(): PendingWrite[] {
    // Counted first, then cut with one splice: shift() per write moves the whole queue each time,
    // quadratic once a flood has queued thousands of single events.
    let taken = 0;
    let size = 0;
    let awaited = 0;
    while (taken < this.queue.length) {
      const next = this.queue[taken]!;
      if (taken > 0 && size + next.records.length > this.options.batchMax) break;
      taken += 1;
      size += next.records.length;
      if (next.settle !== undefined) awaited += 1;
    }
    this.awaitedSince.splice(0, awaited);
    return this.queue.splice(0, taken);
  }

  private async drain(): Promise<void> {
    // Let every write issued in the same tick join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      await this.backoff.wait();
      await this.linger();
      const batch = this.takeBatch();
      // A refused write is isolated, so it fails only its own caller (or drops only its own event).
      const written = await writeIsolatingRefusals(
        batch,
        async (writes) =>
          this.settle(
            writes,
            await this.insert(
              writes,
              writes.flatMap((w) => w.records),
            ),
          ),
        {
          writer: "events",
          keyOf: (pending) => pending.records.map((record) => record.eventId).join(","),
          rejected: this.rejected,
          log: this.log,
        },
      );
      for (const { row: pending, error } of written.refused) {
        this.queuedEvents -= pending.records.length;
        if (pending.settle !== undefined) pending.settle.reject(error);
        else this.droppedEvents += pending.records.length;
        pending.spooled?.settled();
      }
      if (written.deferred.length > 0) this.retryLater(written.deferred, written.error);
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
    this.backoff.succeeded();
    // The first of several records with one new id is stored; the others are its duplicates.
    const fresh = new Set(inserted.map((row) => row.event_id));
    for (const pending of batch) {
      pending.spooled?.settled();
      pending.settle?.resolve(
        pending.records.map((record) => ({ eventId: record.eventId, duplicate: !fresh.delete(record.eventId) })),
      );
    }
  }

  private async linger(): Promise<void> {
    const waitFor =
      this.closed || this.awaitedSince.length > 0 || this.queuedEvents >= this.options.batchMax
        ? 0
        : this.options.lingerMs;
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

  /** The database could not serve these writes now: awaited ones fail, fire-and-forget ones wait their turn again. */
  private retryLater(writes: PendingWrite[], error: unknown): void {
    this.queuedEvents -= writes.reduce((sum, pending) => sum + pending.records.length, 0);
    const retry: PendingWrite[] = [];
    for (const pending of writes) {
      if (pending.settle) pending.settle.reject(error);
      else retry.push(pending);
    }
    if (retry.length > 0) {
      this.queue.unshift(...retry);
      this.queuedEvents += retry.reduce((sum, pending) => sum + pending.records.length, 0);
    }
    this.backoff.failed();
    this.log.warn(
      { err: error, retryInMs: this.backoff.currentMs, pendingEvents: this.queuedEvents },
      "event batch failed",
    );
  }
}
