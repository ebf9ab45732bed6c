import { z } from "zod";
import { commaList, flag, optionalText, type SettingValues } from "../settings.js";

/** Algorithms Warden signs its own tokens with. */
export const SIGNING_ALGORITHMS = ["ES256", "EdDSA"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** Token exchange's settings: who Warden is as an issuer, how it signs, and for how long. */
export const exchangeEnvironment = {
  /** ExchangeToken, the signing keys and Warden's own tokens on Authenticate. */
  WARDEN_EXCHANGE_ENABLED: flag.default(false),
  /** The `iss` of Warden's tokens; its discovery document is served at `<issuer>/.well-known/openid-configuration`. */
  WARDEN_EXCHANGE_ISSUER: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Base64 of 32 random bytes: the AES-256-GCM key the signing keys' private halves are stored under. */
  WARDEN_EXCHANGE_KEY: optionalText,
  WARDEN_EXCHANGE_ALGORITHM: z.enum(SIGNING_ALGORITHMS).default("ES256"),
  /** Audiences a caller may ask for besides the issuer, comma-separated. */
  WARDEN_EXCHANGE_AUDIENCES: commaList.default([]),
  /** Longest, and default, lifetime of an exchanged token. */
  WARDEN_EXCHANGE_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** How long each signing key signs before the next takes over. */
  WARDEN_EXCHANGE_KEY_ROTATION_SECONDS: z.coerce.number().int().min(2).default(86_400),
};

export interface ExchangeOptions {
  issuer: string;
  /** The AES-256-GCM key (32 bytes) for the private keys at rest. */
  encryptionKey: Buffer;
  algorithm: SigningAlgorithm;
  /** Audiences a token may carry; the issuer first. */
  audiences: string[];
  maxLifetimeMs: number;
  rotationMs: number;
}

/** Undefined when exchange is off. */
export function compileExchangeOptions(
  env: SettingValues<typeof exchangeEnvironment>,
  problems: string[],
): ExchangeOptions | undefined {
  if (!env.WARDEN_EXCHANGE_ENABLED) return undefined;
  if (env.WARDEN_EXCHANGE_ISSUER === undefined) {
    problems.push("WARDEN_EXCHANGE_ISSUER: required when WARDEN_EXCHANGE_ENABLED is true");
  }
  // Never echo the value: it is a secret.
  const key = env.WARDEN_EXCHANGE_KEY === undefined ? undefined : Buffer.from(env.WARDEN_EXCHANGE_KEY, "base64");
  if (key === undefined) problems.push("WARDEN_EXCHANGE_KEY: required when WARDEN_EXCHANGE_ENABLED is true");
  else if (key.length !== 32 || key.toString("base64") !== env.WARDEN_EXCHANGE_KEY) {
    problems.push("WARDEN_EXCHANGE_KEY: must be the base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)");
  }
  const issuer = env.WARDEN_EXCHANGE_ISSUER ?? "";
  return {
    issuer,
    encryptionKey: key ?? Buffer.alloc(0),
    algorithm: env.WARDEN_EXCHANGE_ALGORITHM,
    audiences: [issuer, ...env.WARDEN_EXCHANGE_AUDIENCES.filter((audience) => audience !== issuer)],
    maxLifetimeMs: env.WARDEN_EXCHANGE_TOKEN_LIFETIME_SECONDS * 1000,
    rotationMs: env.WARDEN_EXCHANGE_KEY_ROTATION_SECONDS * 1000,
  };
}
