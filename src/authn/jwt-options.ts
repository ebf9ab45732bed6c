import { z } from "zod";
import { commaList, milliseconds, optionalText, type SettingValues } from "../settings.js";

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

/** JWT verification's settings: one key source, the claims expected, and how keys are fetched. */
export const jwtEnvironment = {
  WARDEN_JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** A local JWKS instead of a URL; with neither, JWTs are refused as unsupported. */
  WARDEN_JWKS_FILE: optionalText,
  /** Required with a key source. */
  WARDEN_JWT_ISSUER: optionalText,
  /** Accepted `aud` values, comma-separated; required with a key source. */
  WARDEN_JWT_AUDIENCE: optionalText.transform((value) =>
    value === undefined ? [] : value.split(",").map((a) => a.trim()),
  ),
  WARDEN_JWT_ALGORITHMS: commaList.pipe(z.array(z.enum(ASYMMETRIC_JWT_ALGORITHMS)).min(1)).default(["RS256", "ES256"]),
  /** Leeway for `exp` and `nbf`. */
  WARDEN_JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** Dotted path of the roles claim. */
  WARDEN_JWT_ROLES_CLAIM: z.string().default("roles"),
  /** Age after which keys are refreshed. */
  WARDEN_JWKS_CACHE_MAX_AGE_SECONDS: z.coerce.number().int().min(1).default(600),
  /** Minimum time between refetches caused by unknown `kid`s. */
  WARDEN_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(0).default(30),
  /** Bound on one JWKS fetch. */
  WARDEN_JWKS_TIMEOUT_MS: milliseconds(2000),
  /** A JSON or YAML file listing several JWT providers (see jwt-providers.ts). */
  WARDEN_JWT_PROVIDERS_FILE: optionalText,
};

export interface JwtOptions {
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

/** Undefined when no key source is configured: JWTs are then refused as unsupported. */
export function compileJwtOptions(
  env: SettingValues<typeof jwtEnvironment>,
  problems: string[],
): JwtOptions | undefined {
  if (env.WARDEN_JWKS_URL !== undefined && env.WARDEN_JWKS_FILE !== undefined) {
    problems.push("WARDEN_JWKS_URL, WARDEN_JWKS_FILE: set one key source, not both");
    return undefined;
  }
  if (env.WARDEN_JWKS_URL === undefined && env.WARDEN_JWKS_FILE === undefined) return undefined;
  if (env.WARDEN_JWT_ISSUER === undefined) problems.push("WARDEN_JWT_ISSUER: required when a JWKS is configured");
  if (env.WARDEN_JWT_AUDIENCE.length === 0) problems.push("WARDEN_JWT_AUDIENCE: required when a JWKS is configured");
  return {
    jwksUrl: env.WARDEN_JWKS_URL,
    jwksFile: env.WARDEN_JWKS_FILE,
    issuer: env.WARDEN_JWT_ISSUER ?? "",
    audience: env.WARDEN_JWT_AUDIENCE,
    algorithms: env.WARDEN_JWT_ALGORITHMS,
    clockToleranceSeconds: env.WARDEN_JWT_CLOCK_TOLERANCE_SECONDS,
    rolesClaim: env.WARDEN_JWT_ROLES_CLAIM,
    jwksCacheMaxAgeMs: env.WARDEN_JWKS_CACHE_MAX_AGE_SECONDS * 1000,
    jwksCooldownMs: env.WARDEN_JWKS_COOLDOWN_SECONDS * 1000,
    jwksTimeoutMs: env.WARDEN_JWKS_TIMEOUT_MS,
  };
}

/** The providers file and what its providers take from the variables above unless they set it. */
export interface JwtProvidersOptions {
  file: string | undefined;
  defaults: Pick<JwtOptions, "clockToleranceSeconds" | "jwksCacheMaxAgeMs" | "jwksCooldownMs" | "jwksTimeoutMs">;
}

export function compileJwtProvidersOptions(env: SettingValues<typeof jwtEnvironment>): JwtProvidersOptions {
  return {
    file: env.WARDEN_JWT_PROVIDERS_FILE,
    defaults: {
      clockToleranceSeconds: env.WARDEN_JWT_CLOCK_TOLERANCE_SECONDS,
      jwksCacheMaxAgeMs: env.WARDEN_JWKS_CACHE_MAX_AGE_SECONDS * 1000,
      jwksCooldownMs: env.WARDEN_JWKS_COOLDOWN_SECONDS * 1000,
      jwksTimeoutMs: env.WARDEN_JWKS_TIMEOUT_MS,
    },
  };
}
