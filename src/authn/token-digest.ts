import { hash } from "node:crypto";

let lastToken: string | undefined;
let lastDigest = "";

/**
 * The SHA-256 of a bearer token, base64: the key of the verified-token caches.
 * One Authenticate asks several authenticators' caches about the same token
 * (Warden's own tokens, then each issuer's JWTs), so the last digest is kept
 * and a repeated ask costs a string comparison instead of a hash.
 */
export function tokenDigest(token: string): string {
  if (token !== lastToken) {
    lastDigest = hash("sha256", token, "base64");
    lastToken = token;
  }
  return lastDigest;
}
