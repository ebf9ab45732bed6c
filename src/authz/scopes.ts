/** Every scope Warden knows. A token or JWT may only be granted these; `admin` implies all others. */
export const SCOPES = [
  "admin",
  "tokens:read",
  "tokens:write",
  "tokens:exchange",
  "tokens:elevate",
  "events:read",
  "events:write",
  "lockouts:read",
  "lockouts:write",
  "risk:read",
  "alerts:read",
  "alerts:write",
  "audit:read",
  "roles:read",
  "roles:write",
  "access:check",
] as const;

export type Scope = (typeof SCOPES)[number];

const KNOWN = new Set<string>(SCOPES);

export function isKnownScope(scope: string): scope is Scope {
  return KNOWN.has(scope);
}

export function grants(held: readonly string[], needed: Scope): boolean {
  return held.includes(needed) || held.includes("admin");
}
