#!/usr/bin/env node
import { Command } from "commander";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { migrate } from "./db/migrate.js";
import { createLogger } from "./log.js";
import { startWarden } from "./main.js";

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`warden: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const program = new Command()
  .name("warden")
  .description("gRPC authentication service. Configuration comes from the environment; see README.md.");

program
  .command("serve", { isDefault: true })
  .description("run the gRPC server (migrating the database first unless WARDEN_MIGRATE_ON_START=false)")
  .action(async () => {
    const config = configOrExit();
    const log = createLogger(config.logLevel);
    const warden = await startWarden(config, log);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      warden.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
  });

program
  .command("migrate")
  .description("apply pending migrations and exit")
  .action(async () => {
    const config = configOrExit();
    const log = createLogger(config.logLevel);
    const embedded =
      config.database.url === undefined
        ? await startEmbeddedPostgres({ ...config.database.embedded, database: "warden" })
        : undefined;
    try {
      const applied = await migrate(config.database.url ?? embedded!.url, log);
      log.info({ applied }, applied.length === 0 ? "database is up to date" : "migrated");
    } finally {
      await embedded?.stop();
    }
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`warden: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
