import { WARDEN_IDENTITY_PROVIDER } from "../authn/warden-token-authenticator.js";
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { recordAudit, type Actor } from "../audit/audit.js";
import { eventPrincipalOf } from "../authn/authenticator.js";
import type { AuthenticationPipeline } from "../authn/pipeline.js";
import { rbacSubject } from "../authz/access.js";
import { grants, isKnownScope } from "../authz/scopes.js";
import { withDatabaseErrors } from "../db/errors.js";
import type { Pool } from "../db/pool.js";
import { InvalidArgumentError, PermissionDeniedError, UnavailableError } from "../errors.js";
import { EVENT_LIMITS, newEventId } from "../events/event.js";
import type { EventSink } from "../events/recorder.js";
import type { Principal } from "../gen/warden/v1/auth_service.js";
import { EventType, FailureReason, Outcome, PrincipalKind, Severity } from "../gen/warden/v1/event.js";
import { recordable } from "../validate.js";
import type { ExchangeOptions } from "./exchange-options.js";
import type { SigningKeys } from "./signing-keys.js";

/** RFC 8693's identifier of the token type ExchangeToken issues. */
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const MAX_SCOPES = 100;
const MAX_SCOPE_LENGTH = 128;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 scope-token: printable ASCII but `"` and `\`

export interface ExchangeRequest {
  /** Empty: the caller's own credential is the subject. */
  subjectToken: string;
  audience: string[];
  scopes: string[];
  lifetimeMs: number | undefined;
}

export interface ExchangeCaller {
  principal: Principal;
  actor: Actor;
}

export interface ExchangedToken {
  accessToken: string;
  expiresAt: Date;
  scopes: string[];
  tokenId: string;
  audience: string[];
}

/** Whether `scopes` hold `scope`: the same scope, or a known one that `admin` implies. */
const holds = (scopes: readonly string[], scope: string) =>
  scopes.includes(scope) || (isKnownScope(scope) && grants(scopes, scope));

/**
 * Token exchange (RFC 8693): turns a credential Warden accepts into a
 * short-lived JWT that Warden signs, for its subject, with the caller as `act`.
 * A token scoped beyond its subject's own needs a caller holding
 * tokens:elevate and every scope it adds, and is written to the audit trail
 * before it is handed out.
 */
export class TokenExchange {
  constructor(
    private readonly deps: {
      pool: Pool;
      keys: SigningKeys;
      options: ExchangeOptions;
      authenticator: AuthenticationPipeline;
      events: EventSink;
      now: () => Date;
    },
  ) {}

  async exchange(request: ExchangeRequest, caller: ExchangeCaller): Promise<ExchangedToken> {
    const { options, keys } = this.deps;
    const audience = this.audience(request.audience);
    const lifetimeMs = this.lifetime(request.lifetimeMs);
    const requestedScopes = validScopes(request.scopes);
    const subject = request.subjectToken === "" ? caller.principal : await this.subject(request.subjectToken);
    const scopes = requestedScopes ?? subject.scopes;
    const added = scopes.filter((scope) => !holds(subject.scopes, scope));
    if (added.length > 0) {
      if (!grants(caller.principal.scopes, "tokens:elevate")) {
        throw new PermissionDeniedError(
          `missing scope tokens:elevate: ${added.join(", ")} go beyond the subject's own scopes`,
        );
      }
      const unheld = added.find((scope) => !holds(caller.principal.scopes, scope));
      if (unheld !== undefined) {
        throw new PermissionDeniedError(`missing scope ${unheld}: a token can carry only scopes its issuer holds`);
      }
    }

    const key = keys.signing();
    if (key === undefined) {
      throw new UnavailableError("no signing key is current: the keys could not be refreshed from the database");
    }
    const now = this.deps.now();
    let expiresMs = now.getTime() + lifetimeMs;
    // A token never outlives the credential it was exchanged for.
    if (subject.expiresAt !== undefined) expiresMs = Math.min(expiresMs, subject.expiresAt.getTime());
    const expiresAt = new Date(Math.floor(expiresMs / 1000) * 1000);
    const tokenId = randomUUID();
    const accessToken = await new SignJWT({
      kind: PrincipalKind[subject.kind],
      scope: scopes.join(" "),
      roles: subject.roles,
      ...(subject.email === "" ? {} : { email: subject.email }),
      ...(subject.serviceTokenName === "" ? {} : { service_token_name: subject.serviceTokenName }),
      ...(subject.tokenId === "" ? {} : { orig_jti: subject.tokenId }),
      act: { sub: caller.principal.subject, kind: PrincipalKind[caller.principal.kind] },
    })
      .setProtectedHeader({ alg: key.algorithm, kid: key.keyId, typ: "JWT" })
      .setIssuer(options.issuer)
      .setSubject(subject.subject)
      .setAudience(audience)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(expiresAt)
      .setJti(tokenId)
      .sign(key.privateKey!);

    const details = {
      actor: recordable(caller.actor.principal, EVENT_LIMITS.maxDetailValueLength),
      token_id: tokenId,
      audience: recordable(audience.join(" "), EVENT_LIMITS.maxDetailValueLength),
      scopes: recordable(scopes.join(" "), EVENT_LIMITS.maxDetailValueLength),
      ...(added.length === 0 ? {} : { added_scopes: recordable(added.join(" "), EVENT_LIMITS.maxDetailValueLength) }),
    };
    if (added.length > 0) {
      // Handed out only once its record is committed.
      await withDatabaseErrors(() =>
        recordAudit(this.deps.pool, caller.actor, {
          action: "token.exchange_beyond_scopes",
          target: rbacSubject(subject),
          after: { token_id: tokenId, scopes, added_scopes: added, audience, expires_at: expiresAt.toISOString() },
        }),
      );
    }
    this.deps.events.record({
      eventId: newEventId(now.getTime()),
      occurredAt: now,
      type: EventType.TOKEN_EXCHANGED,
      identityProvider: WARDEN_IDENTITY_PROVIDER,
      severity: added.length === 0 ? Severity.INFO : Severity.WARNING,
      outcome: Outcome.SUCCESS,
      principal: eventPrincipalOf(subject),
      failureReason: FailureReason.UNSPECIFIED,
      client: undefined,
      sourceService: "warden-exchange",
      riskScore: 0,
      riskSignals: [],
      details,
      receivedAt: undefined,
    });
    return { accessToken, expiresAt, scopes, tokenId, audience };
  }

  private audience(requested: string[]): string[] {
    if (requested.length === 0) return [this.deps.options.issuer];
    requested.forEach((audience, index) => {
      if (!this.deps.options.audiences.includes(audience)) {
        throw new InvalidArgumentError(
          `audience[${index}]`,
          `not an audience Warden issues tokens for (allowed: ${this.deps.options.audiences.join(", ")})`,
        );
      }
    });
    return [...new Set(requested)];
  }

  private lifetime(requestedMs: number | undefined): number {
    const maxMs = this.deps.options.maxLifetimeMs;
    if (requestedMs === undefined) return maxMs;
    if (requestedMs < 1000 || requestedMs > maxMs) {
      throw new InvalidArgumentError("lifetime", `must be 1 to ${maxMs / 1000} seconds`);
    }
    return requestedMs;
  }

  /** The principal of a credential passed in, authenticated as any attempt is (lockout, risk, its own event). */
  private async subject(subjectToken: string): Promise<Principal> {
    const result = await this.deps.authenticator.authenticate({
      credential: subjectToken,
      client: undefined,
      sourceService: "warden-exchange",
    });
    if (result.authenticated) return result.principal;
    const reason = FailureReason[result.failureReason];
    if (
      result.failureReason === FailureReason.KEYS_UNAVAILABLE ||
      result.failureReason === FailureReason.AUTHORIZATION_UNAVAILABLE
    ) {
      throw new UnavailableError(`subject_token: could not be verified now (${reason})`);
    }
    throw new InvalidArgumentError("subject_token", `refused (${reason})`);
  }
}

/** The requested scopes, or undefined for the subject's own. */
function validScopes(scopes: string[]): string[] | undefined {
  if (scopes.length === 0) return undefined;
  if (scopes.length > MAX_SCOPES) throw new InvalidArgumentError("scopes", `at most ${MAX_SCOPES}`);
  scopes.forEach((scope, index) => {
    if (scope.length > MAX_SCOPE_LENGTH || !SCOPE_TOKEN.test(scope)) {
      throw new InvalidArgumentError(
        `scopes[${index}]`,
        `1 to ${MAX_SCOPE_LENGTH} printable ASCII characters, no space, quote or backslash`,
      );
    }
  });
  return [...new Set(scopes)];
}

/** The OpenID discovery document of Warden as an issuer: where its keys are, and how it signs. */
export function discoveryDocument(options: ExchangeOptions) {
  return {
    issuer: options.issuer,
    jwks_uri: `${options.issuer.replace(/\/$/, "")}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: [options.algorithm],
    grant_types_supported: ["urn:ietf:params:oauth:grant-type:token-exchange"],
    subject_types_supported: ["public"],
    response_types_supported: ["token"],
    claims_supported: ["iss", "sub", "aud", "exp", "iat", "jti", "kind", "scope", "roles", "orig_jti", "act", "email"],
  };
}
