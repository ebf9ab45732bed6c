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
  /**
   * Earlier WARDEN_EXCHANGE_KEYs, comma-separated, while it is rotated: they
   * still open the signing keys, which are sealed again under the current one.
   */
  WARDEN_EXCHANGE_OLD_KEYS: commaList.default([]),
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
  /** Keys the private keys may still be sealed under, from before a rotation of encryptionKey. */
  oldEncryptionKeys: Buffer[];
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
  // Never echo a value: each is a secret.
  const key = env.WARDEN_EXCHANGE_KEY === undefined ? undefined : Buffer.from(env.WARDEN_EXCHANGE_KEY, "base64");
  if (key === undefined) problems.push("WARDEN_EXCHANGE_KEY: required when WARDEN_EXCHANGE_ENABLED is true");
  else if (!isAesKey(key, env.WARDEN_EXCHANGE_KEY!)) {
    problems.push("WARDEN_EXCHANGE_KEY: must be the base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)");
  }
  const oldKeys = env.WARDEN_EXCHANGE_OLD_KEYS.map((text) => Buffer.from(text, "base64"));
  oldKeys.forEach((old, index) => {
    if (!isAesKey(old, env.WARDEN_EXCHANGE_OLD_KEYS[index]!)) {
      problems.push(`WARDEN_EXCHANGE_OLD_KEYS: entry ${index + 1} must be the base64 of exactly 32 bytes`);
    }
  });
  const issuer = env.WARDEN_EXCHANGE_ISSUER ?? "";
  return {
    issuer,
    encryptionKey: key ?? Buffer.alloc(0),
    oldEncryptionKeys: oldKeys,
    algorithm: env.WARDEN_EXCHANGE_ALGORITHM,
    audiences: [issuer, ...env.WARDEN_EXCHANGE_AUDIENCES.filter((audience) => audience !== issuer)],
    maxLifetimeMs: env.WARDEN_EXCHANGE_TOKEN_LIFETIME_SECONDS * 1000,
    rotationMs: env.WARDEN_EXCHANGE_KEY_ROTATION_SECONDS * 1000,
  };
}

function isAesKey(key: Buffer, text: string): boolean {
  return key.length === 32 && key.toString("base64") === text;
}
