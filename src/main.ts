import { Authenticator } from "./authn/authenticator.js";
import { fileKeyResolver, RemoteJwks } from "./authn/jwks.js";
import { JwtVerifier } from "./authn/jwt.js";
import { servingSecurity, type Config } from "./config.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded.js";
import { migrate } from "./db/migrate.js";
import { createPool, type Pool } from "./db/pool.js";
import { EventRecorder } from "./events/recorder.js";
import { EventSpool } from "./events/spool.js";
import { EventWriter } from "./events/writer.js";
import { Lockouts } from "./lockout/lockouts.js";
import { RiskDetector } from "./risk/detector.js";
import { geoipLocator } from "./risk/geoip.js";
import { riskService } from "./rpc/risk-service.js";
import { alertService } from "./rpc/alert-service.js";
import { auditService } from "./rpc/audit-service.js";
import { AuditTrail } from "./audit/audit.js";
import { addEventPartitions } from "./audit/retention.js";
import { PeriodicTask } from "./ops/periodic.js";
import { Alerts } from "./alerts/alerts.js";
import { AlertEvaluator } from "./alerts/evaluator.js";
import { AlertFeed } from "./alerts/feed.js";
import { loadRules } from "./alerts/rules.js";
import { WEBHOOK_SINK, WebhookDeliverer } from "./alerts/webhook.js";
import type { Logger } from "./log.js";
import { startOpsServer } from "./ops/http.js";
import { createMetrics, RejectedRows } from "./ops/metrics.js";
import { authService } from "./rpc/auth-service.js";
import { setHealth, startGrpcServer, stopGrpcServer } from "./rpc/server.js";
import { lockoutService } from "./rpc/lockout-service.js";
import { tokenService } from "./rpc/token-service.js";
import { NotificationListener, type ListenerHandlers } from "./db/listener.js";
import { ServiceTokens, ALL_TOKENS } from "./tokens/tokens.js";
import { UsageRecorder } from "./tokens/usage.js";
import { ServiceTokenVerifier } from "./tokens/verifier.js";
import { ping } from "../sql/queries/health.queries.js";
import { Access } from "./authz/access.js";
import { Roles } from "./authz/roles.js";
import { RoleSnapshots } from "./authz/snapshots.js";
import { accessService } from "./rpc/access-service.js";
import { ExtAuthz } from "./authz/envoy.js";
import { loadRoutes } from "./authz/routes.js";
import { extAuthzService } from "./rpc/ext-authz-service.js";
import { roleService } from "./rpc/role-service.js";

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

/** Starts following one NOTIFY channel of the database. */
type Listen = (channel: string, handlers: ListenerHandlers) => NotificationListener;

/** Rule evaluation, the webhook outbox and the change feed WatchAlerts follows; absent when turned off. */
async function startAlerting(config: Config, pool: Pool, listen: Listen, log: Logger) {
  const settings = config.alerts;
  if (settings === undefined) return undefined;
  const rules = await loadRules(settings.rulesFile);
  const store = new Alerts(pool);
  const feed = new AlertFeed();
  const evaluator = new AlertEvaluator(
    pool,
    rules,
    { intervalMs: settings.evaluateMs, sinks: settings.webhook === undefined ? [] : [WEBHOOK_SINK] },
    log,
  );
  const webhook = settings.webhook === undefined ? undefined : new WebhookDeliverer(pool, store, settings.webhook, log);
  const changes = listen(
    "warden_alerts",
    // After a reconnect, streams re-read in case they missed a notification.
    { onListening: () => feed.changed(), onLost: () => undefined, onNotification: () => feed.changed() },
  );
  changes.start();
  evaluator.start();
  webhook?.start();
  return {
    store,
    feed,
    async stop() {
      await changes.stop();
      await evaluator.stop();
      await webhook?.stop();
    },
  };
}

/** Wires configuration to running servers. Everything the process holds is released by stop(). */
export async function startWarden(
  config: Config,
  log: Logger,
  overrides: WardenOverrides = {},
): Promise<RunningWarden> {
  const security = servingSecurity(config);
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
    const listen: Listen = (channel, handlers) =>
      new NotificationListener(
        {
          url: databaseUrl,
          channel,
          heartbeatMs: config.serviceTokens.notifyHeartbeatMs,
          connectTimeoutMs: config.database.connectTimeoutMs,
        },
        handlers,
        log,
      );
    const pool = createPool(
      {
        url: databaseUrl,
        max: config.database.poolMax,
        connectTimeoutMs: config.database.connectTimeoutMs,
        statementTimeoutMs: config.database.statementTimeoutMs,
      },
      log,
    );
    // Partitions for the months ahead, now and daily, so no event lands in the default partition.
    const partitions = new PeriodicTask(
      async () => {
        await addEventPartitions(pool);
      },
      86_400_000,
      (error) => log.warn({ err: error }, "could not add event partitions"),
    );
    await partitions.run();
    partitions.start();
    const rejectedRows = new RejectedRows();
    const spool = config.events.spool === undefined ? undefined : EventSpool.open(config.events.spool, log);
    const events = new EventWriter(pool, config.events, log, rejectedRows, spool);
    const usage = new UsageRecorder(pool, log, rejectedRows);
    const serviceTokenVerifier = new ServiceTokenVerifier(
      pool,
      usage,
      { maxEntries: config.serviceTokens.cacheMax, ttlMs: config.serviceTokens.cacheTtlMs },
      now,
    );
    const tokenChanges = listen("warden_service_tokens", {
      onListening: () => serviceTokenVerifier.setCacheTrusted(true),
      onLost: () => serviceTokenVerifier.setCacheTrusted(false),
      onNotification: (tokenId) => serviceTokenVerifier.invalidate(tokenId || ALL_TOKENS),
    });
    tokenChanges.start();
    const tokens = new ServiceTokens(pool, now, (tokenId) => serviceTokenVerifier.invalidate(tokenId));
    const expirySweep = setInterval(() => {
      tokens
        .recordExpirations()
        .catch((error: unknown) => log.warn({ err: error }, "service token expiry sweep failed"));
    }, 30_000);
    expirySweep.unref();
    const recorder = new EventRecorder(events, log, now);
    const lockouts =
      config.lockout === undefined ? undefined : new Lockouts(pool, config.lockout, recorder, log, rejectedRows, now);
    let lockoutChanges: NotificationListener | undefined;
    if (lockouts !== undefined) {
      // Before serving, so no attempt is counted by other rules; retried when the listener connects if this fails.
      await lockouts
        .writePolicies()
        .catch((error: unknown) => log.warn({ err: error }, "could not write lockout policies"));
      lockoutChanges = listen("warden_lockouts", {
        onListening: () => {
          lockouts.listening().catch((error: unknown) => log.warn({ err: error }, "could not load active lockouts"));
        },
        onLost: () => lockouts.lost(),
        onNotification: (payload) => lockouts.changed(payload),
      });
      lockoutChanges.start();
    }
    const risk =
      config.risk === undefined
        ? undefined
        : new RiskDetector(
            pool,
            config.risk,
            recorder,
            log,
            rejectedRows,
            config.risk.geoipFile === undefined ? undefined : await geoipLocator(config.risk.geoipFile),
          );
    const authenticator = new Authenticator(
      await jwtVerifier(config, log, overrides),
      serviceTokenVerifier,
      recorder,
      lockouts,
      risk,
      now,
    );
    const alerting = await startAlerting(config, pool, listen, log);
    const snapshots = new RoleSnapshots(pool, config.authz, log);
    const rbacChanges = listen(
      "warden_rbac",
      // A reconnect may have missed notifications, so it reloads in full; the poll covers the gaps in between.
      {
        onListening: () => void snapshots.reload(),
        onLost: () => undefined,
        onNotification: (version) => snapshots.notified(version),
      },
    );
    snapshots.start();
    rbacChanges.start();
    const roles = new Roles(pool, now, () => void snapshots.reload());
    const access = new Access(authenticator, snapshots, recorder, now);
    const extAuthz = new ExtAuthz(access, await loadRoutes(config.extAuthz.routesFile), {
      stripAuthorization: config.extAuthz.stripAuthorization,
    });
    const metrics = createMetrics({ pool, events, serviceTokens: serviceTokenVerifier, risk, rejectedRows });
    const rpcOptions = { log, metrics, defaultTimeoutMs: config.grpc.defaultTimeoutMs };

    const grpc = await startGrpcServer({
      host: config.grpc.host,
      port: config.grpc.port,
      security,
      authService: authService({ db: pool, authenticator, events, lockouts, risk, now }, rpcOptions),
      tokenService: tokenService({ authenticator, tokens }, rpcOptions),
      lockoutService: lockoutService({ authenticator, lockouts }, rpcOptions),
      riskService: riskService({ authenticator, risk, now }, rpcOptions),
      alertService: alertService({ authenticator, alerts: alerting }, rpcOptions),
      auditService: auditService({ authenticator, audit: new AuditTrail(pool), db: pool }, rpcOptions),
      roleService: roleService({ authenticator, roles }, rpcOptions),
      accessService: accessService({ authenticator, access }, rpcOptions),
      extAuthzService: extAuthzService(extAuthz, rpcOptions),
    });
    let serving = true;
    const ops = await startOpsServer({
      host: config.http.host,
      port: config.http.port,
      registry: metrics.registry,
      ready: async () => serving && (await ping.run(undefined, pool)).length === 1,
    });
    setHealth(grpc.health, true);
    log.info(
      {
        grpcPort: grpc.port,
        httpPort: ops.port,
        transport: security.kind,
        database: embedded === undefined ? "external" : "embedded",
        jwt: config.jwt === undefined ? "disabled" : (config.jwt.jwksFile ?? config.jwt.jwksUrl),
      },
      "warden serving",
    );
    if (security.kind === "plaintext") {
      log.warn("gRPC is plaintext: configure WARDEN_TLS_CERT_FILE and WARDEN_TLS_KEY_FILE outside local development");
    }

    return {
      grpcPort: grpc.port,
      httpPort: ops.port,
      databaseUrl,
      async stop() {
        serving = false;
        setHealth(grpc.health, false);
        alerting?.feed.close();
        await stopGrpcServer(grpc.server, config.shutdownGraceMs);
        clearInterval(expirySweep);
        await partitions.stop();
        await tokenChanges.stop();
        await lockoutChanges?.stop();
        await rbacChanges.stop();
        await snapshots.stop();
        await lockouts?.settled();
        await risk?.close();
        await alerting?.stop();
        await usage.close();
        const eventsSaved = await events.close(config.shutdownGraceMs);
        await pool.end();
        await new Promise<void>((resolve) => ops.server.close(() => resolve()));
        await embedded?.stop();
        if (!eventsSaved) throw new Error("stopped with events neither committed nor spooled");
        log.info("warden stopped");
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
