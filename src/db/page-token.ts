import { InvalidArgumentError } from "../errors.js";

/** An opaque page token carrying a keyset position (the last row's sort key). */
export function encodePageToken(position: string[]): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/** The position inside a page token; INVALID_ARGUMENT naming page_token when it is not one of ours. */
export function decodePageToken(token: string, parts: number, rpc: string): string[] {
  try {
    const position = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(position) && position.length === parts && position.every((p) => typeof p === "string")) {
      return position;
    }
  } catch {
    // Reported below, like any other token that is not ours.
  }
  throw new InvalidArgumentError("page_token", `not a token returned by ${rpc}`);
}
