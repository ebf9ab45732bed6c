import { spawn } from "node:child_process";
import { once } from "node:events";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { eventually, startReplica, type Replica } from "./support/warden.js";

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

  it("writes what is still batched when the process exits", async () => {
    // A process that logs and exits at once: its lines are in no write yet, only batched.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { createLogger } = await import(${JSON.stringify(new URL("../src/log.ts", import.meta.url).href)});
         const log = createLogger("info");
         for (let line = 0; line < 3; line++) log.info({ line }, "before exit");
         process.exit(0);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    await once(child, "exit");
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { line: number });
    expect(lines.map((line) => line.line)).toEqual([0, 1, 2]);
  });

  describe("from a running server", () => {
    let db: TestDatabase;
    let replica: Replica | undefined;
    afterAll(async () => {
      if (replica !== undefined) {
        replica.client.close();
        replica.process.kill("SIGTERM");
        await once(replica.process, "exit");
      }
      await db?.drop();
    });

    it("go out many to a write, and a quiet server's last line within the flush interval", async () => {
      db = await createTestDatabase();
      replica = await startReplica(db.url);
      let writes = 0;
      let text = "";
      replica.process.stdout!.on("data", (chunk: Buffer) => {
        writes += 1;
        text += chunk.toString();
      });
      const refusedLines = () => text.split("\n").filter((line) => line.includes('"code":"INVALID_ARGUMENT"')).length;
      const refuse = () =>
        replica!.client.authenticate({ credential: "", client: undefined, sourceService: "" }).catch(() => undefined);
      for (let call = 0; call < 200; call++) await refuse();
      expect(await eventually(() => (refusedLines() === 200 ? true : undefined), 2000)).toBe(true);
      // One write per line would be two hundred; buffered, about ten, plus one per flush interval the calls took.
      expect(writes).toBeLessThan(100);
      await refuse();
      expect(await eventually(() => (refusedLines() === 201 ? true : undefined), 1000)).toBe(true);
    });
  });
});
