import type { AuthenticationEvent } from "../gen/warden/v1/event.js";
import type { Logger } from "../log.js";
import { toEventRecord } from "./event.js";
import type { EventWriter } from "./writer.js";

/** Where Warden's own events go; they are written without waiting for the commit. */
export interface EventSink {
  record(event: AuthenticationEvent): void;
}

/**
 * Records Warden's own events (Authenticate's) through the same validation as
 * callers' events, without waiting for the commit.
 */
export class EventRecorder implements EventSink {
  constructor(
    private readonly writer: EventWriter,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(event: AuthenticationEvent): void {
    try {
      this.writer.submit(toEventRecord(event, "event", this.now()));
    } catch (error) {
      // Reachable only through a bug: Authenticate and ext_authz refuse what an event could not hold.
      this.writer.droppedEvents += 1;
      this.log.error({ err: error, eventId: event.eventId }, "could not record an authentication event");
    }
  }
}
