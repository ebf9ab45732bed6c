import { eventPrincipalOf, type PeerIdentity } from "../authn/authenticator.js";
import type { AuthenticationPipeline } from "../authn/pipeline.js";
import { InvalidArgumentError } from "../errors.js";
import { text, validateClientContext } from "../events/event.js";
import type { EventSink } from "../events/recorder.js";
import { AccessReason, type AccessDecision } from "../gen/warden/v1/access_service.js";
import type { Principal } from "../gen/warden/v1/auth_service.js";
import {
  EventType,
  FailureReason,
  Outcome,
  PrincipalKind,
  Severity,
  type AuthenticationEvent,
  type ClientContext,
  type EventPrincipal,
} from "../gen/warden/v1/event.js";
import { permissionName, resourceName } from "./roles.js";
import { accessDecision } from "./snapshot.js";
import type { CheckItem, RoleSnapshots } from "./snapshots.js";

export const MAX_BATCH_ITEMS = 100;

/** Who a check is for: a credential Warden authenticates, or a principal the caller vouches for. */
export type Claimant = { credential: string; peer?: PeerIdentity } | { principal: Principal };

export interface AccessRequest {
  claimant: Claimant;
  items: readonly CheckItem[];
  minVersion: number;
  client: ClientContext | undefined;
  sourceService: string;
  /** Extra context recorded on each decision's event, e.g. the HTTP method and path. */
  details?: Record<string, string>;
  /** How the request names each item's fields in errors, e.g. `items[3]`; "" for top-level fields. */
  itemPath: (index: number) => string;
}

export interface AccessResult {
  /** Absent when the credential was refused. */
  principal: Principal | undefined;
  /** In the order of the items. */
  decisions: AccessDecision[];
}

/** The RBAC subject a principal is assigned roles as. */
export function rbacSubject(principal: Principal): string {
  if (principal.kind === PrincipalKind.SERVICE_TOKEN) return `service_token:${principal.serviceTokenName}`;
  return principal.kind === PrincipalKind.WORKLOAD ? `workload:${principal.subject}` : `user:${principal.subject}`;
}

function vouchedPrincipal(principal: Principal): Principal {
  // Bounded as an event's principal is, so the decision's event is never refused.
  text(principal.subject, "subject", "principal");
  text(principal.email, "email", "principal");
  text(principal.serviceTokenName, "service_token_name", "principal");
  text(principal.tokenId, "token_id", "principal");
  if (principal.kind === PrincipalKind.SERVICE_TOKEN) {
    if (principal.serviceTokenName === "") throw new InvalidArgumentError("principal.service_token_name", "required");
  } else if (principal.kind === PrincipalKind.USER) {
    if (principal.subject === "") throw new InvalidArgumentError("principal.subject", "required");
  } else {
    throw new InvalidArgumentError("principal.kind", "must be USER or SERVICE_TOKEN");
  }
  return principal;
}

type Decided = Pick<AuthenticationEvent, "type" | "severity" | "outcome" | "principal" | "failureReason" | "details">;

/** An access decision's event: what the request says of its client, and how it was decided. */
function accessEvent(
  request: Pick<AccessRequest, "client" | "sourceService">,
  occurredAt: Date,
  identityProvider: string,
  decided: Decided,
): AuthenticationEvent {
  return {
    eventId: "",
    occurredAt,
    receivedAt: undefined,
    type: decided.type,
    severity: decided.severity,
    outcome: decided.outcome,
    principal: decided.principal,
    client: request.client,
    sourceService: request.sourceService,
    failureReason: decided.failureReason,
    riskScore: 0,
    riskSignals: [],
    details: decided.details,
    identityProvider,
  };
}

const UNAVAILABLE_REASONS = new Set([AccessReason.NO_SNAPSHOT, AccessReason.STALE_SNAPSHOT, AccessReason.UNAVAILABLE]);

/** The failure reason an ACCESS_DENIED event carries. */
function eventFailureReason(decision: AccessDecision): FailureReason {
  if (decision.allowed) return FailureReason.UNSPECIFIED;
  if (decision.reason === AccessReason.UNAUTHENTICATED) return decision.failureReason;
  if (decision.reason === AccessReason.NO_PERMISSION) return FailureReason.PERMISSION_DENIED;
  return FailureReason.AUTHORIZATION_UNAVAILABLE;
}

/**
 * Authorization decisions: authenticates the claimant when it is a
 * credential, decides every item from this replica's role snapshot, and
 * records an ACCESS_GRANTED or ACCESS_DENIED event per decision, which also
 * stands for the authentication (its principal and failure reason).
 */
export class Access {
  constructor(
    private readonly authenticator: AuthenticationPipeline,
    private readonly snapshots: RoleSnapshots,
    private readonly events: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async check(request: AccessRequest): Promise<AccessResult> {
    // Checked before anything is decided: a client the event would refuse would leave the decision unrecorded.
    validateClientContext(request.client, "client");
    text(request.sourceService, "source_service", "");
    request.items.forEach((item, index) => {
      const path = request.itemPath(index);
      permissionName(item.permission, `${path}permission`);
      resourceName(item.resource, `${path}resource`);
    });
    let principal: Principal;
    let identityProvider = "";
    if ("credential" in request.claimant && request.claimant.credential === "" && request.claimant.peer === undefined) {
      // Nothing to authenticate, and nothing to count against the caller's address.
      return this.refuse(request, FailureReason.MALFORMED_CREDENTIAL, undefined);
    } else if ("credential" in request.claimant) {
      // The decision's event carries what the authentication event would have
      // (who, why it failed), so one event is recorded per decision, not two.
      let captured: AuthenticationEvent | undefined;
      const result = await this.authenticator.authenticateForAccess(
        {
          credential: request.claimant.credential,
          ...(request.claimant.peer === undefined ? {} : { peer: request.claimant.peer }),
          client: request.client,
          sourceService: request.sourceService,
        },
        { record: (event) => (captured ??= event) },
      );
      identityProvider = captured?.identityProvider ?? "";
      if (!result.authenticated)
        return this.refuse(request, result.failureReason, captured?.principal, identityProvider);
      principal = result.principal;
    } else {
      principal = vouchedPrincipal(request.claimant.principal);
    }
    const decisions = await this.snapshots.decide(
      { subject: rbacSubject(principal), scopes: principal.scopes },
      request.items,
      request.minVersion,
    );
    this.record(request, eventPrincipalOf(principal), decisions, identityProvider);
    return { principal, decisions };
  }

  /**
   * Records the refusal of a request denied before any credential was looked
   * at (ext_authz's unroutable or unnormalised paths), as ACCESS_DENIED with
   * `accessReason` in its details.
   */
  recordUnchecked(request: Pick<AccessRequest, "client" | "sourceService" | "details">, accessReason: string): void {
    this.events.record(
      accessEvent(request, this.now(), "", {
        type: EventType.ACCESS_DENIED,
        severity: Severity.INFO,
        outcome: Outcome.FAILURE,
        principal: undefined,
        failureReason: FailureReason.PERMISSION_DENIED,
        details: { ...request.details, access_reason: accessReason },
      }),
    );
  }

  private refuse(
    request: AccessRequest,
    failureReason: FailureReason,
    who: EventPrincipal | undefined,
    identityProvider = "",
  ): AccessResult {
    const decisions = request.items.map(() =>
      accessDecision(AccessReason.UNAUTHENTICATED, this.snapshots.version, { failureReason }),
    );
    this.record(request, who, decisions, identityProvider);
    return { principal: undefined, decisions };
  }

  /** One event per decision; it also stands for the credential's authentication, so it names the identity source. */
  private record(
    request: AccessRequest,
    who: EventPrincipal | undefined,
    decisions: AccessDecision[],
    identityProvider = "",
  ): void {
    const occurredAt = this.now();
    decisions.forEach((decision, index) => {
      const item = request.items[index]!;
      const unavailable = UNAVAILABLE_REASONS.has(decision.reason);
      // Built field by field: spreads made this loop a twentieth of a Check's CPU.
      const details: Record<string, string> = request.details === undefined ? {} : { ...request.details };
      details.permission = item.permission;
      details.access_reason = AccessReason[decision.reason] ?? String(decision.reason);
      details.rbac_version = String(decision.version);
      if (item.resource !== "") details.resource = item.resource;
      if (decision.assignedRole !== "") details.assigned_role = decision.assignedRole;
      if (decision.grantedBy !== "") details.granted_by = decision.grantedBy;
      this.events.record(
        accessEvent(request, occurredAt, identityProvider, {
          type: decision.allowed ? EventType.ACCESS_GRANTED : EventType.ACCESS_DENIED,
          severity: unavailable ? Severity.WARNING : Severity.INFO,
          outcome: decision.allowed ? Outcome.SUCCESS : unavailable ? Outcome.ERROR : Outcome.FAILURE,
          principal: who,
          failureReason: eventFailureReason(decision),
          details,
        }),
      );
    });
  }
}
