import { InvalidArgumentError } from "../errors.js";
import { UUID_PATTERN } from "../validate.js";

/** An opaque page token carrying a keyset position (the last row's sort key). */
export function encodePageToken(position: string[]): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/** The position inside a page token; INVALID_ARGUMENT naming page_token when it is not one of ours. */
export function decodePageToken(token: string, parts: number, rpc: string): string[] {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    position = undefined;
  }
  if (Array.isArray(position) && position.length === parts && position.every((p) => typeof p === "string")) {
    return position;
  }
  throw new InvalidArgumentError("page_token", `not a token returned by ${rpc}`);
}

/** The commonest position: a row's timestamp and UUID, newest first. */
export interface TimeKey {
  at: Date;
  id: string;
}

export function encodeTimeKey(key: TimeKey): string {
  return encodePageToken([key.at.toISOString(), key.id]);
}

export function decodeTimeKey(token: string, rpc: string): TimeKey {
  const [at, id] = decodePageToken(token, 2, rpc) as [string, string];
  const date = new Date(at);
  if (Number.isNaN(date.getTime()) || !UUID_PATTERN.test(id)) {
    throw new InvalidArgumentError("page_token", `not a token returned by ${rpc}`);
  }
  return { at: date, id };
}
