import type { Metadata } from "@grpc/grpc-js";

/** The credential in `authorization: Bearer <credential>` metadata, or "" when there is none. */
export function bearerCredential(metadata: Metadata): string {
  const header = metadata.get("authorization")[0];
  if (typeof header !== "string") return "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1] ?? "";
}
