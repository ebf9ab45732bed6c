import type { AuthenticationEvent } from "../gen/warden/v1/event.js";
import type { Logger } from "../log.js";
import { ownEventRecord } from "./event.js";
import type { EventWriter } from "./writer.js";

/** Where Warden's own events go; they are written without waiting for the commit. */
export interface EventSink {
  record(event: AuthenticationEvent): void;
}

/**
 * Records Warden's own events (Authenticate's) without waiting for the
 * commit. Callers' events are validated (toEventRecord); these are Warden's
 * own construction and skip it.
 */
export class EventRecorder implements EventSink {
  constructor(
    private readonly writer: EventWriter,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(event: AuthenticationEvent): void {
    try {
      this.writer.submit(ownEventRecord(event, this.now()));
    } catch (error) {
      // Reachable only through a bug (the spool could not append, say).
      this.writer.droppedEvents += 1;
      this.log.error({ err: error, eventId: event.eventId }, "could not record an authentication event");
    }
  }
}
