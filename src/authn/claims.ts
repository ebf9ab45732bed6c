import type { JWTPayload } from "jose";
import { EVENT_LIMITS } from "../events/event.js";
import { recordable } from "../validate.js";

/** The claims Warden records with every attempt, and the event field each becomes. */
const RECORDED_CLAIMS = [
  { claim: "sub", limit: EVENT_LIMITS.text.subject },
  { claim: "email", limit: EVENT_LIMITS.text.email },
  { claim: "jti", limit: EVENT_LIMITS.text.token_id },
] as const;

export interface UnrecordableClaims {
  /** Which claims, and why, e.g. "sub: 10000 characters, at most 256". */
  detail: string;
  /** The subject as it can be recorded: NULs replaced, cut to the limit. */
  subject: string;
  /** For the event's details: marks it as holding altered values. */
  details: Record<string, string>;
}

/**
 * Claims of a verified token that its event could not hold: beyond the event
 * limits, or holding a NUL. Such a token is refused, not answered with an
 * event that never lands.
 */
export function unrecordableClaims(payload: JWTPayload): UnrecordableClaims | undefined {
  const problems: string[] = [];
  for (const { claim, limit } of RECORDED_CLAIMS) {
    const value = payload[claim];
    if (typeof value !== "string") continue;
    if (value.includes("\u0000")) problems.push(`${claim}: holds a NUL`);
    else if (value.length > limit) problems.push(`${claim}: ${value.length} characters, at most ${limit}`);
  }
  if (problems.length === 0) return undefined;
  const detail = problems.join("; ");
  return {
    detail,
    subject: recordable(typeof payload.sub === "string" ? payload.sub : "", EVENT_LIMITS.text.subject),
    details: { invalid_claims: recordable(detail, EVENT_LIMITS.maxDetailValueLength) },
  };
}
