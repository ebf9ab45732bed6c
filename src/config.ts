import { z } from "zod";
import type { lockout_wait_strategy } from "../sql/queries/lockouts.queries.js";
import {
  DEFAULT_LOCKOUT_POLICIES,
  DEFAULT_STUFFING_POLICY,
  type LockoutPolicy,
  type LockoutSettings,
  type StuffingPolicy,
} from "./lockout/policy.js";
import { DEFAULT_RETENTION, type RetentionPolicy } from "./audit/retention.js";
import { DEFAULT_SNAPSHOT_SETTINGS, type SnapshotSettings } from "./authz/snapshots.js";
import { EVENT_SPOOL_ENVIRONMENT, spoolSettings, type SpoolSettings } from "./events/settings.js";
import { DEFAULT_RISK_SETTINGS, type RiskSettings, type RiskSignalName } from "./risk/settings.js";

/** JWT signature algorithms Warden can be allowed to accept; "none" and HMAC are never among them. */
export const ASYMMETRIC_JWT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

const milliseconds = (defaultValue: number) => z.coerce.number().int().min(1).default(defaultValue);
const port = (defaultValue: number) => z.coerce.number().int().min(0).max(65535).default(defaultValue);
const flag = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");
const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const seconds = z.coerce
  .number()
  .min(0)
  .max(365 * 24 * 3600);
const overrides = z
  .object({
    max_failures: z.coerce.number().int().min(1).max(1_000_000),
    failure_reset: seconds,
    wait_increment: seconds,
    wait_strategy: z.enum(["linear", "multiple"]).transform((s) => s.toUpperCase() as lockout_wait_strategy),
    max_wait: seconds,
    quick_login_check: seconds,
    quick_login_wait: seconds,
    max_temporary_lockouts: z.coerce.number().int().min(0).max(1000),
  })
  .partial()
  .strict();

/**
 * A variable of `name=value` pairs, e.g. `max_failures=5,wait_strategy=linear`,
 * each checked by `schema`; unknown names are errors.
 */
function settingList<T extends z.ZodType<unknown, Record<string, unknown>>>(schema: T) {
  return z
    .string()
    .default("")
    .transform((text): Record<string, unknown> =>
      Object.fromEntries(
        text
          .split(",")
          .map((pair) => pair.trim())
          .filter((pair) => pair.length > 0)
          .map((pair) => [pair.split("=")[0]!.trim(), pair.slice(pair.indexOf("=") + 1).trim()]),
      ),
    )
    .pipe(schema);
}

/** Overrides of one key kind's lockout policy (durations in seconds) over `base`. */
function lockoutPolicySetting(base: LockoutPolicy) {
  return settingList(overrides).transform((o): LockoutPolicy => ({
    maxFailures: o.max_failures ?? base.maxFailures,
    failureResetSeconds: o.failure_reset ?? base.failureResetSeconds,
    waitIncrementSeconds: o.wait_increment ?? base.waitIncrementSeconds,
    waitStrategy: o.wait_strategy ?? base.waitStrategy,
    maxWaitSeconds: o.max_wait ?? base.maxWaitSeconds,
    quickLoginCheckSeconds: o.quick_login_check ?? base.quickLoginCheckSeconds,
    quickLoginWaitSeconds: o.quick_login_wait ?? base.quickLoginWaitSeconds,
    maxTemporaryLockouts: o.max_temporary_lockouts ?? base.maxTemporaryLockouts,
  }));
}

/** Every environment variable Warden reads, with its default. The README's configuration table mirrors it. */
const environmentSchema = z.object({
  DATABASE_URL: optionalText,
  WARDEN_DATA_DIR: z.string().default(".warden"),
  WARDEN_EMBEDDED_PG_PORT: port(54329),

  WARDEN_GRPC_HOST: z.string().default("0.0.0.0"),
  WARDEN_GRPC_PORT: port(50051),
  WARDEN_HTTP_HOST: z.string().default("0.0.0.0"),
  WARDEN_HTTP_PORT: port(9464),
  WARDEN_TLS_CERT_FILE: optionalText,
  WARDEN_TLS_KEY_FILE: optionalText,
  WARDEN_TLS_CLIENT_CA_FILE: optionalText,
  WARDEN_PLAINTEXT: flag.optional(),

  WARDEN_JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  WARDEN_JWKS_FILE: optionalText,
  WARDEN_JWT_ISSUER: optionalText,
  WARDEN_JWT_AUDIENCE: optionalText.transform((value) =>
    value === undefined ? [] : value.split(",").map((a) => a.trim()),
  ),
  WARDEN_JWT_ALGORITHMS: commaList.pipe(z.array(z.enum(ASYMMETRIC_JWT_ALGORITHMS)).min(1)).default(["RS256", "ES256"]),
  WARDEN_JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  WARDEN_JWT_ROLES_CLAIM: z.string().default("roles"),
  WARDEN_JWKS_CACHE_MAX_AGE_SECONDS: z.coerce.number().int().min(1).default(600),
  WARDEN_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(0).default(30),
  WARDEN_JWKS_TIMEOUT_MS: milliseconds(2000),

  WARDEN_DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  WARDEN_DB_CONNECT_TIMEOUT_MS: milliseconds(2000),
  WARDEN_DB_STATEMENT_TIMEOUT_MS: milliseconds(5000),
  WARDEN_MIGRATE_ON_START: flag.default(true),

  WARDEN_TOKEN_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
  WARDEN_TOKEN_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(300),
  WARDEN_NOTIFY_HEARTBEAT_MS: milliseconds(2000),

  WARDEN_LOCKOUT_ENABLED: flag.default(true),
  WARDEN_LOCKOUT_SUBJECT: lockoutPolicySetting(DEFAULT_LOCKOUT_POLICIES.SUBJECT),
  WARDEN_LOCKOUT_SUBJECT_IP: lockoutPolicySetting(DEFAULT_LOCKOUT_POLICIES.SUBJECT_IP),
  WARDEN_LOCKOUT_IP: lockoutPolicySetting(DEFAULT_LOCKOUT_POLICIES.IP),
  WARDEN_LOCKOUT_FAMILIAR_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  WARDEN_LOCKOUT_STUFFING: settingList(
    z
      .object({
        distinct_subjects: z.coerce.number().int().min(0).max(100_000),
        window: seconds,
        wait: seconds,
      })
      .partial()
      .strict(),
  ).transform((o): StuffingPolicy => ({
    distinctSubjects: o.distinct_subjects ?? DEFAULT_STUFFING_POLICY.distinctSubjects,
    windowSeconds: o.window ?? DEFAULT_STUFFING_POLICY.windowSeconds,
    waitSeconds: o.wait ?? DEFAULT_STUFFING_POLICY.waitSeconds,
  })),

  WARDEN_RISK_ENABLED: flag.default(true),
  WARDEN_RISK_POINTS: settingList(
    z
      .object(
        Object.fromEntries(
          Object.keys(DEFAULT_RISK_SETTINGS.points).map((signal) => [
            signal.toLowerCase(),
            z.coerce.number().int().min(0).max(100),
          ]),
        ),
      )
      .partial()
      .strict(),
  ).transform(
    (o): RiskSettings["points"] =>
      Object.fromEntries(
        Object.entries(DEFAULT_RISK_SETTINGS.points).map(([signal, points]) => [
          signal,
          o[signal.toLowerCase()] ?? points,
        ]),
      ) as Record<RiskSignalName, number>,
  ),
  WARDEN_RISK_RULES: settingList(
    z
      .object({
        cold_start_successes: z.coerce.number().int().min(1).max(10_000),
        dormant_days: z.coerce.number().min(1).max(3650),
        velocity_per_hour: z.coerce.number().int().min(1),
        failures_before_success: z.coerce.number().int().min(1),
        failure_window: seconds,
        travel_kmh: z.coerce.number().min(1),
        travel_min_km: z.coerce.number().min(0),
        many_networks: z.coerce.number().int().min(2).max(64),
        token_networks: z.coerce.number().int().min(2).max(64),
        network_window: seconds,
        rare_hour_share: z.coerce.number().min(0).max(1),
      })
      .partial()
      .strict(),
  ),
  WARDEN_RISK_SUSPICIOUS_SCORE: z.coerce.number().int().min(1).max(100).default(DEFAULT_RISK_SETTINGS.suspiciousScore),
  WARDEN_RISK_DENY_SCORE: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number().int().min(1).max(100).optional()),
  WARDEN_RISK_CACHE_MAX: z.coerce.number().int().min(1).default(DEFAULT_RISK_SETTINGS.cacheMax),
  WARDEN_RISK_CACHE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_RISK_SETTINGS.cacheTtlMs / 1000),
  WARDEN_GEOIP_FILE: optionalText,

  WARDEN_ALERTS_ENABLED: flag.default(true),
  WARDEN_ALERT_RULES_FILE: optionalText,
  WARDEN_ALERT_EVALUATE_MS: milliseconds(1000),
  WARDEN_ALERT_WEBHOOK_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  WARDEN_ALERT_WEBHOOK_SECRET: optionalText,
  WARDEN_ALERT_DELIVERY_POLL_MS: milliseconds(1000),
  WARDEN_ALERT_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),

  WARDEN_AUTHZ_MAX_AGE_MS: milliseconds(DEFAULT_SNAPSHOT_SETTINGS.maxAgeMs),
  WARDEN_AUTHZ_POLL_MS: milliseconds(DEFAULT_SNAPSHOT_SETTINGS.pollMs),
  WARDEN_AUTHZ_MIN_VERSION_WAIT_MS: milliseconds(DEFAULT_SNAPSHOT_SETTINGS.minVersionWaitMs),
  WARDEN_EXTAUTHZ_ROUTES_FILE: optionalText,
  WARDEN_EXTAUTHZ_STRIP_AUTHORIZATION: flag.default(false),

  WARDEN_RETENTION: settingList(
    z
      .object({
        info: z.coerce.number().int().min(1).max(36_500),
        warning: z.coerce.number().int().min(1).max(36_500),
        critical: z.coerce.number().int().min(1).max(36_500),
        audit: z.coerce.number().int().min(1).max(36_500),
      })
      .partial()
      .strict(),
  ).transform((o): RetentionPolicy => ({
    events: {
      INFO: o.info ?? DEFAULT_RETENTION.events.INFO,
      WARNING: o.warning ?? DEFAULT_RETENTION.events.WARNING,
      CRITICAL: o.critical ?? DEFAULT_RETENTION.events.CRITICAL,
    },
    auditDays: o.audit ?? DEFAULT_RETENTION.auditDays,
  })),

  WARDEN_RPC_TIMEOUT_MS: milliseconds(10_000),
  WARDEN_EVENT_QUEUE_MAX: z.coerce.number().int().min(1).default(50_000),
  WARDEN_EVENT_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(2000),
  WARDEN_EVENT_LINGER_MS: z.coerce.number().int().min(0).max(60_000).default(20),
  ...EVENT_SPOOL_ENVIRONMENT,
  WARDEN_SHUTDOWN_GRACE_MS: milliseconds(10_000),
  WARDEN_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Environment = z.input<typeof environmentSchema>;

export interface DatabaseConfig {
  /** Absent: Warden runs an embedded PostgreSQL under `embedded.dataDir`. */
  url: string | undefined;
  embedded: { dataDir: string; port: number };
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  migrateOnStart: boolean;
}

export interface JwtConfig {
  jwksUrl: string | undefined;
  jwksFile: string | undefined;
  issuer: string;
  audience: string[];
  algorithms: string[];
  clockToleranceSeconds: number;
  rolesClaim: string;
  jwksCacheMaxAgeMs: number;
  jwksCooldownMs: number;
  jwksTimeoutMs: number;
}

export type TransportSecurity =
  | { kind: "plaintext" }
  | { kind: "tls"; certFile: string; keyFile: string; clientCaFile: string | undefined }
  /** Neither TLS nor explicit plaintext: fine for admin commands, refused by `serve`. */
  | { kind: "unset" };

export interface Config {
  database: DatabaseConfig;
  grpc: { host: string; port: number; security: TransportSecurity; defaultTimeoutMs: number };
  http: { host: string; port: number };
  /** Absent when no key source is configured: JWTs are then refused as unsupported. */
  jwt: JwtConfig | undefined;
  events: { queueMax: number; batchMax: number; lingerMs: number; spool: SpoolSettings | undefined };
  serviceTokens: { cacheMax: number; cacheTtlMs: number; notifyHeartbeatMs: number };
  /** Absent when lockout is turned off. */
  lockout: LockoutSettings | undefined;
  /** Absent when risk detection is turned off. */
  risk: RiskSettings | undefined;
  /** Absent when alerting is turned off. */
  alerts: AlertConfig | undefined;
  authz: SnapshotSettings;
  extAuthz: ExtAuthzConfig;
  /** Days events (by severity) and audit records are kept; applied by `warden retention run`. */
  retention: RetentionPolicy;
  shutdownGraceMs: number;
  logLevel: string;
}

export interface AlertConfig {
  /** A JSON rules file replacing the default rules. */
  rulesFile: string | undefined;
  evaluateMs: number;
  webhook: { url: string; secret: string; pollMs: number; maxAttempts: number } | undefined;
}

export interface ExtAuthzConfig {
  /** The JSON file mapping method and path prefix to a permission; absent: every request needs a permission from its context_extensions. */
  routesFile: string | undefined;
  /** Remove the `authorization` header from allowed requests before they go upstream. */
  stripAuthorization: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Validates the environment once, at start-up, naming every bad variable at once. */
export function loadConfig(env: Environment = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];

  const tlsFiles = [e.WARDEN_TLS_CERT_FILE, e.WARDEN_TLS_KEY_FILE];
  let security: TransportSecurity;
  if (e.WARDEN_TLS_CERT_FILE !== undefined && e.WARDEN_TLS_KEY_FILE !== undefined) {
    security = {
      kind: "tls",
      certFile: e.WARDEN_TLS_CERT_FILE,
      keyFile: e.WARDEN_TLS_KEY_FILE,
      clientCaFile: e.WARDEN_TLS_CLIENT_CA_FILE,
    };
    if (e.WARDEN_PLAINTEXT === true) problems.push("WARDEN_PLAINTEXT: cannot be true when TLS files are set");
  } else {
    if (tlsFiles.some((file) => file !== undefined)) {
      problems.push("WARDEN_TLS_CERT_FILE, WARDEN_TLS_KEY_FILE: set both or neither");
    }
    if (e.WARDEN_TLS_CLIENT_CA_FILE !== undefined) {
      problems.push(
        "WARDEN_TLS_CLIENT_CA_FILE: client-certificate verification needs WARDEN_TLS_CERT_FILE and WARDEN_TLS_KEY_FILE",
      );
    }
    // Plaintext is the embedded default (a local development database); with a real
    // database it must be asked for. Only serving needs this settled (see servingSecurity).
    const plaintext = e.WARDEN_PLAINTEXT ?? e.DATABASE_URL === undefined;
    security = plaintext ? { kind: "plaintext" } : { kind: "unset" };
  }

  let jwt: JwtConfig | undefined;
  if (e.WARDEN_JWKS_URL !== undefined && e.WARDEN_JWKS_FILE !== undefined) {
    problems.push("WARDEN_JWKS_URL, WARDEN_JWKS_FILE: set one key source, not both");
  } else if (e.WARDEN_JWKS_URL !== undefined || e.WARDEN_JWKS_FILE !== undefined) {
    if (e.WARDEN_JWT_ISSUER === undefined) problems.push("WARDEN_JWT_ISSUER: required when a JWKS is configured");
    if (e.WARDEN_JWT_AUDIENCE.length === 0) problems.push("WARDEN_JWT_AUDIENCE: required when a JWKS is configured");
    jwt = {
      jwksUrl: e.WARDEN_JWKS_URL,
      jwksFile: e.WARDEN_JWKS_FILE,
      issuer: e.WARDEN_JWT_ISSUER ?? "",
      audience: e.WARDEN_JWT_AUDIENCE,
      algorithms: e.WARDEN_JWT_ALGORITHMS,
      clockToleranceSeconds: e.WARDEN_JWT_CLOCK_TOLERANCE_SECONDS,
      rolesClaim: e.WARDEN_JWT_ROLES_CLAIM,
      jwksCacheMaxAgeMs: e.WARDEN_JWKS_CACHE_MAX_AGE_SECONDS * 1000,
      jwksCooldownMs: e.WARDEN_JWKS_COOLDOWN_SECONDS * 1000,
      jwksTimeoutMs: e.WARDEN_JWKS_TIMEOUT_MS,
    };
  }

  if (e.WARDEN_ALERT_WEBHOOK_URL !== undefined && (e.WARDEN_ALERT_WEBHOOK_SECRET?.length ?? 0) < 16) {
    problems.push("WARDEN_ALERT_WEBHOOK_SECRET: required with WARDEN_ALERT_WEBHOOK_URL, at least 16 characters");
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    database: {
      url: e.DATABASE_URL,
      embedded: { dataDir: e.WARDEN_DATA_DIR, port: e.WARDEN_EMBEDDED_PG_PORT },
      poolMax: e.WARDEN_DB_POOL_MAX,
      connectTimeoutMs: e.WARDEN_DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.WARDEN_DB_STATEMENT_TIMEOUT_MS,
      migrateOnStart: e.WARDEN_MIGRATE_ON_START,
    },
    grpc: {
      host: e.WARDEN_GRPC_HOST,
      port: e.WARDEN_GRPC_PORT,
      security,
      defaultTimeoutMs: e.WARDEN_RPC_TIMEOUT_MS,
    },
    http: { host: e.WARDEN_HTTP_HOST, port: e.WARDEN_HTTP_PORT },
    jwt,
    events: {
      queueMax: e.WARDEN_EVENT_QUEUE_MAX,
      batchMax: e.WARDEN_EVENT_BATCH_MAX,
      lingerMs: e.WARDEN_EVENT_LINGER_MS,
      spool: spoolSettings(e),
    },
    serviceTokens: {
      cacheMax: e.WARDEN_TOKEN_CACHE_MAX,
      cacheTtlMs: e.WARDEN_TOKEN_CACHE_TTL_SECONDS * 1000,
      notifyHeartbeatMs: e.WARDEN_NOTIFY_HEARTBEAT_MS,
    },
    lockout: e.WARDEN_LOCKOUT_ENABLED
      ? {
          keys: { SUBJECT: e.WARDEN_LOCKOUT_SUBJECT, SUBJECT_IP: e.WARDEN_LOCKOUT_SUBJECT_IP, IP: e.WARDEN_LOCKOUT_IP },
          stuffing: e.WARDEN_LOCKOUT_STUFFING,
          familiarDays: e.WARDEN_LOCKOUT_FAMILIAR_DAYS,
        }
      : undefined,
    risk: e.WARDEN_RISK_ENABLED ? riskSettings(e) : undefined,
    alerts: e.WARDEN_ALERTS_ENABLED
      ? {
          rulesFile: e.WARDEN_ALERT_RULES_FILE,
          evaluateMs: e.WARDEN_ALERT_EVALUATE_MS,
          webhook:
            e.WARDEN_ALERT_WEBHOOK_URL === undefined
              ? undefined
              : {
                  url: e.WARDEN_ALERT_WEBHOOK_URL,
                  secret: e.WARDEN_ALERT_WEBHOOK_SECRET!,
                  pollMs: e.WARDEN_ALERT_DELIVERY_POLL_MS,
                  maxAttempts: e.WARDEN_ALERT_DELIVERY_MAX_ATTEMPTS,
                },
        }
      : undefined,
    authz: {
      maxAgeMs: e.WARDEN_AUTHZ_MAX_AGE_MS,
      pollMs: e.WARDEN_AUTHZ_POLL_MS,
      minVersionWaitMs: e.WARDEN_AUTHZ_MIN_VERSION_WAIT_MS,
    },
    extAuthz: {
      routesFile: e.WARDEN_EXTAUTHZ_ROUTES_FILE,
      stripAuthorization: e.WARDEN_EXTAUTHZ_STRIP_AUTHORIZATION,
    },
    retention: e.WARDEN_RETENTION,
    shutdownGraceMs: e.WARDEN_SHUTDOWN_GRACE_MS,
    logLevel: e.WARDEN_LOG_LEVEL,
  };
}

function riskSettings(e: z.output<typeof environmentSchema>): RiskSettings {
  const d = DEFAULT_RISK_SETTINGS;
  const r = e.WARDEN_RISK_RULES;
  return {
    ...d,
    points: e.WARDEN_RISK_POINTS,
    coldStartSuccesses: r.cold_start_successes ?? d.coldStartSuccesses,
    dormantDays: r.dormant_days ?? d.dormantDays,
    velocityPerHour: r.velocity_per_hour ?? d.velocityPerHour,
    failuresBeforeSuccess: r.failures_before_success ?? d.failuresBeforeSuccess,
    failureWindowSeconds: r.failure_window ?? d.failureWindowSeconds,
    travelKmh: r.travel_kmh ?? d.travelKmh,
    travelMinKm: r.travel_min_km ?? d.travelMinKm,
    manyNetworks: r.many_networks ?? d.manyNetworks,
    tokenNetworks: r.token_networks ?? d.tokenNetworks,
    networkWindowSeconds: r.network_window ?? d.networkWindowSeconds,
    rareHourShare: r.rare_hour_share ?? d.rareHourShare,
    suspiciousScore: e.WARDEN_RISK_SUSPICIOUS_SCORE,
    denyScore: e.WARDEN_RISK_DENY_SCORE,
    cacheMax: e.WARDEN_RISK_CACHE_MAX,
    cacheTtlMs: e.WARDEN_RISK_CACHE_TTL_SECONDS * 1000,
    geoipFile: e.WARDEN_GEOIP_FILE,
  };
}

export type ServingSecurity = Exclude<TransportSecurity, { kind: "unset" }>;

/** What only serving needs settled: TLS, or plaintext asked for explicitly. */
export function servingSecurity(config: Config): ServingSecurity {
  const security = config.grpc.security;
  if (security.kind === "unset") {
    throw new ConfigError([
      "WARDEN_TLS_CERT_FILE, WARDEN_TLS_KEY_FILE: required unless WARDEN_PLAINTEXT=true (plaintext gRPC must be asked for explicitly)",
    ]);
  }
  return security;
}
