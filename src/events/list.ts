import { listEvents as listEventsQuery } from "../../sql/queries/events.queries.js";
import { withDatabaseErrors } from "../db/errors.js";
import { decodeTimeKey, encodeTimeKey } from "../db/page-token.js";
import { enumLabel, isInetAddress } from "../validate.js";
import type { Db } from "../db/pool.js";
import { InvalidArgumentError } from "../errors.js";
import { EventType, Outcome, type AuthenticationEvent } from "../gen/warden/v1/event.js";
import type { ListEventsRequest } from "../gen/warden/v1/auth_service.js";
import { text, toAuthenticationEvent } from "./event.js";
import type { event_outcome, event_type, risk_signal } from "../../sql/queries/events.queries.js";
import { RiskSignal } from "../gen/warden/v1/risk.js";

export const PAGE_SIZE = { default: 100, max: 1000 } as const;

export interface EventPage {
  events: AuthenticationEvent[];
  nextPageToken: string;
}

/** One page of events, newest first, every filter applied in SQL. */
export async function listEvents(db: Db, request: ListEventsRequest): Promise<EventPage> {
  if (request.pageSize > PAGE_SIZE.max) throw new InvalidArgumentError("page_size", `at most ${PAGE_SIZE.max}`);
  if (request.ipAddress !== "" && !isInetAddress(request.ipAddress)) {
    throw new InvalidArgumentError("ip_address", "not an IPv4 or IPv6 address");
  }
  const pageSize = request.pageSize === 0 ? PAGE_SIZE.default : request.pageSize;
  const cursor = request.pageToken === "" ? undefined : decodeTimeKey(request.pageToken, "ListEvents");

  const params = {
    subject: text(request.subject, "subject", ""),
    type: enumLabel<event_type>(EventType, request.type, "type"),
    outcome: enumLabel<event_outcome>(Outcome, request.outcome, "outcome"),
    occurredAfter: request.occurredAfter ?? null,
    occurredBefore: request.occurredBefore ?? null,
    clientIp: request.ipAddress === "" ? null : request.ipAddress,
    riskSignal: enumLabel<risk_signal>(RiskSignal, request.riskSignal, "risk_signal"),
    identityProvider: text(request.identityProvider, "identity_provider", ""),
    cursorOccurredAt: cursor?.at ?? null,
    cursorEventId: cursor?.id ?? null,
    // One extra row says whether another page follows.
    limit: pageSize + 1,
  };
  const rows = await withDatabaseErrors(() => listEventsQuery.run(params, db));
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return {
    events: page.map(toAuthenticationEvent),
    nextPageToken:
      rows.length > pageSize && last !== undefined ? encodeTimeKey({ at: last.occurred_at, id: last.event_id }) : "",
  };
}
