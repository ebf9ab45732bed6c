import { z } from "zod";
import { alertEnvironment, compileAlertOptions, type AlertOptions } from "./alerts/alert-options.js";
import { compileRetentionOptions, retentionEnvironment } from "./audit/retention-options.js";
import type { RetentionPolicy } from "./audit/retention.js";
import { authnEnvironment, compileAuthnOptions, type AuthnOptions } from "./authn/authn-options.js";
import {
  compileJwtOptions,
  compileJwtProvidersOptions,
  jwtEnvironment,
  type JwtOptions,
  type JwtProvidersOptions,
} from "./authn/jwt-options.js";
import {
  compileIntrospectionOptions,
  introspectionEnvironment,
  type IntrospectionOptions,
} from "./authn/introspection-options.js";
import {
  certificateEnvironment,
  compileCertificateOptions,
  type CertificateOptions,
} from "./authn/certificate-options.js";
import { authzEnvironment, compileAuthzOptions, type ExtAuthzOptions } from "./authz/authz-options.js";
import type { SnapshotSettings } from "./authz/snapshots.js";
import { compileDatabaseOptions, databaseEnvironment, type DatabaseOptions } from "./db/database-options.js";
import { compileExchangeOptions, exchangeEnvironment, type ExchangeOptions } from "./exchange/exchange-options.js";
import { compileEventOptions, eventEnvironment, type EventOptions } from "./events/event-options.js";
import { compileLockoutOptions, lockoutEnvironment } from "./lockout/lockout-options.js";
import type { LockoutSettings } from "./lockout/policy.js";
import { compileHttpOptions, httpEnvironment, type HttpOptions } from "./ops/http-options.js";
import { compileProcessOptions, processEnvironment } from "./process-options.js";
import { compileRiskOptions, riskEnvironment } from "./risk/risk-options.js";
import type { RiskSettings } from "./risk/settings.js";
import { compileEdgeOptions, edgeEnvironment, type EdgeOptions } from "./rpc/edge/edge-options.js";
import { compileTransportOptions, transportEnvironment, type TransportOptions } from "./rpc/transport-options.js";
import { ConfigError } from "./settings.js";
import { compileTokenOptions, tokenEnvironment, type TokenOptions } from "./tokens/token-options.js";

export { ASYMMETRIC_JWT_ALGORITHMS } from "./authn/jwt-options.js";
export { servingSecurity, type ServingSecurity, type TransportSecurity } from "./rpc/transport-options.js";
export { ConfigError } from "./settings.js";

/**
 * Every environment variable Warden reads: the union of the modules' own
 * variables, each declared with its default in the module's `*-options.ts`.
 * The README's configuration table is checked against it.
 */
export const environmentSchema = z.object({
  ...databaseEnvironment,
  ...transportEnvironment,
  ...httpEnvironment,
  ...authnEnvironment,
  ...jwtEnvironment,
  ...introspectionEnvironment,
  ...certificateEnvironment,
  ...exchangeEnvironment,
  ...tokenEnvironment,
  ...lockoutEnvironment,
  ...riskEnvironment,
  ...alertEnvironment,
  ...authzEnvironment,
  ...retentionEnvironment,
  ...edgeEnvironment,
  ...eventEnvironment,
  ...processEnvironment,
});

export type Environment = z.input<typeof environmentSchema>;

export interface Config {
  database: DatabaseOptions;
  grpc: TransportOptions & { edge: EdgeOptions };
  http: HttpOptions;
  authn: AuthnOptions;
  /** Absent when no key source is configured: JWTs are then refused as unsupported. */
  jwt: JwtOptions | undefined;
  /** Further JWT providers, from a file read at start-up. */
  jwtProviders: JwtProvidersOptions;
  /** Absent without an introspection endpoint. */
  introspection: IntrospectionOptions | undefined;
  /** Absent when client certificates are not credentials. */
  certificates: CertificateOptions | undefined;
  /** Absent when token exchange is turned off. */
  exchange: ExchangeOptions | undefined;
  events: EventOptions;
  serviceTokens: TokenOptions;
  /** Absent when lockout is turned off. */
  lockout: LockoutSettings | undefined;
  /** Absent when risk detection is turned off. */
  risk: RiskSettings | undefined;
  /** Absent when alerting is turned off. */
  alerts: AlertOptions | undefined;
  authz: SnapshotSettings;
  extAuthz: ExtAuthzOptions;
  /** Days events (by severity) and audit records are kept; applied by `warden retention run`. */
  retention: RetentionPolicy;
  shutdownGraceMs: number;
  logLevel: string;
}

/** Validates the environment once, at start-up, naming every bad variable at once. */
export function loadConfig(env: Environment = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const e = parsed.data;
  // Compile steps add the problems that span variables; all are reported together.
  const problems: string[] = [];

  const database = compileDatabaseOptions(e);
  const transport = compileTransportOptions(e, { embedded: database.url === undefined }, problems);
  const jwt = compileJwtOptions(e, problems);
  const introspection = compileIntrospectionOptions(e, problems);
  const certificates = compileCertificateOptions(e, problems);
  const exchange = compileExchangeOptions(e, problems);
  const alerts = compileAlertOptions(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const authz = compileAuthzOptions(e);
  return {
    database,
    grpc: { ...transport, edge: compileEdgeOptions(e) },
    http: compileHttpOptions(e),
    authn: compileAuthnOptions(e),
    jwt,
    jwtProviders: compileJwtProvidersOptions(e),
    introspection,
    certificates,
    exchange,
    events: compileEventOptions(e),
    serviceTokens: compileTokenOptions(e),
    lockout: compileLockoutOptions(e),
    risk: compileRiskOptions(e),
    alerts,
    authz: authz.snapshots,
    extAuthz: authz.extAuthz,
    retention: compileRetentionOptions(e),
    ...compileProcessOptions(e),
  };
}
