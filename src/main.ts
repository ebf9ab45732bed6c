import { Authenticator } from "./authn/authenticator.js";
import { fileKeyResolver, RemoteJwks } from "./authn/jwks.js";
import { JwtVerifier } from "./authn/jwt.js";
import type { Config } from "./config.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded.js";
import { migrate } from "./db/migrate.js";
import { createPool } from "./db/pool.js";
import { EventRecorder } from "./events/recorder.js";
import { EventWriter } from "./events/writer.js";
import type { Logger } from "./log.js";
import { startOpsServer } from "./ops/http.js";
import { createMetrics } from "./ops/metrics.js";
import { authService } from "./rpc/auth-service.js";
import { AUTH_SERVICE_NAME, startGrpcServer, stopGrpcServer } from "./rpc/server.js";
import { ping } from "../sql/queries/health.queries.js";

export interface RunningWarden {
  grpcPort: number;
  httpPort: number;
  databaseUrl: string;
  /** Graceful: stop taking calls, finish in-flight ones, flush pending events, close the pool. */
  stop(): Promise<void>;
}

export interface WardenOverrides {
  now?: () => Date;
  fetch?: typeof fetch;
}

async function jwtVerifier(config: Config, log: Logger, overrides: WardenOverrides): Promise<JwtVerifier | undefined> {
  const jwt = config.jwt;
  if (jwt === undefined) return undefined;
  const keys =
    jwt.jwksFile !== undefined
      ? await fileKeyResolver(jwt.jwksFile)
      : new RemoteJwks(
          jwt.jwksUrl!,
          {
            cacheMaxAgeMs: jwt.jwksCacheMaxAgeMs,
            cooldownMs: jwt.jwksCooldownMs,
            timeoutMs: jwt.jwksTimeoutMs,
            ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
          },
          log,
        ).resolve;
  return new JwtVerifier(keys, jwt, overrides.now);
}

/** Wires configuration to running servers. Everything the process holds is released by stop(). */
export async function startWarden(
  config: Config,
  log: Logger,
  overrides: WardenOverrides = {},
): Promise<RunningWarden> {
  const now = overrides.now ?? (() => new Date());
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = config.database.url;
  if (databaseUrl === undefined) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.database.embedded.dataDir,
      port: config.database.embedded.port,
      database: "warden",
    });
    databaseUrl = embedded.url;
    log.info(
      { dataDir: config.database.embedded.dataDir, port: config.database.embedded.port },
      "started embedded PostgreSQL",
    );
  }

  try {
    if (config.database.migrateOnStart) await migrate(databaseUrl, log);
    const pool = createPool(
      {
        url: databaseUrl,
        max: config.database.poolMax,
        connectTimeoutMs: config.database.connectTimeoutMs,
        statementTimeoutMs: config.database.statementTimeoutMs,
      },
      log,
    );
    const events = new EventWriter(pool, config.events, log);
    const authenticator = new Authenticator(
      await jwtVerifier(config, log, overrides),
      new EventRecorder(events, log, now),
      now,
    );
    const metrics = createMetrics({ pool, events });

    const grpc = await startGrpcServer({
      host: config.grpc.host,
      port: config.grpc.port,
      security: config.grpc.security,
      authService: authService(
        { db: pool, authenticator, events, now },
        { log, metrics, defaultTimeoutMs: config.grpc.defaultTimeoutMs },
      ),
    });
    let serving = true;
    const ops = await startOpsServer({
      host: config.http.host,
      port: config.http.port,
      registry: metrics.registry,
      ready: async () => serving && (await ping.run(undefined, pool)).length === 1,
    });
    grpc.health.setStatus("", "SERVING");
    grpc.health.setStatus(AUTH_SERVICE_NAME, "SERVING");
    log.info(
      {
        grpcPort: grpc.port,
        httpPort: ops.port,
        transport: config.grpc.security.kind,
        database: embedded === undefined ? "external" : "embedded",
        jwt: config.jwt === undefined ? "disabled" : (config.jwt.jwksFile ?? config.jwt.jwksUrl),
      },
      "warden serving",
    );
    if (config.grpc.security.kind === "plaintext") {
      log.warn("gRPC is plaintext: configure WARDEN_TLS_CERT_FILE and WARDEN_TLS_KEY_FILE outside local development");
    }

    return {
      grpcPort: grpc.port,
      httpPort: ops.port,
      databaseUrl,
      async stop() {
        serving = false;
        grpc.health.setStatus("", "NOT_SERVING");
        grpc.health.setStatus(AUTH_SERVICE_NAME, "NOT_SERVING");
        await stopGrpcServer(grpc.server, config.shutdownGraceMs);
        await events.close(config.shutdownGraceMs);
        await pool.end();
        await new Promise<void>((resolve) => ops.server.close(() => resolve()));
        await embedded?.stop();
        log.info("warden stopped");
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
