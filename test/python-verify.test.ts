import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bearer, createToken, startTestWarden, type TestWarden } from "./support/warden.js";

/**
 * A token Warden issued, verified outside Warden by examples/python/verify_token.py
 * with `cryptography` alone. Its own project (`npm run test:python`), run by CI
 * once Debian's python3-cryptography is installed; WARDEN_PYTHON names the interpreter.
 */
const python = process.env.WARDEN_PYTHON ?? "/usr/bin/python3";
const ISSUER = "https://warden.python.test";
const run = promisify(execFile);

let t: TestWarden;
beforeAll(async () => {
  t = await startTestWarden({
    WARDEN_EXCHANGE_ENABLED: "true",
    WARDEN_EXCHANGE_ISSUER: ISSUER,
    WARDEN_EXCHANGE_KEY: randomBytes(32).toString("base64"),
    WARDEN_EXCHANGE_AUDIENCES: "billing-api",
  });
});
afterAll(async () => {
  await t?.stop();
});

/** Runs the script with the token on standard input; resolves with its exit code and output. */
function verifyWithPython(token: string, audience: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(
      python,
      [
        "examples/python/verify_token.py",
        "--jwks",
        `http://127.0.0.1:${t.warden.httpPort}/.well-known/jwks.json`,
        "--issuer",
        ISSUER,
        "--audience",
        audience,
      ],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") reject(new Error(`${python}: ${error.message}`));
        else resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
      },
    );
    child.stdin!.end(token);
  });
}

it("verifies an exchanged token with cryptography against the JWKS, and refuses an altered one", async () => {
  await run(python, ["-c", "import cryptography"]);
  const metadata = bearer(await createToken(t.db.url, "python-exchanger", ["tokens:exchange", "events:read"]));
  const issued = await t.client.exchangeToken(
    { subjectToken: "", audience: ["billing-api"], scopes: ["events:read"], lifetime: undefined },
    { metadata },
  );
  const verified = await verifyWithPython(issued.accessToken, "billing-api");
  expect(verified.stderr).toBe("");
  expect(verified.code).toBe(0);
  expect(JSON.parse(verified.stdout)).toMatchObject({
    iss: ISSUER,
    aud: ["billing-api"],
    jti: issued.tokenId,
    kind: "SERVICE_TOKEN",
    scope: "events:read",
    service_token_name: "python-exchanger",
  });

  const [header, payload, signature] = issued.accessToken.split(".") as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
  const widened = Buffer.from(JSON.stringify({ ...claims, scope: "admin" })).toString("base64url");
  const altered = await verifyWithPython(`${header}.${widened}.${signature}`, "billing-api");
  expect([altered.code, altered.stderr.trim()]).toEqual([1, "refused: invalid signature"]);
  const elsewhere = await verifyWithPython(issued.accessToken, "orders-api");
  expect([elsewhere.code, elsewhere.stderr.trim()]).toEqual([1, "refused: wrong audience ['billing-api']"]);
});
