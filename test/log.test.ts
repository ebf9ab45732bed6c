import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";

describe("log lines", () => {
  it("redacts credential-bearing fields logged at the top level", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger("info", sink);
    log.info(
      {
        credential: "wdn_credential",
        authorization: "Bearer abc",
        password: "hunter2",
        token: "tok",
        secret: "shh",
        method: "Authenticate",
      },
      "rpc",
    );
    await new Promise((resolve) => setImmediate(resolve));
    const line = JSON.parse(lines.join("")) as Record<string, unknown>;
    expect(line).toMatchObject({
      credential: "[redacted]",
      authorization: "[redacted]",
      password: "[redacted]",
      token: "[redacted]",
      secret: "[redacted]",
      method: "Authenticate",
      msg: "rpc",
    });
  });
});
