import { hash, randomInt } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * Service token format, after GitHub's: `wdn_` + 30 random base62 characters
 * (178 bits) + a 6-character base62 CRC32 of everything before it. Secret
 * scanners can recognise a leaked token offline, and Warden rejects mistyped or
 * made-up strings without a database lookup.
 */
export const TOKEN_PREFIX = "wdn_";
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: number, width: number): string {
  let out = "";
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) out = BASE62[rest % 62]! + out;
  return out.padStart(width, "0");
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

export function generateServiceToken(): string {
  let body = TOKEN_PREFIX;
  for (let i = 0; i < RANDOM_LENGTH; i += 1) body += BASE62[randomInt(62)];
  return body + checksum(body);
}

/** True when `candidate` has the token shape and a matching checksum. Costs no I/O. */
export function isWellFormedServiceToken(candidate: string): boolean {
  return serviceTokenProblem(candidate) === undefined;
}

/** Why `candidate` is not a well-formed service token, or undefined when it is. */
export function serviceTokenProblem(candidate: string): string | undefined {
  if (!looksLikeServiceToken(candidate)) return `it does not start with ${TOKEN_PREFIX}`;
  if (!TOKEN_PATTERN.test(candidate)) {
    return `${TOKEN_PREFIX} is not followed by exactly ${RANDOM_LENGTH + CHECKSUM_LENGTH} characters from 0-9, A-Z, a-z`;
  }
  const body = candidate.slice(0, -CHECKSUM_LENGTH);
  if (checksum(body) !== candidate.slice(-CHECKSUM_LENGTH)) return "its checksum does not match: mistyped or made up";
  return undefined;
}

export function looksLikeServiceToken(candidate: string): boolean {
  return candidate.startsWith(TOKEN_PREFIX);
}

/** What is stored and looked up: the SHA-256 of the token, never the token. */
export function hashServiceToken(token: string): Buffer {
  // One-shot hash: a third of createHash's cost, on every Authenticate.
  return hash("sha256", token, "buffer");
}
