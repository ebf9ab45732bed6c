import type { AuthenticationPipeline } from "../authn/pipeline.js";
import type { Db } from "../db/pool.js";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.js";
import { JWT_TOKEN_TYPE, type TokenExchange } from "../exchange/exchange.js";
import { text, toEventRecord, validateClientContext, type EventRecord } from "../events/event.js";
import { listEvents } from "../events/list.js";
import type { EventWriter } from "../events/writer.js";
import { lockoutKeys, type Lockouts } from "../lockout/lockouts.js";
import type { RiskDetector } from "../risk/detector.js";
import type {
  AuthenticateRequest,
  AuthenticateResponse,
  CheckLockoutRequest,
  CheckLockoutResponse,
  ExchangeTokenRequest,
  ExchangeTokenResponse,
  ListEventsRequest,
  ListEventsResponse,
  LogEventRequest,
  LogEventResponse,
  LogEventsRequest,
  LogEventsResponse,
} from "../gen/warden/v1/auth_service.js";
import { FailureReason } from "../gen/warden/v1/event.js";
import { isInetAddress } from "../validate.js";
import { bearerCredential } from "./metadata.js";
import { callerOf, type CallContext } from "./edge/context.js";
import { milliseconds } from "./numbers.js";

export const MAX_EVENTS_PER_BATCH = 1000;

export interface AuthServiceDependencies {
  /** The database for reads that stop when the call's signal aborts. */
  dbFor: (signal: AbortSignal) => Db;
  authenticator: AuthenticationPipeline;
  events: EventWriter;
  /** Absent when lockout is turned off. */
  lockouts: Lockouts | undefined;
  /** Absent when risk detection is turned off. */
  risk: RiskDetector | undefined;
  /** Absent when token exchange is turned off. */
  exchange: TokenExchange | undefined;
  now: () => Date;
}

/** AuthService handlers: decode and validate, call the domain, shape the response. */
export function authServiceHandlers(deps: AuthServiceDependencies) {
  /**
   * Scores reported logins for risk, stores the events, then counts the new
   * ones' logins toward lockout before answering.
   */
  const write = async (records: EventRecord[]) => {
    // Risk signals are Warden's own; callers' are ignored.
    for (const record of records) record.riskSignals = [];
    const risk = deps.risk;
    const attempts = risk === undefined ? undefined : await risk.assessReported(records);
    const results = await deps.events.write(records);
    const stored = results.map((result) => !result.duplicate);
    if (risk !== undefined && attempts !== undefined) risk.persistReported(attempts, stored);
    await deps.lockouts?.countReported(records.filter((_, index) => stored[index]));
    return results;
  };
  return {
    authenticate: async (request: AuthenticateRequest, context: CallContext): Promise<AuthenticateResponse> => {
      const credential = request.credential !== "" ? request.credential : bearerCredential(context.metadata);
      // Without a credential, the client certificate mTLS verified is the credential.
      const certificate = credential === "" ? context.peerCertificate : undefined;
      if (credential === "" && certificate === undefined) {
        throw new InvalidArgumentError(
          "credential",
          "required (or send `authorization: Bearer <credential>` metadata, or a client certificate)",
        );
      }
      validateClientContext(request.client, "client");
      text(request.sourceService, "source_service", "");
      const result = await deps.authenticator.authenticate({
        credential,
        ...(certificate === undefined ? {} : { peer: { certificate, verifiedByTls: true } }),
        client: request.client,
        sourceService: request.sourceService,
      });
      return result.authenticated
        ? {
            authenticated: true,
            principal: result.principal,
            failureReason: FailureReason.UNSPECIFIED,
            eventId: result.eventId,
            retryAfter: undefined,
            risk: result.risk,
          }
        : {
            authenticated: false,
            principal: undefined,
            failureReason: result.failureReason,
            eventId: result.eventId,
            retryAfter: result.retryAfter,
            risk: result.risk,
          };
    },

    // Reported events count toward lockouts and raise alerts: reporting is for services holding events:write.
    logEvent: async (request: LogEventRequest): Promise<LogEventResponse> => {
      const finished = deps.events.admit(1);
      try {
        const [result] = await write([toEventRecord(request.event, "event", deps.now())]);
        return result!;
      } finally {
        finished();
      }
    },

    logEvents: async (request: LogEventsRequest): Promise<LogEventsResponse> => {
      if (request.events.length === 0) throw new InvalidArgumentError("events", "at least one event is required");
      if (request.events.length > MAX_EVENTS_PER_BATCH) {
        throw new InvalidArgumentError("events", `at most ${MAX_EVENTS_PER_BATCH} events per call`);
      }
      const finished = deps.events.admit(request.events.length);
      try {
        const now = deps.now();
        const records = request.events.map((event, index) => toEventRecord(event, `events[${index}]`, now));
        return { results: await write(records) };
      } finally {
        finished();
      }
    },

    // The event trail names subjects, addresses and user agents: reading it is an admin call.
    listEvents: async (request: ListEventsRequest, context: CallContext): Promise<ListEventsResponse> =>
      listEvents(deps.dbFor(context.signal), request),

    // An admission is held until reported, so an anonymous caller could keep a subject refused.
    checkLockout: async (request: CheckLockoutRequest): Promise<CheckLockoutResponse> => {
      const subject = text(request.subject, "subject", "");
      if (subject === null) throw new InvalidArgumentError("subject", "required");
      if (request.clientIp !== "" && !isInetAddress(request.clientIp)) {
        throw new InvalidArgumentError("client_ip", "not an IPv4 or IPv6 address");
      }
      const refusal = await deps.lockouts?.admit(lockoutKeys(subject, request.clientIp));
      return refusal ? { allowed: false, retryAfter: refusal.until } : { allowed: true, retryAfter: undefined };
    },

    exchangeToken: async (request: ExchangeTokenRequest, context: CallContext): Promise<ExchangeTokenResponse> => {
      if (deps.exchange === undefined) {
        throw new FailedPreconditionError("token exchange is turned off (WARDEN_EXCHANGE_ENABLED)");
      }
      const issued = await deps.exchange.exchange(
        {
          subjectToken: request.subjectToken,
          audience: request.audience,
          scopes: request.scopes,
          lifetimeMs: milliseconds(request.lifetime),
        },
        callerOf(context),
      );
      return { ...issued, issuedTokenType: JWT_TOKEN_TYPE };
    },
  };
}
