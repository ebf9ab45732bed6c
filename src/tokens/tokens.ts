import { randomUUID } from "node:crypto";
import {
  claimExpiredServiceTokens,
  findServiceToken,
  insertServiceToken,
  insertServiceTokenSecret,
  listServiceTokens,
  markServiceTokenRotated,
  notifyServiceTokenChanged,
  retireSecrets,
  revokeAllServiceTokens,
  revokeServiceToken,
  type IFindServiceTokenResult,
} from "../../sql/queries/service_tokens.queries.js";
import { isKnownScope, SCOPES } from "../authz/scopes.js";
import { recordAudit, type Actor } from "../audit/audit.js";
import { withDatabaseErrors } from "../db/errors.js";
import { boundedText, UUID_PATTERN, type TableLimits } from "../validate.js";
import { decodeTimeKey, encodeTimeKey } from "../db/page-token.js";
import { withTransaction, type Db, type Pool, type PoolClient } from "../db/pool.js";
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors.js";
import { toEventRecord } from "../events/event.js";
import { insertEventRecords } from "../events/insert.js";
import { EventType, Outcome, PrincipalKind, Severity } from "../gen/warden/v1/event.js";
import { ServiceToken, ServiceTokenState, type ServiceTokenSelector } from "../gen/warden/v1/token_service.js";
import { generateServiceToken, hashServiceToken } from "./format.js";

export const TOKEN_LIMITS = {
  name: /^[a-z0-9][a-z0-9._-]{0,63}$/,
  /** The longest name `name` allows: a selector naming a longer one names no token. */
  nameLength: 64,
  description: 512,
  reason: 512,
  defaultGraceMs: 24 * 3600 * 1000,
  maxGraceMs: 30 * 24 * 3600 * 1000,
  pageSize: { default: 100, max: 1000 },
} as const;

/** What create and revoke let into service_tokens, for `npm run check` to hold the live columns to. */
export const TOKEN_COLUMN_LIMITS: TableLimits = {
  table: "service_tokens",
  columns: {
    name: { kind: "text", maxLength: TOKEN_LIMITS.nameLength, source: "TOKEN_LIMITS.nameLength" },
    description: { kind: "text", maxLength: TOKEN_LIMITS.description, source: "TOKEN_LIMITS.description" },
    revoked_reason: { kind: "text", maxLength: TOKEN_LIMITS.reason, source: "TOKEN_LIMITS.reason" },
  },
};

export const REVOKE_ALL_CONFIRMATION = "REVOKE ALL SERVICE TOKENS";
/** NOTIFY payload telling every replica to drop all cached tokens. */
export const ALL_TOKENS = "*";
const UNIQUE_VIOLATION = "23505";

type TokenRow = IFindServiceTokenResult;

function stateOf(row: TokenRow, now: Date): ServiceTokenState {
  if (row.revoked_at !== null) return ServiceTokenState.REVOKED;
  if (row.expires_at !== null && row.expires_at <= now) return ServiceTokenState.EXPIRED;
  return ServiceTokenState.ACTIVE;
}

function toServiceToken(row: TokenRow, now: Date): ServiceToken {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    scopes: row.scopes,
    state: stateOf(row, now),
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
    revokedReason: row.revoked_reason ?? "",
    revokedBy: row.revoked_by ?? "",
    lastUsedAt: row.last_used_at ?? undefined,
    useCount: Number(row.use_count),
    lastRotatedAt: row.last_rotated_at ?? undefined,
  };
}

function requiredReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed === "") throw new InvalidArgumentError("reason", "required");
  return boundedText(trimmed, "reason", TOKEN_LIMITS.reason);
}

function selectorParams(selector: ServiceTokenSelector | undefined): { id: string | null; name: string | null } {
  if (selector?.id !== undefined) {
    if (!UUID_PATTERN.test(selector.id)) throw new InvalidArgumentError("token.id", "must be a UUID");
    return { id: selector.id.toLowerCase(), name: null };
  }
  if (selector?.name !== undefined && selector.name !== "") {
    return { id: null, name: boundedText(selector.name, "token.name", TOKEN_LIMITS.nameLength) };
  }
  throw new InvalidArgumentError("token", "set id or name");
}

function describe(selector: { id: string | null; name: string | null }): string {
  return selector.id !== null ? `id ${selector.id}` : `name "${selector.name}"`;
}

export interface CreateTokenInput {
  name: string;
  scopes: string[];
  expiresAt: Date | undefined;
  description: string;
}

/**
 * Service-token administration. Every change commits together with the
 * AuthenticationEvent that records it and a NOTIFY that makes every replica
 * drop what it cached about the token.
 */
export class ServiceTokens {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => Date = () => new Date(),
    /**
     * Told of each token this process revoked or rotated (or ALL_TOKENS) once
     * the change commits, so its own cache drops the token at once; other
     * replicas learn it from the notification.
     */
    private readonly changed: (tokenId: string) => void = () => undefined,
  ) {}

  async create(input: CreateTokenInput, actor: Actor): Promise<{ token: ServiceToken; secret: string }> {
    const now = this.now();
    if (!TOKEN_LIMITS.name.test(input.name)) {
      throw new InvalidArgumentError(
        "name",
        "1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
      );
    }
    if (input.scopes.length === 0) throw new InvalidArgumentError("scopes", "at least one scope is required");
    input.scopes.forEach((scope, index) => {
      if (!isKnownScope(scope)) {
        throw new InvalidArgumentError(`scopes[${index}]`, `unknown scope "${scope}"; known: ${SCOPES.join(", ")}`);
      }
    });
    if (input.expiresAt !== undefined && input.expiresAt <= now) {
      throw new InvalidArgumentError("expires_at", "must be in the future");
    }
    boundedText(input.description, "description", TOKEN_LIMITS.description);

    const secret = generateServiceToken();
    return this.inTransaction(async (client) => {
      let row: TokenRow;
      try {
        [row] = (await insertServiceToken.run(
          {
            id: randomUUID(),
            name: input.name,
            description: input.description,
            scopes: [...new Set(input.scopes)],
            createdBy: actor.principal,
            expiresAt: input.expiresAt ?? null,
          },
          client,
        )) as [TokenRow];
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new AlreadyExistsError("name", `a service token named "${input.name}" already exists`);
        }
        throw error;
      }
      await insertServiceTokenSecret.run({ secretHash: hashServiceToken(secret), tokenId: row.id }, client);
      await this.record(client, EventType.SERVICE_TOKEN_CREATED, Severity.INFO, row, actor, {
        scopes: row.scopes.join(" "),
      });
      const token = toServiceToken(row, now);
      await recordAudit(client, actor, {
        action: "service_token.create",
        target: `service_token:${row.id}`,
        after: publicView(token),
      });
      return { token, secret };
    });
  }

  /** Reads take the caller's `db` (db.withSignal), so they stop when the call does. */
  async get(selector: ServiceTokenSelector | undefined, db: Db = this.pool): Promise<ServiceToken> {
    return toServiceToken(await this.find(db, selectorParams(selector)), this.now());
  }

  async list(
    request: { state: ServiceTokenState; pageSize: number; pageToken: string },
    db: Db = this.pool,
  ): Promise<{ tokens: ServiceToken[]; nextPageToken: string }> {
    if (request.pageSize > TOKEN_LIMITS.pageSize.max) {
      throw new InvalidArgumentError("page_size", `at most ${TOKEN_LIMITS.pageSize.max}`);
    }
    if (request.state !== ServiceTokenState.UNSPECIFIED && ServiceTokenState[request.state] === undefined) {
      throw new InvalidArgumentError("state", `unknown enum value ${request.state}`);
    }
    const pageSize = request.pageSize === 0 ? TOKEN_LIMITS.pageSize.default : request.pageSize;
    const cursor = request.pageToken === "" ? undefined : decodeTimeKey(request.pageToken, "ListServiceTokens");
    const rows = await withDatabaseErrors(() =>
      listServiceTokens.run(
        {
          state: request.state === ServiceTokenState.UNSPECIFIED ? null : ServiceTokenState[request.state],
          cursorCreatedAt: cursor?.at ?? null,
          cursorId: cursor?.id ?? null,
          limit: pageSize + 1,
        },
        db,
      ),
    );
    const now = this.now();
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    return {
      tokens: page.map((row) => toServiceToken(row, now)),
      nextPageToken: rows.length > pageSize && last ? encodeTimeKey({ at: last.created_at, id: last.id }) : "",
    };
  }

  async revoke(selector: ServiceTokenSelector | undefined, reason: string, actor: Actor): Promise<ServiceToken> {
    const target = selectorParams(selector);
    const why = requiredReason(reason);
    const token = await this.inTransaction(async (client) => {
      const existing = await this.find(client, target);
      const [revoked] = await revokeServiceToken.run(
        { id: existing.id, reason: why, revokedBy: actor.principal },
        client,
      );
      if (revoked === undefined) return toServiceToken(existing, this.now());
      await this.record(client, EventType.SERVICE_TOKEN_REVOKED, Severity.WARNING, revoked, actor, { reason: why });
      await notifyServiceTokenChanged.run({ payload: revoked.id }, client);
      const token = toServiceToken(revoked, this.now());
      await recordAudit(client, actor, {
        action: "service_token.revoke",
        target: `service_token:${revoked.id}`,
        before: publicView(toServiceToken(existing, this.now())),
        after: publicView(token),
      });
      return token;
    });
    this.changed(token.id);
    return token;
  }

  async rotate(
    selector: ServiceTokenSelector | undefined,
    gracePeriodMs: number | undefined,
    actor: Actor,
  ): Promise<{ token: ServiceToken; secret: string; previousSecretExpiresAt: Date }> {
    const target = selectorParams(selector);
    const graceMs = gracePeriodMs ?? TOKEN_LIMITS.defaultGraceMs;
    if (graceMs < 0 || graceMs > TOKEN_LIMITS.maxGraceMs) {
      throw new InvalidArgumentError("grace_period", "must be between 0 and 30 days");
    }
    const secret = generateServiceToken();
    const result = await this.inTransaction(async (client) => {
      const existing = await this.find(client, target);
      const [rotated] = await markServiceTokenRotated.run({ id: existing.id }, client);
      if (rotated === undefined) throw new FailedPreconditionError(`service token "${existing.name}" is revoked`);
      const previousSecretExpiresAt = new Date(this.now().getTime() + graceMs);
      await retireSecrets.run({ tokenId: rotated.id, retiresAt: previousSecretExpiresAt }, client);
      await insertServiceTokenSecret.run({ secretHash: hashServiceToken(secret), tokenId: rotated.id }, client);
      await this.record(client, EventType.SERVICE_TOKEN_ROTATED, Severity.INFO, rotated, actor, {
        previous_secret_expires_at: previousSecretExpiresAt.toISOString(),
      });
      await notifyServiceTokenChanged.run({ payload: rotated.id }, client);
      const token = toServiceToken(rotated, this.now());
      await recordAudit(client, actor, {
        action: "service_token.rotate",
        target: `service_token:${rotated.id}`,
        before: publicView(toServiceToken(existing, this.now())),
        after: { ...publicView(token), previousSecretExpiresAt: previousSecretExpiresAt.toISOString() },
      });
      return { token, secret, previousSecretExpiresAt };
    });
    this.changed(result.token.id);
    return result;
  }

  async revokeAll(confirmation: string, reason: string, actor: Actor): Promise<number> {
    if (confirmation !== REVOKE_ALL_CONFIRMATION) {
      throw new InvalidArgumentError("confirmation", `must be exactly "${REVOKE_ALL_CONFIRMATION}"`);
    }
    const why = requiredReason(reason);
    const count = await this.inTransaction(async (client) => {
      const revoked = await revokeAllServiceTokens.run({ reason: why, revokedBy: actor.principal }, client);
      const now = this.now();
      await insertEventRecords(
        client,
        revoked.map((token) =>
          this.lifecycleEvent(EventType.SERVICE_TOKEN_REVOKED, Severity.CRITICAL, token, actor, now, {
            reason: why,
            emergency: "revoke_all",
          }),
        ),
      );
      await notifyServiceTokenChanged.run({ payload: ALL_TOKENS }, client);
      await recordAudit(client, actor, {
        action: "service_token.revoke_all",
        target: "service_token:*",
        after: { reason: why, revoked: revoked.map((token) => token.id) },
      });
      return revoked.length;
    });
    this.changed(ALL_TOKENS);
    return count;
  }

  /** Records SERVICE_TOKEN_EXPIRED once for each token that expired since the last sweep. */
  async recordExpirations(): Promise<number> {
    return this.inTransaction(async (client) => {
      const expired = await claimExpiredServiceTokens.run(undefined, client);
      const now = this.now();
      const system = { principal: "system:warden" };
      await insertEventRecords(
        client,
        expired.map((token) =>
          this.lifecycleEvent(EventType.SERVICE_TOKEN_EXPIRED, Severity.INFO, token, system, now, {}),
        ),
      );
      if (expired.length > 0) await notifyServiceTokenChanged.run({ payload: ALL_TOKENS }, client);
      return expired.length;
    });
  }

  private async find(db: Db, selector: { id: string | null; name: string | null }): Promise<TokenRow> {
    const [row] = await withDatabaseErrors(() => findServiceToken.run(selector, db));
    if (row === undefined) throw new NotFoundError(`no service token with ${describe(selector)}`);
    return row;
  }

  private lifecycleEvent(
    type: EventType,
    severity: Severity,
    token: { id: string; name: string },
    actor: Actor,
    now: Date,
    details: Record<string, string>,
  ) {
    return toEventRecord(
      {
        eventId: "",
        occurredAt: now,
        receivedAt: undefined,
        identityProvider: "",
        type,
        severity,
        outcome: Outcome.SUCCESS,
        principal: {
          subject: token.id,
          kind: PrincipalKind.SERVICE_TOKEN,
          email: "",
          serviceTokenName: token.name,
          tokenId: token.id,
        },
        client: undefined,
        sourceService: "warden",
        failureReason: 0,
        riskScore: 0,
        riskSignals: [],
        details: { actor: actor.principal, ...details },
      },
      "event",
      now,
    );
  }

  private async record(
    client: PoolClient,
    type: EventType,
    severity: Severity,
    token: { id: string; name: string },
    actor: Actor,
    details: Record<string, string>,
  ): Promise<void> {
    await insertEventRecords(client, [this.lifecycleEvent(type, severity, token, actor, this.now(), details)]);
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return withDatabaseErrors(() => withTransaction(this.pool, work));
  }
}

/** A token as audit records show it: what the API returns, which never includes a secret. */
function publicView(token: ServiceToken): Record<string, unknown> {
  return ServiceToken.toJSON(token) as Record<string, unknown>;
}
