import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { StatusCode } from "../gen/envoy/type/v3/http_status.js";
import { HeaderValueOption_HeaderAppendAction, type HeaderValueOption } from "../gen/envoy/config/core/v3/base.js";
import type { CheckRequest, CheckResponse } from "../gen/envoy/service/auth/v3/external_auth.js";
import { AccessReason, type AccessDecision } from "../gen/warden/v1/access_service.js";
import type { Principal } from "../gen/warden/v1/auth_service.js";
import { FailureReason, PrincipalKind } from "../gen/warden/v1/event.js";
import type { Access } from "./access.js";
import { recordable } from "../validate.js";
import { isNormalizedPath, type RouteTable } from "./routes.js";

/** google.rpc.Code values Envoy reads from CheckResponse.status. */
const RPC_CODE = { OK: 0, INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

const IDENTITY_HEADER_PREFIX = "x-warden-";
/** Every header Warden may set for the upstream; those it does not set on a request are removed from it. */
const IDENTITY_HEADERS = [
  "x-warden-subject",
  "x-warden-principal-kind",
  "x-warden-scopes",
  "x-warden-permission",
  "x-warden-service-token-name",
  "x-warden-role",
] as const;
export const REASON_HEADER = "x-warden-reason";
/** The source_service of ext_authz's events. */
const SOURCE_SERVICE = "envoy";
const BEARER = /^bearer\s+(\S+)\s*$/i;
/** Longest request path recorded on an event (the event limit for a detail value). */
const MAX_RECORDED_PATH = 1024;

/** Which of a request's recorded attributes an event cannot hold as they are: a NUL, or an address's zone id. */
function unrecordableAttributes(attributes: Record<string, string> & { sourceAddress: string }): string | undefined {
  const problems = Object.entries(attributes)
    .filter(([, value]) => value.includes("\u0000"))
    .map(([name]) => `${name} holds a NUL`);
  if (isIP(attributes.sourceAddress) === 6 && attributes.sourceAddress.includes("%")) {
    problems.push("sourceAddress holds a zone id");
  }
  return problems.length === 0 ? undefined : problems.join("; ");
}

export interface ExtAuthzSettings {
  stripAuthorization: boolean;
}

/**
 * The set, never appended: `append` is sent explicitly false because older
 * Envoys read only that field, and a caller's own x-warden-* header must never
 * survive next to Warden's.
 */
function header(key: string, value: string): HeaderValueOption {
  return {
    header: { key, value },
    append: false,
    appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
  };
}

function denied(httpStatus: StatusCode, rpcCode: number, reason: string, headers: HeaderValueOption[] = []) {
  const body = JSON.stringify({ error: StatusCode[httpStatus], reason });
  return {
    status: { code: rpcCode, message: reason, details: [] },
    deniedResponse: {
      status: { code: httpStatus },
      headers: [header(REASON_HEADER, reason), header("content-type", "application/json"), ...headers],
      body,
    },
    dynamicMetadata: undefined,
  } satisfies CheckResponse;
}

/** A denied 503: what Envoy gets whenever Warden cannot decide, so failure_mode_allow never applies. */
export function unavailableResponse(reason: string): CheckResponse {
  return denied(StatusCode.ServiceUnavailable, RPC_CODE.UNAVAILABLE, reason);
}

/** Envoy's `source.certificate`: URL-encoded PEM; undefined when absent or unreadable. */
function forwardedCertificate(encoded: string): X509Certificate | undefined {
  if (encoded === "") return undefined;
  try {
    return new X509Certificate(decodeURIComponent(encoded));
  } catch {
    return undefined;
  }
}

function kindName(principal: Principal): string {
  if (principal.kind === PrincipalKind.SERVICE_TOKEN) return "service_token";
  return principal.kind === PrincipalKind.WORKLOAD ? "workload" : "user";
}

/**
 * Envoy's external authorization: finds the permission the request's route
 * needs, authenticates the `authorization` header and decides through the
 * same path as AccessService.Check. Allowed requests go upstream with
 * identity headers; refused ones get 401, 403 or 503 with a reason header.
 */
export class ExtAuthz {
  constructor(
    private readonly access: Access,
    private readonly routes: RouteTable,
    private readonly settings: ExtAuthzSettings,
  ) {}

  async check(request: CheckRequest): Promise<CheckResponse> {
    const attributes = request.attributes;
    const http = attributes?.request?.http;
    const headers = http?.headers ?? {};
    const method = http?.method || headers[":method"] || "";
    const path = http?.path || headers[":path"] || "";
    const sourceAddress = attributes?.source?.address?.socketAddress?.address ?? "";
    const userAgent = headers["user-agent"] ?? "";
    const requestId = http?.id || headers["x-request-id"] || "";
    const host = http?.host || headers[":authority"] || "";
    const client = {
      // Recorded without a zone id (fe80::1%eth0), which the event store cannot hold.
      ipAddress: isIP(sourceAddress) === 0 ? "" : sourceAddress.split("%", 1)[0]!,
      userAgent: recordable(userAgent, 512),
      requestId: recordable(requestId, 128),
      location: undefined,
      country: "",
    };
    const details = {
      http_method: recordable(method, 16),
      // Without query or fragment: they may carry secrets (?access_token=...) that events would keep and export.
      http_path: recordable(path.split(/[?#]/, 1)[0]!, MAX_RECORDED_PATH),
      http_host: recordable(host, 256),
    };

    // A request its event could only record altered is refused, so no decision goes unrecorded.
    const unrecordable = unrecordableAttributes({ method, path, host, userAgent, requestId, sourceAddress });
    if (unrecordable !== undefined) {
      const marked = { ...details, unrecordable: recordable(unrecordable, 256) };
      this.access.recordUnchecked({ client, sourceService: SOURCE_SERVICE, details: marked }, "UNRECORDABLE_REQUEST");
      return denied(StatusCode.BadRequest, RPC_CODE.INVALID_ARGUMENT, "unrecordable_request");
    }
    const pathOnly = path.split("?", 1)[0]!;
    if (!isNormalizedPath(pathOnly)) {
      this.access.recordUnchecked({ client, sourceService: SOURCE_SERVICE, details }, "UNNORMALIZED_PATH");
      return denied(StatusCode.BadRequest, RPC_CODE.INVALID_ARGUMENT, "unnormalized_path");
    }
    const requirement = this.routes.requirement(method, pathOnly, attributes?.contextExtensions ?? {});
    if (requirement === undefined) {
      this.access.recordUnchecked({ client, sourceService: SOURCE_SERVICE, details }, "NO_ROUTE");
      return denied(StatusCode.Forbidden, RPC_CODE.PERMISSION_DENIED, "no_route");
    }

    const credential = BEARER.exec(headers.authorization ?? "")?.[1] ?? "";
    // Without a bearer credential, the client certificate Envoy verified and forwarded is the credential.
    const certificate = credential === "" ? forwardedCertificate(attributes?.source?.certificate ?? "") : undefined;
    const result = await this.access.check({
      claimant: {
        credential,
        ...(certificate === undefined ? {} : { peer: { certificate, verifiedByTls: false } }),
      },
      items: [requirement],
      minVersion: 0,
      client,
      sourceService: SOURCE_SERVICE,
      details,
      itemPath: () => "route.",
    });
    const decision = result.decisions[0]!;
    if (decision.allowed && result.principal !== undefined) {
      return this.allowed(result.principal, requirement.permission, decision, headers);
    }
    return this.refused(decision, credential !== "" || certificate !== undefined);
  }

  private allowed(
    principal: Principal,
    permission: string,
    decision: AccessDecision,
    requestHeaders: Record<string, string>,
  ): CheckResponse {
    const identity: Record<string, string> = {
      "x-warden-subject": principal.subject,
      "x-warden-principal-kind": kindName(principal),
      "x-warden-scopes": principal.scopes.join(" "),
      "x-warden-permission": permission,
    };
    if (principal.serviceTokenName !== "") identity["x-warden-service-token-name"] = principal.serviceTokenName;
    if (decision.assignedRole !== "") identity["x-warden-role"] = decision.assignedRole;
    // Removed whether or not Envoy passed them on to Warden (allowed_headers may leave them out).
    const remove = [
      ...new Set([
        ...IDENTITY_HEADERS,
        ...Object.keys(requestHeaders).filter((name) => name.startsWith(IDENTITY_HEADER_PREFIX)),
      ]),
    ].filter((name) => !(name in identity));
    if (this.settings.stripAuthorization) remove.push("authorization");
    return {
      status: { code: RPC_CODE.OK, message: "", details: [] },
      okResponse: {
        headers: Object.entries(identity).map(([key, value]) => header(key, value)),
        headersToRemove: remove,
      },
      dynamicMetadata: {
        subject: principal.subject,
        principal_kind: kindName(principal),
        service_token_name: principal.serviceTokenName,
        scopes: principal.scopes,
        permission,
        assigned_role: decision.assignedRole,
        rbac_version: decision.version,
      },
    };
  }

  private refused(decision: AccessDecision, presented: boolean): CheckResponse {
    if (decision.reason === AccessReason.UNAUTHENTICATED) {
      const reason = presented ? FailureReason[decision.failureReason].toLowerCase() : "missing_credential";
      const challenge = presented ? 'Bearer realm="warden", error="invalid_token"' : 'Bearer realm="warden"';
      return denied(StatusCode.Unauthorized, RPC_CODE.UNAUTHENTICATED, reason, [header("www-authenticate", challenge)]);
    }
    if (decision.reason === AccessReason.NO_PERMISSION) {
      return denied(StatusCode.Forbidden, RPC_CODE.PERMISSION_DENIED, "no_permission");
    }
    return unavailableResponse(AccessReason[decision.reason].toLowerCase());
  }
}
