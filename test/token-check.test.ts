/**
 * `warden token check` and the README's token-format section: what a secret
 * scanner is told must agree with the tokens Warden issues, and the check needs
 * no database (DATABASE_URL here points at a port nothing listens on).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { generateServiceToken } from "../src/tokens/format.js";

const run = promisify(execFile);

async function check(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli.ts", "token", "check", ...args], {
      env: { ...process.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing" },
    });
    return { code: 0, stdout };
  } catch (error) {
    const { code, stdout = "" } = error as { code?: number; stdout?: string };
    return { code: code ?? -1, stdout };
  }
}

/** One character changed to another base62 character, as a typo would. */
function mistyped(token: string, at: number): string {
  const swapped = token[at] === "a" ? "b" : "a";
  return token.slice(0, at) + swapped + token.slice(at + 1);
}

describe("warden token check", { timeout: 60_000 }, () => {
  it("accepts an issued token and names what is wrong with others, offline", async () => {
    const token = generateServiceToken();
    const [good, typo, short, foreign] = await Promise.all([
      check(token),
      check(mistyped(token, 10)),
      check(token.slice(0, -1)),
      check("ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
    ]);
    expect(good).toEqual({ code: 0, stdout: "well-formed Warden service token\n" });
    expect(typo.code).toBe(1);
    expect(typo.stdout).toContain("checksum does not match");
    expect(short.code).toBe(1);
    expect(short.stdout).toContain("exactly 36 characters");
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain("does not start with wdn_");
  });

  it("reads the secret from standard input, so it need not appear in the shell's history", async () => {
    const child = execFile(process.execPath, ["--import", "tsx", "src/cli.ts", "token", "check"]);
    child.stdin!.end(`${generateServiceToken()}\n`);
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect(stdout).toBe("well-formed Warden service token\n");
  });
});

describe("the README's secret-scanning pattern", () => {
  it("matches issued tokens in text, and not longer look-alikes", async () => {
    const readme = await readFile("README.md", "utf8");
    const source = /^Pattern: `([^`]+)`/m.exec(readme)?.[1];
    expect(source).toBeDefined();
    const pattern = new RegExp(source!, "g");
    const tokens = Array.from({ length: 50 }, generateServiceToken);
    const text = tokens.map((token) => `export TOKEN="${token}"`).join("\n");
    expect(text.match(pattern)).toEqual(tokens);
    expect(`${tokens[0]}x`.match(pattern)).toBeNull();
  });
});
