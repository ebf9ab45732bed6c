import { z } from "zod";
import { PrincipalKind } from "../gen/warden/v1/event.js";
import { milliseconds, optionalText, type SettingValues } from "../settings.js";
import { ASYMMETRIC_JWT_ALGORITHMS } from "./jwt-options.js";

/** OAuth2 token introspection (RFC 7662) of an external authorization server's opaque tokens. */
export const introspectionEnvironment = {
  WARDEN_INTROSPECTION_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** The name events carry as their identity_provider. */
  WARDEN_INTROSPECTION_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/)
    .default("introspection"),
  WARDEN_INTROSPECTION_CLIENT_ID: optionalText,
  /** client_secret_basic; or a private key for private_key_jwt. */
  WARDEN_INTROSPECTION_CLIENT_SECRET: optionalText,
  WARDEN_INTROSPECTION_PRIVATE_KEY_FILE: optionalText,
  WARDEN_INTROSPECTION_PRIVATE_KEY_ALG: z.enum(ASYMMETRIC_JWT_ALGORITHMS).default("RS256"),
  WARDEN_INTROSPECTION_TIMEOUT_MS: milliseconds(2000),
  WARDEN_INTROSPECTION_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
  WARDEN_INTROSPECTION_CACHE_MAX_TTL_SECONDS: z.coerce.number().int().min(1).default(300),
  WARDEN_INTROSPECTION_INACTIVE_TTL_SECONDS: z.coerce.number().int().min(0).default(10),
  WARDEN_INTROSPECTION_PRINCIPAL_KIND: z.enum(["user", "workload"]).default("user"),
  /** Dotted path of the roles claim in the introspection response. */
  WARDEN_INTROSPECTION_ROLES_CLAIM: z.string().default("roles"),
};

export type ClientAuthentication =
  | { method: "client_secret_basic"; clientId: string; clientSecret: string }
  | { method: "private_key_jwt"; clientId: string; privateKeyFile: string; algorithm: string };

export interface IntrospectionOptions {
  url: string;
  name: string;
  client: ClientAuthentication;
  timeoutMs: number;
  cacheMax: number;
  cacheMaxTtlMs: number;
  inactiveTtlMs: number;
  principalKind: PrincipalKind;
  rolesClaim: string;
}

/** Undefined without an endpoint: opaque tokens are then refused as malformed, as before. */
export function compileIntrospectionOptions(
  env: SettingValues<typeof introspectionEnvironment>,
  problems: string[],
): IntrospectionOptions | undefined {
  const url = env.WARDEN_INTROSPECTION_URL;
  if (url === undefined) return undefined;
  const clientId = env.WARDEN_INTROSPECTION_CLIENT_ID;
  const secret = env.WARDEN_INTROSPECTION_CLIENT_SECRET;
  const keyFile = env.WARDEN_INTROSPECTION_PRIVATE_KEY_FILE;
  if (clientId === undefined) problems.push("WARDEN_INTROSPECTION_CLIENT_ID: required with WARDEN_INTROSPECTION_URL");
  if ((secret === undefined) === (keyFile === undefined)) {
    problems.push(
      "WARDEN_INTROSPECTION_CLIENT_SECRET, WARDEN_INTROSPECTION_PRIVATE_KEY_FILE: set one (client_secret_basic or private_key_jwt)",
    );
  }
  return {
    url,
    name: env.WARDEN_INTROSPECTION_NAME,
    client:
      keyFile !== undefined
        ? {
            method: "private_key_jwt",
            clientId: clientId ?? "",
            privateKeyFile: keyFile,
            algorithm: env.WARDEN_INTROSPECTION_PRIVATE_KEY_ALG,
          }
        : { method: "client_secret_basic", clientId: clientId ?? "", clientSecret: secret ?? "" },
    timeoutMs: env.WARDEN_INTROSPECTION_TIMEOUT_MS,
    cacheMax: env.WARDEN_INTROSPECTION_CACHE_MAX,
    cacheMaxTtlMs: env.WARDEN_INTROSPECTION_CACHE_MAX_TTL_SECONDS * 1000,
    inactiveTtlMs: env.WARDEN_INTROSPECTION_INACTIVE_TTL_SECONDS * 1000,
    principalKind: env.WARDEN_INTROSPECTION_PRINCIPAL_KIND === "workload" ? PrincipalKind.WORKLOAD : PrincipalKind.USER,
    rolesClaim: env.WARDEN_INTROSPECTION_ROLES_CLAIM,
  };
}
