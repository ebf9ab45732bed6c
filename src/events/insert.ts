import { insertEvents, type IInsertEventsParams, type IInsertEventsResult } from "../../sql/queries/events.queries.js";
import { nullable } from "../db/arrays.js";
import type { Db } from "../db/pool.js";
import type { EventRecord } from "./event.js";

function toColumns(records: EventRecord[]): IInsertEventsParams {
  return {
    eventIds: records.map((r) => r.eventId),
    // An ISO string costs a fraction of pg's local-time formatting of a Date.
    occurredAts: records.map((r) => r.occurredAt.toISOString()),
    types: records.map((r) => r.type),
    severities: records.map((r) => r.severity),
    outcomes: records.map((r) => r.outcome),
    subjects: nullable(records.map((r) => r.subject)),
    principalKinds: nullable(records.map((r) => r.principalKind)),
    emails: nullable(records.map((r) => r.email)),
    serviceTokenNames: nullable(records.map((r) => r.serviceTokenName)),
    tokenIds: nullable(records.map((r) => r.tokenId)),
    clientIps: nullable(records.map((r) => r.clientIp)),
    userAgents: nullable(records.map((r) => r.userAgent)),
    requestIds: nullable(records.map((r) => r.requestId)),
    sourceServices: nullable(records.map((r) => r.sourceService)),
    failureReasons: nullable(records.map((r) => r.failureReason)),
    riskScores: records.map((r) => r.riskScore),
    details: records.map((r) => r.details),
    riskSignals: records.map((r) => r.riskSignals.join(",")),
    clientLatitudes: nullable(records.map((r) => r.clientLatitude)),
    clientLongitudes: nullable(records.map((r) => r.clientLongitude)),
    clientCountries: nullable(records.map((r) => r.clientCountry)),
    identityProviders: nullable(records.map((r) => r.identityProvider)),
  };
}

/**
 * Inserts events in one statement, ignoring ids already stored. With a client
 * inside a transaction, the events commit (or not) with the change they record.
 */
export function insertEventRecords(db: Db, records: EventRecord[]): Promise<IInsertEventsResult[]> {
  return insertEvents.run(toColumns(records), db);
}
