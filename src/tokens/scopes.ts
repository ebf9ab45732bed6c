import { grants, isKnownScope } from "../authz/scopes.js";
import { PermissionDeniedError } from "../errors.js";

/**
 * A caller may hand on only scopes it holds: without this, a `tokens:write`
 * token could mint (or rotate out the secret of) an `admin` token. Unknown
 * scopes are left to the token domain, which refuses them as INVALID_ARGUMENT.
 */
export function requireHeld(held: readonly string[], handedOn: readonly string[]): void {
  const missing = handedOn.find((scope) => isKnownScope(scope) && !grants(held, scope));
  if (missing !== undefined) {
    throw new PermissionDeniedError(`missing scope ${missing}: a token can carry only scopes its issuer holds`);
  }
}
