import { randomUUID } from "node:crypto";
import {
  AuthenticationEvent,
  ClientContext,
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
} from "../gen/warden/v1/event.js";
import { RiskSignal } from "../gen/warden/v1/risk.js";
import { InvalidArgumentError } from "../errors.js";
import { boundedText, enumLabel, isInetAddress, UUID_PATTERN, type TableLimits } from "../validate.js";
import type {
  event_outcome as DbOutcome,
  event_severity as DbSeverity,
  event_type as DbEventType,
  failure_reason as DbFailureReason,
  IListEventsResult,
  principal_kind as DbPrincipalKind,
  risk_signal as DbRiskSignal,
} from "../../sql/queries/events.queries.js";

// The database enums carry the proto enum names without prefix and without
// UNSPECIFIED. These constants fail to compile, naming the odd values out,
// when proto/ and sql/migrations/ disagree.
type ProtoNames<E> = Exclude<keyof E, "UNSPECIFIED" | "UNRECOGNIZED">;
type SameNames<Proto, Db> = [Exclude<Proto, Db>, Exclude<Db, Proto>] extends [never, never]
  ? true
  : { onlyInProto: Exclude<Proto, Db>; onlyInDatabase: Exclude<Db, Proto> };
export const eventTypesAgree: SameNames<ProtoNames<typeof EventType>, DbEventType> = true;
export const severitiesAgree: SameNames<ProtoNames<typeof Severity>, DbSeverity> = true;
export const outcomesAgree: SameNames<ProtoNames<typeof Outcome>, DbOutcome> = true;
export const principalKindsAgree: SameNames<ProtoNames<typeof PrincipalKind>, DbPrincipalKind> = true;
export const failureReasonsAgree: SameNames<ProtoNames<typeof FailureReason>, DbFailureReason> = true;
export const riskSignalsAgree: SameNames<ProtoNames<typeof RiskSignal>, DbRiskSignal> = true;

/** An event as stored: validated, defaults applied, enums as database labels. */
export interface EventRecord {
  eventId: string;
  occurredAt: Date;
  type: DbEventType;
  severity: DbSeverity;
  outcome: DbOutcome;
  subject: string | null;
  principalKind: DbPrincipalKind | null;
  email: string | null;
  serviceTokenName: string | null;
  tokenId: string | null;
  clientIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  sourceService: string | null;
  failureReason: DbFailureReason | null;
  riskScore: number;
  details: Record<string, string>;
  /** Set by Warden's risk detector, never by callers. */
  riskSignals: DbRiskSignal[];
  clientLatitude: number | null;
  clientLongitude: number | null;
  clientCountry: string | null;
  identityProvider: string | null;
}

export const EVENT_LIMITS = {
  maxDetails: 32,
  maxDetailKeyLength: 64,
  maxDetailValueLength: 1024,
  maxFutureSkewMs: 5 * 60 * 1000,
  riskScore: { min: 0, max: 100 },
  // Keyed by the security_events column each field is stored in.
  text: {
    subject: 256,
    email: 320,
    service_token_name: 128,
    token_id: 128,
    user_agent: 1024,
    request_id: 128,
    source_service: 128,
    identity_provider: 128,
  },
} as const;

/** What toEventRecord lets into security_events, for `npm run check` to hold the live columns to. */
export const EVENT_COLUMN_LIMITS: TableLimits = {
  table: "security_events",
  columns: {
    ...Object.fromEntries(
      Object.entries(EVENT_LIMITS.text).map(([column, maxLength]) => [
        column,
        { kind: "text", maxLength, source: `EVENT_LIMITS.text.${column}` },
      ]),
    ),
    risk_score: { kind: "integer", ...EVENT_LIMITS.riskScore, source: "EVENT_LIMITS.riskScore" },
    client_ip: { kind: "inet", source: "isInetAddress" },
  },
};

/**
 * A UUIDv7: time-ordered, so new rows append to the primary-key index. Built
 * on randomUUID, which draws from batched entropy (the uuid package reads fresh
 * random bytes per id, a measurable cost per Authenticate): the v4's random
 * bits stay, its first 48 bits become the millisecond clock, its version 7.
 */
export function newEventId(nowMs = Date.now()): string {
  const clock = nowMs.toString(16).padStart(12, "0");
  return `${clock.slice(0, 8)}-${clock.slice(8)}-7${randomUUID().slice(15)}`;
}

type ProtoEnum = Record<string, string | number>;

function requiredEnumLabel<Db extends string>(enumObject: ProtoEnum, value: number, field: string): Db {
  const label = enumLabel<Db>(enumObject, value, field);
  if (label === null) throw new InvalidArgumentError(field, "required");
  return label;
}

function enumValue(enumObject: ProtoEnum, label: string | null): number {
  return label === null ? 0 : (enumObject[label] as number);
}

/** A bounded text field; empty means absent. `path` is the enclosing message's path, "" at the top level. */
export function text(value: string, field: keyof typeof EVENT_LIMITS.text, path: string): string | null {
  if (value === "") return null;
  return boundedText(value, path === "" ? field : `${path}.${field}`, EVENT_LIMITS.text[field]);
}

function details(map: Record<string, string>, path: string): Record<string, string> {
  const entries = Object.entries(map);
  if (entries.length > EVENT_LIMITS.maxDetails) {
    throw new InvalidArgumentError(`${path}.details`, `more than ${EVENT_LIMITS.maxDetails} entries`);
  }
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > EVENT_LIMITS.maxDetailKeyLength) {
      throw new InvalidArgumentError(
        `${path}.details`,
        `key must be 1 to ${EVENT_LIMITS.maxDetailKeyLength} characters`,
      );
    }
    if (value.length > EVENT_LIMITS.maxDetailValueLength) {
      throw new InvalidArgumentError(
        `${path}.details[${key}]`,
        `longer than ${EVENT_LIMITS.maxDetailValueLength} characters`,
      );
    }
    if (key.includes("\u0000") || value.includes("\u0000")) {
      throw new InvalidArgumentError(`${path}.details[${key}]`, "contains a NUL character");
    }
  }
  return map;
}

const COUNTRY_CODE = /^[A-Z]{2}$/;

function checkLocation(
  client: ClientContext | undefined,
  path: string,
): Pick<EventRecord, "clientLatitude" | "clientLongitude" | "clientCountry"> {
  const location = client?.location;
  if (location !== undefined) {
    const { latitude, longitude } = location;
    if (!Number.isFinite(latitude) || Math.abs(latitude) > 90) {
      throw new InvalidArgumentError(`${path}.location.latitude`, "must be -90 to 90");
    }
    if (!Number.isFinite(longitude) || Math.abs(longitude) > 180) {
      throw new InvalidArgumentError(`${path}.location.longitude`, "must be -180 to 180");
    }
  }
  const country = client?.country ?? "";
  if (country !== "" && !COUNTRY_CODE.test(country)) {
    throw new InvalidArgumentError(`${path}.country`, "must be an ISO 3166-1 alpha-2 code in capitals, e.g. FR");
  }
  return {
    clientLatitude: location?.latitude ?? null,
    clientLongitude: location?.longitude ?? null,
    clientCountry: country === "" ? null : country,
  };
}

function checkClientIp(client: ClientContext | undefined, path: string): string | null {
  if (client === undefined || client.ipAddress === "") return null;
  if (!isInetAddress(client.ipAddress))
    throw new InvalidArgumentError(`${path}.ip_address`, "not an IPv4 or IPv6 address");
  return client.ipAddress;
}

/** Validates a client context on its own, for requests that carry one outside an event. */
export function validateClientContext(client: ClientContext | undefined, path: string): void {
  checkClientIp(client, path);
  checkLocation(client, path);
  if (client === undefined) return;
  text(client.userAgent, "user_agent", path);
  text(client.requestId, "request_id", path);
}

/**
 * Validates an event from any writer (a LogEvent caller or Warden itself) and
 * applies defaults. Errors name the offending field by its proto path under `path`.
 */
export function toEventRecord(event: AuthenticationEvent | undefined, path: string, now: Date): EventRecord {
  if (event === undefined) throw new InvalidArgumentError(path, "required");

  let eventId = event.eventId;
  if (eventId === "") eventId = newEventId(now.getTime());
  else if (!UUID_PATTERN.test(eventId)) throw new InvalidArgumentError(`${path}.event_id`, "must be a UUID");

  const occurredAt = event.occurredAt ?? now;
  if (Number.isNaN(occurredAt.getTime())) throw new InvalidArgumentError(`${path}.occurred_at`, "invalid timestamp");
  // Stored and compared as timestamptz; nothing Warden records predates the Unix epoch.
  if (occurredAt.getTime() < 0) throw new InvalidArgumentError(`${path}.occurred_at`, "before 1970");
  if (occurredAt.getTime() > now.getTime() + EVENT_LIMITS.maxFutureSkewMs) {
    throw new InvalidArgumentError(`${path}.occurred_at`, "more than 5 minutes in the future");
  }
  const { min, max } = EVENT_LIMITS.riskScore;
  if (event.riskScore < min || event.riskScore > max) {
    throw new InvalidArgumentError(`${path}.risk_score`, `must be ${min} to ${max}`);
  }

  const principal = event.principal;
  const client = event.client;
  const clientIp = checkClientIp(client, `${path}.client`);

  return {
    eventId: eventId.toLowerCase(),
    occurredAt,
    type: requiredEnumLabel<DbEventType>(EventType, event.type, `${path}.type`),
    severity: enumLabel<DbSeverity>(Severity, event.severity, `${path}.severity`) ?? "INFO",
    outcome: requiredEnumLabel<DbOutcome>(Outcome, event.outcome, `${path}.outcome`),
    subject: principal ? text(principal.subject, "subject", `${path}.principal`) : null,
    principalKind: principal
      ? enumLabel<DbPrincipalKind>(PrincipalKind, principal.kind, `${path}.principal.kind`)
      : null,
    email: principal ? text(principal.email, "email", `${path}.principal`) : null,
    serviceTokenName: principal ? text(principal.serviceTokenName, "service_token_name", `${path}.principal`) : null,
    tokenId: principal ? text(principal.tokenId, "token_id", `${path}.principal`) : null,
    clientIp,
    userAgent: client ? text(client.userAgent, "user_agent", `${path}.client`) : null,
    requestId: client ? text(client.requestId, "request_id", `${path}.client`) : null,
    sourceService: text(event.sourceService, "source_service", path),
    failureReason: enumLabel<DbFailureReason>(FailureReason, event.failureReason, `${path}.failure_reason`),
    riskScore: event.riskScore,
    details: details(event.details, path),
    riskSignals: event.riskSignals.map((signal, index) =>
      requiredEnumLabel<DbRiskSignal>(RiskSignal, signal, `${path}.risk_signals[${index}]`),
    ),
    ...checkLocation(client, `${path}.client`),
    identityProvider: text(event.identityProvider, "identity_provider", path),
  };
}

const orNull = (value: string | undefined): string | null => (value === undefined || value === "" ? null : value);

/**
 * An event Warden built itself (Authenticate's, Check's and ext_authz's
 * decisions, token exchange, lockout and risk events) as stored: the same
 * mapping as toEventRecord without re-validating what Warden constructed, and
 * without building a field path per field. Its inputs are bounded where they
 * enter (claims, the request's client context and source service); a row the
 * database still refuses costs only itself (see db/batches.ts).
 */
export function ownEventRecord(event: AuthenticationEvent, now: Date): EventRecord {
  const principal = event.principal;
  const client = event.client;
  const location = client?.location;
  return {
    eventId: event.eventId === "" ? newEventId(now.getTime()) : event.eventId,
    occurredAt: event.occurredAt ?? now,
    type: EventType[event.type] as DbEventType,
    severity: event.severity === Severity.UNSPECIFIED ? "INFO" : (Severity[event.severity] as DbSeverity),
    outcome: Outcome[event.outcome] as DbOutcome,
    subject: orNull(principal?.subject),
    principalKind:
      principal === undefined || principal.kind === PrincipalKind.UNSPECIFIED
        ? null
        : (PrincipalKind[principal.kind] as DbPrincipalKind),
    email: orNull(principal?.email),
    serviceTokenName: orNull(principal?.serviceTokenName),
    tokenId: orNull(principal?.tokenId),
    clientIp: orNull(client?.ipAddress),
    userAgent: orNull(client?.userAgent),
    requestId: orNull(client?.requestId),
    sourceService: orNull(event.sourceService),
    failureReason:
      event.failureReason === FailureReason.UNSPECIFIED
        ? null
        : (FailureReason[event.failureReason] as DbFailureReason),
    riskScore: event.riskScore,
    details: event.details,
    riskSignals: event.riskSignals.map((signal) => RiskSignal[signal] as DbRiskSignal),
    clientLatitude: location?.latitude ?? null,
    clientLongitude: location?.longitude ?? null,
    clientCountry: orNull(client?.country),
    identityProvider: orNull(event.identityProvider),
  };
}

/** A stored event row back in its proto shape. */
export function toAuthenticationEvent(row: IListEventsResult): AuthenticationEvent {
  return {
    eventId: row.event_id,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    type: enumValue(EventType, row.type),
    severity: enumValue(Severity, row.severity),
    outcome: enumValue(Outcome, row.outcome),
    principal: {
      subject: row.subject ?? "",
      kind: enumValue(PrincipalKind, row.principal_kind),
      email: row.email ?? "",
      serviceTokenName: row.service_token_name ?? "",
      tokenId: row.token_id ?? "",
    },
    client: {
      ipAddress: row.client_ip ?? "",
      userAgent: row.user_agent ?? "",
      requestId: row.request_id ?? "",
      location:
        row.client_latitude === null || row.client_longitude === null
          ? undefined
          : { latitude: row.client_latitude, longitude: row.client_longitude },
      country: row.client_country ?? "",
    },
    sourceService: row.source_service ?? "",
    failureReason: enumValue(FailureReason, row.failure_reason),
    riskScore: row.risk_score,
    details: row.details as Record<string, string>,
    riskSignals: row.risk_signals.map((label) => enumValue(RiskSignal, label)),
    identityProvider: row.identity_provider ?? "",
  };
}
