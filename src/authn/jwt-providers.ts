import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { PrincipalKind } from "../gen/warden/v1/event.js";
import { ConfigError } from "../settings.js";
import { ASYMMETRIC_JWT_ALGORITHMS, type JwtOptions, type JwtProvidersOptions } from "./jwt-options.js";
import type { JwtPolicy } from "./jwt.js";

/** Where a provider's signing keys come from. */
export type KeySource = { kind: "discovery" } | { kind: "url"; url: string } | { kind: "file"; file: string };

/** One issuer Warden accepts JWTs from, with everything its tokens are checked against. */
export interface JwtProvider {
  /** Named on every event the provider answers (`identity_provider`). */
  name: string;
  keys: KeySource;
  policy: JwtPolicy;
  principalKind: PrincipalKind;
  jwksCacheMaxAgeMs: number;
  jwksCooldownMs: number;
  jwksTimeoutMs: number;
}

const PRINCIPAL_KINDS = { user: PrincipalKind.USER, workload: PrincipalKind.WORKLOAD } as const;

const claimPath = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, "a dotted claim path, e.g. realm_access.roles");

const providerSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "1 to 64 of a-z, 0-9, '_', '.', '-'"),
    issuer: z.string().min(1),
    discovery: z.boolean().optional(),
    jwks_url: z.url({ protocol: /^https?$/ }).optional(),
    jwks_file: z.string().min(1).optional(),
    audiences: z.array(z.string().min(1)).min(1),
    algorithms: z.array(z.enum(ASYMMETRIC_JWT_ALGORITHMS)).min(1).default(["RS256", "ES256"]),
    claims: z
      .object({
        subject: claimPath.default("sub"),
        email: claimPath.default("email"),
        scopes: z.array(claimPath).default(["scope", "scp"]),
        roles: claimPath.default("roles"),
      })
      .strict()
      .default({ subject: "sub", email: "email", scopes: ["scope", "scp"], roles: "roles" }),
    principal_kind: z.enum(["user", "workload"]).default("user"),
    clock_tolerance_seconds: z.number().int().min(0).max(300).optional(),
  })
  .strict()
  .refine(
    (provider) =>
      [provider.discovery === true, provider.jwks_url !== undefined, provider.jwks_file !== undefined].filter(Boolean)
        .length === 1,
    { message: "set exactly one key source: discovery: true, jwks_url or jwks_file" },
  );

const fileSchema = z.object({ providers: z.array(z.unknown()).min(1) }).strict();

type ProviderEntry = z.output<typeof providerSchema>;

type ProviderDefaults = JwtProvidersOptions["defaults"];

function keySource(entry: ProviderEntry): KeySource {
  if (entry.jwks_url !== undefined) return { kind: "url", url: entry.jwks_url };
  if (entry.jwks_file !== undefined) return { kind: "file", file: entry.jwks_file };
  return { kind: "discovery" };
}

function toProvider(entry: ProviderEntry, defaults: ProviderDefaults): JwtProvider {
  return {
    name: entry.name,
    keys: keySource(entry),
    policy: {
      issuer: entry.issuer,
      audience: entry.audiences,
      algorithms: entry.algorithms,
      clockToleranceSeconds: entry.clock_tolerance_seconds ?? defaults.clockToleranceSeconds,
      subjectClaim: entry.claims.subject,
      emailClaim: entry.claims.email,
      scopesClaims: entry.claims.scopes,
      rolesClaim: entry.claims.roles,
    },
    principalKind: PRINCIPAL_KINDS[entry.principal_kind],
    jwksCacheMaxAgeMs: defaults.jwksCacheMaxAgeMs,
    jwksCooldownMs: defaults.jwksCooldownMs,
    jwksTimeoutMs: defaults.jwksTimeoutMs,
  };
}

/** The single-issuer variables (WARDEN_JWKS_URL or _FILE, WARDEN_JWT_*) as a provider named "default". */
export function shorthandProvider(jwt: JwtOptions): JwtProvider {
  return {
    name: "default",
    keys: jwt.jwksFile !== undefined ? { kind: "file", file: jwt.jwksFile } : { kind: "url", url: jwt.jwksUrl! },
    policy: jwt,
    principalKind: PrincipalKind.USER,
    jwksCacheMaxAgeMs: jwt.jwksCacheMaxAgeMs,
    jwksCooldownMs: jwt.jwksCooldownMs,
    jwksTimeoutMs: jwt.jwksTimeoutMs,
  };
}

/**
 * Parses a providers file's text (YAML, of which JSON is a subset) into
 * providers, or throws a ConfigError with one line per bad entry, each naming
 * the entry and its field.
 */
export function parseProviders(text: string, source: string, defaults: ProviderDefaults): JwtProvider[] {
  const prefix = `WARDEN_JWT_PROVIDERS_FILE: ${source}`;
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`${prefix}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const file = fileSchema.safeParse(document);
  if (!file.success) throw new ConfigError([`${prefix}: expected {providers: [ ... ]} with at least one provider`]);
  const problems: string[] = [];
  const providers: JwtProvider[] = [];
  file.data.providers.forEach((raw, index) => {
    const parsed = providerSchema.safeParse(raw);
    const label = `providers[${index}]${typeof (raw as { name?: unknown })?.name === "string" ? ` (${(raw as { name: string }).name})` : ""}`;
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length === 0 ? "" : `.${issue.path.join(".")}`;
        problems.push(`${prefix}: ${label}${field}: ${issue.message}`);
      }
      return;
    }
    providers.push(toProvider(parsed.data, defaults));
  });
  problems.push(...duplicates(providers, prefix));
  if (problems.length > 0) throw new ConfigError(problems);
  return providers;
}

/** Names and issuers must be unique: `iss` selects exactly one provider. */
export function duplicates(providers: JwtProvider[], prefix: string): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const issuers = new Set<string>();
  for (const provider of providers) {
    if (names.has(provider.name)) problems.push(`${prefix}: provider name ${provider.name} is used twice`);
    if (issuers.has(provider.policy.issuer)) {
      problems.push(`${prefix}: issuer ${provider.policy.issuer} is listed twice (iss selects one provider)`);
    }
    names.add(provider.name);
    issuers.add(provider.policy.issuer);
  }
  return problems;
}

/** Every configured provider: the file's, and the single-issuer variables' as "default". */
export async function loadProviders(
  { file, defaults }: JwtProvidersOptions,
  shorthand: JwtOptions | undefined,
): Promise<JwtProvider[]> {
  const providers = shorthand === undefined ? [] : [shorthandProvider(shorthand)];
  if (file === undefined) return providers;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError([
      `WARDEN_JWT_PROVIDERS_FILE: ${file}: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  const all = [...providers, ...parseProviders(text, file, defaults)];
  const problems = duplicates(all, `WARDEN_JWT_PROVIDERS_FILE: ${file}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return all;
}
