import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, environmentSchema, loadConfig, servingSecurity, type Environment } from "../src/config.js";

const problems = (env: Environment): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("configuration", () => {
  it("defaults to the embedded database with plaintext gRPC on 50051", () => {
    const config = loadConfig({});
    expect(config.database.url).toBeUndefined();
    expect(config.grpc).toMatchObject({ port: 50051, security: { kind: "plaintext" } });
    expect(config.jwt).toBeUndefined();
  });

  it("requires TLS or an explicit opt-in to plaintext to serve with a real database", () => {
    const unsettled = loadConfig({ DATABASE_URL: "postgres://db/warden" });
    expect(() => servingSecurity(unsettled)).toThrow(
      /WARDEN_TLS_CERT_FILE, WARDEN_TLS_KEY_FILE: required unless WARDEN_PLAINTEXT=true/,
    );
    expect(loadConfig({ DATABASE_URL: "postgres://db/warden", WARDEN_PLAINTEXT: "true" }).grpc.security.kind).toBe(
      "plaintext",
    );
    expect(
      loadConfig({ DATABASE_URL: "postgres://db/warden", WARDEN_TLS_CERT_FILE: "c.pem", WARDEN_TLS_KEY_FILE: "k.pem" })
        .grpc.security,
    ).toEqual({ kind: "tls", certFile: "c.pem", keyFile: "k.pem", clientCaFile: undefined });
  });

  it("requires an issuer and an audience with a key source", () => {
    expect(problems({ WARDEN_JWKS_URL: "https://idp.example/jwks" })).toEqual([
      "WARDEN_JWT_ISSUER: required when a JWKS is configured",
      "WARDEN_JWT_AUDIENCE: required when a JWKS is configured",
    ]);
  });

  it("never allows 'none' or symmetric JWT algorithms", () => {
    expect(problems({ WARDEN_JWT_ALGORITHMS: "RS256,none" })[0]).toMatch(/^WARDEN_JWT_ALGORITHMS/);
    expect(problems({ WARDEN_JWT_ALGORITHMS: "HS256" })[0]).toMatch(/^WARDEN_JWT_ALGORITHMS/);
    expect(
      loadConfig({
        WARDEN_JWKS_FILE: "jwks.json",
        WARDEN_JWT_ISSUER: "https://idp",
        WARDEN_JWT_AUDIENCE: "a, b",
        WARDEN_JWT_ALGORITHMS: "ES256, EdDSA",
      }).jwt,
    ).toMatchObject({ algorithms: ["ES256", "EdDSA"], audience: ["a", "b"] });
  });

  it("names every bad variable at once", () => {
    const found = problems({ WARDEN_GRPC_PORT: "70000", WARDEN_DB_POOL_MAX: "zero", WARDEN_JWKS_URL: "ftp://x" });
    expect(found.map((problem) => problem.split(":")[0])).toEqual(
      expect.arrayContaining(["WARDEN_GRPC_PORT", "WARDEN_DB_POOL_MAX", "WARDEN_JWKS_URL"]),
    );
  });

  it("takes lockout policies over the defaults, naming each bad setting", () => {
    const config = loadConfig({ WARDEN_LOCKOUT_SUBJECT: "max_failures=3, wait_strategy=multiple" });
    expect(config.lockout?.keys.SUBJECT).toMatchObject({
      maxFailures: 3,
      waitStrategy: "MULTIPLE",
      waitIncrementSeconds: 1800,
    });
    expect(config.lockout?.keys.IP.maxFailures).toBe(100);
    expect(loadConfig({ WARDEN_LOCKOUT_ENABLED: "false" }).lockout).toBeUndefined();
    expect(problems({ WARDEN_LOCKOUT_IP: "max_failures=0,wait=5" })).toEqual([
      "WARDEN_LOCKOUT_IP.max_failures: Too small: expected number to be >=1",
      'WARDEN_LOCKOUT_IP: Unrecognized key: "wait"',
    ]);
  });

  it("takes risk points and rules over the defaults, naming each bad setting", () => {
    const config = loadConfig({
      WARDEN_RISK_POINTS: "impossible_travel=80,new_network=0",
      WARDEN_RISK_RULES: "velocity_per_hour=30, rare_hour_share=0.1",
      WARDEN_RISK_DENY_SCORE: "90",
    });
    expect(config.risk).toMatchObject({
      points: { IMPOSSIBLE_TRAVEL: 80, NEW_NETWORK: 0, NEW_USER_AGENT: 10 },
      velocityPerHour: 30,
      rareHourShare: 0.1,
      dormantDays: 90,
      suspiciousScore: 50,
      denyScore: 90,
    });
    expect(loadConfig({ WARDEN_RISK_DENY_SCORE: "" }).risk?.denyScore).toBeUndefined();
    expect(loadConfig({ WARDEN_RISK_ENABLED: "false" }).risk).toBeUndefined();
    expect(problems({ WARDEN_RISK_POINTS: "new_network=101,teleport=5", WARDEN_RISK_DENY_SCORE: "0" })).toEqual([
      "WARDEN_RISK_POINTS.new_network: Too big: expected number to be <=100",
      'WARDEN_RISK_POINTS: Unrecognized key: "teleport"',
      "WARDEN_RISK_DENY_SCORE: Too small: expected number to be >=1",
    ]);
  });

  it("requires a webhook secret of at least 16 characters with a webhook URL", () => {
    expect(problems({ WARDEN_ALERT_WEBHOOK_URL: "https://hooks.example/warden" })).toEqual([
      "WARDEN_ALERT_WEBHOOK_SECRET: required with WARDEN_ALERT_WEBHOOK_URL, at least 16 characters",
    ]);
    expect(
      loadConfig({
        WARDEN_ALERT_WEBHOOK_URL: "https://hooks.example/warden",
        WARDEN_ALERT_WEBHOOK_SECRET: "x".repeat(16),
      }).alerts?.webhook,
    ).toEqual({ url: "https://hooks.example/warden", secret: "x".repeat(16), pollMs: 1000, maxAttempts: 12 });
    expect(loadConfig({ WARDEN_ALERTS_ENABLED: "false" }).alerts).toBeUndefined();
  });

  it("documents every variable in the README's configuration table, one row each, and nothing else", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.split(/^## /m).find((part) => part.startsWith("Configuration\n"));
    const firstCells = (section ?? "")
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .slice(2) // the header and its separator
      .map((line) => line.split("|")[1]!.trim());
    const documented = firstCells.map((cell) => /^`([A-Z][A-Z0-9_]*)`$/.exec(cell)?.[1]);
    const rowsNotOneVariable = firstCells.filter((_, row) => documented[row] === undefined);
    const declared = Object.keys(environmentSchema.shape);

    expect({
      rowsNotOneVariable,
      undocumented: declared.filter((name) => !documented.includes(name)),
      documentedButNotRead: documented.filter((name) => name !== undefined && !declared.includes(name)),
    }).toEqual({ rowsNotOneVariable: [], undocumented: [], documentedButNotRead: [] });
  });
});
