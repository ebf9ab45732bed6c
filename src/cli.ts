#!/usr/bin/env node
// First: tracing must start before @grpc/grpc-js and pg are loaded (see the module).
import { stopTracing } from "./ops/tracing.js";
import { Command } from "commander";
import { ConfigError, loadConfig, servingSecurity, type Config } from "./config.js";
import { migrate } from "./db/migrate.js";
import { createLogger, type Logger } from "./log.js";
import { userInfo } from "node:os";
import { SCOPES } from "./authz/scopes.js";
import { createPool, type Pool } from "./db/pool.js";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { countAuditInRange, countEventsInRange } from "../sql/queries/summary.queries.js";
import { ExportFormat } from "./gen/warden/v1/audit_service.js";
import { InvalidArgumentError } from "./errors.js";
import { ServiceTokenState, type ServiceToken, type ServiceTokenSelector } from "./gen/warden/v1/token_service.js";
import { ServiceTokens } from "./tokens/tokens.js";
import { serviceTokenProblem } from "./tokens/format.js";
import { text } from "node:stream/consumers";

/** The validated configuration, or exit 2 naming every bad setting. `require` adds a command's own checks. */
function configOrExit(require: (config: Config) => unknown = () => undefined): Config {
  try {
    const config = loadConfig();
    require(config);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`warden: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

// Each command imports what only it needs when it runs: the test suite and operators start this CLI many times,
// and loading the server, schema comparison and export for `token create` took most of a second each time.
const program = new Command()
  .name("warden")
  .description("gRPC authentication service. Configuration comes from the environment; see README.md.");

program
  .command("serve", { isDefault: true })
  .description("run the gRPC server (migrating the database first unless WARDEN_MIGRATE_ON_START=false)")
  .action(async () => {
    const config = configOrExit(servingSecurity);
    const log = createLogger(config.logLevel);
    const { startWarden } = await import("./main.js");
    const warden = await startWarden(config, log);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      warden.stop().then(
        () => void stopTracing().finally(() => process.exit(0)),
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
  });

/** Runs `work` against the configured database (or the embedded one), migrated. */
async function withDatabase<T>(work: (url: string, log: Logger) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const log = createLogger(config.logLevel);
  const embedded =
    config.database.url === undefined
      ? await (
          await import("./db/embedded.js")
        ).startEmbeddedPostgres({ ...config.database.embedded, database: "warden" })
      : undefined;
  try {
    const url = config.database.url ?? embedded!.url;
    await migrate(url, log);
    return await work(url, log);
  } finally {
    await embedded?.stop();
  }
}

/** A small pool on the configured database, for administration commands. */
async function withPool<T>(work: (pool: Pool) => Promise<T>, statementTimeoutMs = 10_000): Promise<T> {
  return withDatabase(async (url, log) => {
    const pool = createPool({ url, max: 2, connectTimeoutMs: 5000, statementTimeoutMs }, log);
    try {
      return await work(pool);
    } finally {
      await pool.end();
    }
  });
}

/** Token administration straight against the database, e.g. to make the first admin token. */
function withServiceTokens<T>(work: (tokens: ServiceTokens) => Promise<T>): Promise<T> {
  return withPool((pool) => work(new ServiceTokens(pool)));
}

const cliActor = { principal: `cli:${userInfo().username}` };

function selector(nameOrId: string): ServiceTokenSelector {
  return /^[0-9a-f-]{36}$/i.test(nameOrId) ? { id: nameOrId } : { name: nameOrId };
}

function printToken(token: ServiceToken): void {
  process.stdout.write(
    `${token.name}\t${token.id}\t${ServiceTokenState[token.state]}\t${token.scopes.join(",")}\t` +
      `expires ${token.expiresAt?.toISOString() ?? "never"}\n`,
  );
}

program
  .command("migrate")
  .description("apply pending migrations and exit")
  .action(() => withDatabase(() => Promise.resolve()));

const token = program.command("token").description("manage service tokens directly in the configured database");

token
  .command("create")
  .description("issue a service token and print its secret (shown only this once)")
  .requiredOption("--name <name>", "unique name, e.g. deploy-bot")
  .requiredOption("--scopes <scopes>", `comma-separated, from: ${SCOPES.join(", ")}`)
  .option("--expires-at <time>", "ISO 8601 expiry (default: never)")
  .option("--description <text>", "what it is for", "")
  .action((options: { name: string; scopes: string; expiresAt?: string; description: string }) =>
    withServiceTokens(async (tokens) => {
      const expiresAt = options.expiresAt === undefined ? undefined : time(options.expiresAt, "expires_at");
      const { token: created, secret } = await tokens.create(
        {
          name: options.name,
          scopes: options.scopes.split(",").map((s) => s.trim()),
          expiresAt,
          description: options.description,
        },
        cliActor,
      );
      printToken(created);
      process.stdout.write(`${secret}\n`);
    }),
  );

token
  .command("list")
  .description("list service tokens (never their secrets)")
  .option("--state <state>", "active, expired or revoked")
  .action((options: { state?: string }) =>
    withServiceTokens(async (tokens) => {
      const state =
        options.state === undefined
          ? ServiceTokenState.UNSPECIFIED
          : (ServiceTokenState[options.state.toUpperCase() as keyof typeof ServiceTokenState] ?? -1);
      let pageToken = "";
      do {
        const page = await tokens.list({ state, pageSize: 1000, pageToken });
        page.tokens.forEach(printToken);
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
    }),
  );

token
  .command("revoke <name-or-id>")
  .description("revoke a service token in every replica")
  .requiredOption("--reason <text>", "why, recorded on the token and its event")
  .action((nameOrId: string, options: { reason: string }) =>
    withServiceTokens(async (tokens) => printToken(await tokens.revoke(selector(nameOrId), options.reason, cliActor))),
  );

token
  .command("check [secret]")
  .description(
    "say whether a string is a well-formed service token (offline: no database; reads stdin without [secret])",
  )
  .action(async (secret: string | undefined) => {
    const candidate = (secret ?? (await text(process.stdin))).trim();
    const problem = serviceTokenProblem(candidate);
    process.stdout.write(
      problem === undefined ? "well-formed Warden service token\n" : `not a Warden service token: ${problem}\n`,
    );
    process.exitCode = problem === undefined ? 0 : 1;
  });

function time(value: string, option: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(option, "not an ISO 8601 time");
  return date;
}

program
  .command("export")
  .description(
    "write events (or, with --audit, audit records) in a time range as JSON Lines or CSV, with a progress bar on stderr",
  )
  .requiredOption("--from <time>", "ISO 8601, inclusive")
  .requiredOption("--to <time>", "ISO 8601, exclusive")
  .option("--format <format>", "jsonl or csv", "jsonl")
  .option("--out <file>", "where to write (default: stdout)")
  .option("--audit", "export audit records instead of events")
  .action((options: { from: string; to: string; format: string; out?: string; audit?: boolean }) =>
    withPool(async (pool) => {
      const request = {
        from: time(options.from, "--from"),
        to: time(options.to, "--to"),
        format: options.format.toLowerCase() === "csv" ? ExportFormat.CSV : ExportFormat.JSONL,
      };
      const [total] = await (options.audit ? countAuditInRange : countEventsInRange).run(request, pool);
      const [{ Presets, SingleBar }, { exportAudit, exportEvents }] = await Promise.all([
        import("cli-progress"),
        import("./audit/export.js"),
      ]);
      const bar = new SingleBar(
        {
          format: `export |{bar}| {value}/{total} ${options.audit ? "audit records" : "events"}`,
          stream: process.stderr,
        },
        Presets.shades_classic,
      );
      bar.start(total!.count, 0);
      const out = options.out === undefined ? process.stdout : createWriteStream(options.out);
      try {
        for await (const chunk of (options.audit ? exportAudit : exportEvents)(pool, request)) {
          if (!out.write(chunk.data)) await once(out, "drain");
          bar.update(chunk.rowsSoFar);
        }
      } finally {
        bar.stop();
        if (out !== process.stdout) await new Promise<void>((resolve) => out.end(() => resolve()));
      }
    }, 60_000),
  );

const retention = program.command("retention").description("remove events and audit records past their retention");

retention
  .command("run")
  .description("remove expired events (by severity) and audit records, in bounded batches (WARDEN_RETENTION)")
  .option("--dry-run", "only show what would be removed")
  .action((options: { dryRun?: boolean }) => {
    const policy = configOrExit().retention;
    return withPool(async (pool) => {
      const { planRetention, runRetention } = await import("./audit/retention.js");
      const now = new Date();
      const lines = options.dryRun
        ? await planRetention(pool, policy, now)
        : await runRetention(pool, policy, now, cliActor);
      for (const line of lines) {
        process.stdout.write(
          `${line.what}\t${options.dryRun ? "would remove" : "removed"} ${line.rows}\tolder than ${line.before.toISOString()}\n`,
        );
      }
    }, 60_000);
  });

program
  .command("schema")
  .description("compare the database with sql/migrations")
  .command("check")
  .description("report pending and edited migrations and objects changed by hand in DATABASE_URL; exit 1 on any")
  .action(async () => {
    const config = configOrExit((c) => {
      if (c.database.url === undefined) throw new ConfigError(["DATABASE_URL: required by schema check"]);
    });
    const { checkSchema, formatSchemaReport, schemaMatches } = await import("./db/schema-check.js");
    const report = await checkSchema(config.database.url!, createLogger(config.logLevel));
    process.stdout.write(formatSchemaReport(report));
    process.exitCode = schemaMatches(report) ? 0 : 1;
  });

// A bad file named by the configuration (alert rules, ext_authz routes) is read only at start-up: exit 2 as for a bad setting.
program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`warden: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
