import { isIP } from "node:net";
import type { AuthenticationResult, Authenticator } from "../authn/authenticator.js";
import { grants, isKnownScope, type Scope } from "../authz/scopes.js";
import { PermissionDeniedError, UnauthenticatedError } from "../errors.js";
import { rbacSubject } from "../authz/access.js";
import { FailureReason } from "../gen/warden/v1/event.js";
import type { Actor } from "../audit/audit.js";
import { bearerCredential } from "./metadata.js";
import type { CallContext } from "./unary.js";

/**
 * Admin RPCs: the caller's `authorization: Bearer` credential (a service token
 * or a JWT) must authenticate and carry `scope` (or `admin`). Returns who the
 * caller is, for the records the change writes.
 */
export async function authorize(
  authenticator: Authenticator,
  context: Omit<CallContext, "timeoutMs">,
  scope: Scope,
): Promise<Actor> {
  return (await authorizeCaller(authenticator, context, scope)).actor;
}

/** As authorize(), also returning the scopes the caller holds, for calls that hand some of them on. */
export async function authorizeCaller(
  authenticator: Authenticator,
  context: Omit<CallContext, "timeoutMs">,
  scope: Scope,
): Promise<{ actor: Actor; scopes: string[] }> {
  const credential = requireCredential(context);
  return admit(
    await authenticator.authenticate({ credential, client: undefined, sourceService: "warden-admin" }),
    context,
    scope,
  );
}

/**
 * Reporting calls (LogEvent, LogEvents, CheckLockout): the caller's credential
 * must carry `scope`, as for admin calls, but is authenticated without a risk
 * score and without recording each success (see Authenticator.authenticateReporter).
 */
export async function authorizeReporter(
  authenticator: Authenticator,
  context: Omit<CallContext, "timeoutMs">,
  scope: Scope,
): Promise<Actor> {
  const credential = requireCredential(context);
  const result = await authenticator.authenticateReporter({
    credential,
    client: undefined,
    sourceService: "warden-reporter",
  });
  return admit(result, context, scope).actor;
}

function requireCredential(context: Omit<CallContext, "timeoutMs">): string {
  const credential = bearerCredential(context.metadata);
  if (credential === "") throw new UnauthenticatedError("authorization: a Bearer credential is required");
  return credential;
}

/** The caller, once its authentication succeeded and carries `scope`. */
function admit(
  result: AuthenticationResult,
  context: Omit<CallContext, "timeoutMs">,
  scope: Scope,
): { actor: Actor; scopes: string[] } {
  if (!result.authenticated) {
    throw new UnauthenticatedError(`authorization: credential refused (${FailureReason[result.failureReason]})`);
  }
  const principal = result.principal;
  if (!grants(principal.scopes, scope)) throw new PermissionDeniedError(`missing scope ${scope}`);
  const address = peerAddress(context.peer);
  const actor: Actor = {
    principal: rbacSubject(principal),
    requestId: context.requestId,
    ...(address === undefined ? {} : { clientIp: address }),
  };
  return { actor, scopes: principal.scopes };
}

/**
 * A caller may hand on only scopes it holds: without this, a `tokens:write`
 * token could mint (or rotate out the secret of) an `admin` token. Unknown
 * scopes are left to the domain, which refuses them as INVALID_ARGUMENT.
 */
export function requireHeld(held: readonly string[], handedOn: readonly string[]): void {
  const missing = handedOn.find((scope) => isKnownScope(scope) && !grants(held, scope));
  if (missing !== undefined) {
    throw new PermissionDeniedError(`missing scope ${missing}: a token can carry only scopes its issuer holds`);
  }
}

/** The address part of a grpc-js peer ("<address>:<port>"); undefined when it is not an IP address. */
export function peerAddress(peer: string): string | undefined {
  const address = peer.slice(0, peer.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
  return isIP(address) === 0 ? undefined : address;
}
