import { AuthenticationPipeline } from "./authn/pipeline.js";
import { JwtAuthenticator, type JwtIssuer } from "./authn/jwt-authenticator.js";
import { loadProviders } from "./authn/jwt-providers.js";
import { clientCredentials, IntrospectionAuthenticator } from "./authn/introspection-authenticator.js";
import { CertificateAuthenticator, loadCaBundle, loadCertificateMappings } from "./authn/certificate-authenticator.js";
import { ServiceTokenAuthenticator } from "./authn/service-token-authenticator.js";
import { DiscoveredJwks, fileKeyResolver, RemoteJwks } from "./authn/jwks.js";
import { JwtVerifier } from "./authn/jwt.js";
import { wardenTokenAuthenticator } from "./authn/warden-token-authenticator.js";
import { discoveryDocument, TokenExchange } from "./exchange/exchange.js";
import { SIGNING_ALGORITHMS, type ExchangeOptions } from "./exchange/exchange-options.js";
import { EXCHANGE_CLOCK_TOLERANCE_MS, SigningKeys } from "./exchange/signing-keys.js";
import { servingSecurity, type Config } from "./config.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded.js";
import { migrate } from "./db/migrate.js";
import { createPool, withSignal, type Pool } from "./db/pool.js";
import { EventRecorder } from "./events/recorder.js";
import { EventSpool } from "./events/spool.js";
import { EventWriter } from "./events/writer.js";
import { Lockouts } from "./lockout/lockouts.js";
import { RiskDetector } from "./risk/detector.js";
import { geoipLocator } from "./risk/geoip.js";
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
import { createMetrics, RejectedRows, registerConnectionMetrics } from "./ops/metrics.js";
import { startGrpcServer, stopGrpcServer, WARDEN_DESCRIPTOR_SET } from "./rpc/server.js";
import { ServiceHealth } from "./rpc/health.js";
import { DatabaseProbe } from "./ops/database-probe.js";
import { raiseOpenFileLimit, type OpenFileLimit } from "./ops/open-files.js";
import { OPEN_FILES_RESERVED } from "./rpc/transport-options.js";
import { DatabaseWait } from "./db/database-wait.js";
import { HealthImplementation } from "grpc-health-check";
import { wardenServices } from "./rpc/services.js";
import { Edge } from "./rpc/edge/edge.js";
import { loadAccessRules } from "./rpc/edge/access-rules.js";
import { CredentialWatch } from "./rpc/edge/credential-watch.js";
import {
  authenticateCaller,
  deadline,
  logAndMeasure,
  numbersInRange,
  requestId,
  requireScope,
  superviseStreams,
} from "./rpc/edge/layers.js";
import { Components } from "./lifecycle.js";
import { NotificationListener, type ListenerHandlers } from "./db/listener.js";
import { ServiceTokens, ALL_TOKENS } from "./tokens/tokens.js";
import { UsageRecorder } from "./tokens/usage.js";
import { ServiceTokenVerifier } from "./tokens/verifier.js";
import { ping } from "../sql/queries/health.queries.js";
import { Access } from "./authz/access.js";
import { Roles } from "./authz/roles.js";
import { RoleSnapshots } from "./authz/snapshots.js";
import { ExtAuthz } from "./authz/envoy.js";
import { loadRoutes } from "./authz/routes.js";

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

/** One verifier per JWT provider, each with its own keys (and their cache, cooldown and last good set). */
async function jwtIssuers(config: Config, log: Logger, overrides: WardenOverrides): Promise<JwtIssuer[]> {
  const providers = await loadProviders(config.jwtProviders, config.jwt);
  return Promise.all(
    providers.map(async (provider): Promise<JwtIssuer> => {
      const remote = {
        cacheMaxAgeMs: provider.jwksCacheMaxAgeMs,
        cooldownMs: provider.jwksCooldownMs,
        timeoutMs: provider.jwksTimeoutMs,
        ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
      };
      const source = provider.keys;
      const keys =
        source.kind === "file"
          ? await fileKeyResolver(source.file)
          : source.kind === "url"
            ? new RemoteJwks(source.url, remote, log).resolve
            : new DiscoveredJwks(provider.policy.issuer, remote, log).resolve;
      return {
        name: provider.name,
        issuer: provider.policy.issuer,
        verifier: new JwtVerifier(keys, provider.policy, overrides.now),
        principalKind: provider.principalKind,
      };
    }),
  );
}

/** The connection cap: as configured, or what the open-file limit leaves beside the files Warden itself holds. */
function maxConnections(configured: number, openFiles: OpenFileLimit | undefined): number {
  if (configured > 0) return configured;
  const limit = openFiles?.soft ?? 1024;
  return Number.isFinite(limit) ? Math.max(64, limit - OPEN_FILES_RESERVED) : 1_000_000;
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

/**
 * The keys of Warden's own tokens: read (and made, or rotated, when due)
 * before serving, so a WARDEN_EXCHANGE_KEY that does not decrypt them stops
 * the start; then refreshed on every replica's change and on a timer.
 */
async function startSigningKeys(
  options: ExchangeOptions,
  pool: Pool,
  components: Components,
  listen: (channel: string, handlers: ListenerHandlers) => Promise<NotificationListener>,
  log: Logger,
  now: () => Date,
): Promise<SigningKeys> {
  const keys = new SigningKeys(pool, options, now);
  await keys.refresh();
  const refresh = new PeriodicTask(
    () => keys.refresh(),
    keys.refreshIntervalMs,
    (error) => log.error({ err: error }, "could not refresh the signing keys"),
  );
  await components.start("signing key rotation", refresh.start(), () => refresh.stop());
  const reload = () => {
    keys.reload().catch((error: unknown) => log.error({ err: error }, "could not reload the signing keys"));
  };
  (
    await listen("warden_signing_keys", { onListening: reload, onLost: () => undefined, onNotification: reload })
  ).start();
  return keys;
}

/**
 * Wires configuration to running servers: one ordered list of components,
 * each started after what it depends on and stopped, by stop(), in reverse.
 */
export async function startWarden(
  config: Config,
  log: Logger,
  overrides: WardenOverrides = {},
): Promise<RunningWarden> {
  const security = servingSecurity(config);
  // Read before anything starts, so a bad providers file stops Warden at once, naming each bad entry.
  const issuers = await jwtIssuers(config, log, overrides);
  const introspection =
    config.introspection === undefined
      ? undefined
      : new IntrospectionAuthenticator(
          config.introspection,
          await clientCredentials(config.introspection),
          log,
          overrides.now,
          overrides.fetch,
        );
  const certificates =
    config.certificates === undefined
      ? undefined
      : new CertificateAuthenticator(
          config.certificates,
          await loadCertificateMappings(config.certificates.mappingsFile),
          await loadCaBundle(config.certificates.forwardedCaFile),
          overrides.now,
        );
  const now = overrides.now ?? (() => new Date());
  const components = new Components(log);
  try {
    const embedded =
      config.database.url === undefined
        ? await components.start(
            "embedded PostgreSQL",
            startEmbeddedPostgres({
              dataDir: config.database.embedded.dataDir,
              port: config.database.embedded.port,
              database: "warden",
            }),
            (database: EmbeddedPostgres) => database.stop(),
          )
        : undefined;
    if (embedded !== undefined) {
      log.info({ dataDir: embedded.dataDir, port: config.database.embedded.port }, "started embedded PostgreSQL");
    }
    const databaseUrl = embedded?.url ?? config.database.url!;
    if (config.database.migrateOnStart) await migrate(databaseUrl, log);
    const newListener: Listen = (channel, handlers) =>
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
    const listen = (channel: string, handlers: ListenerHandlers) =>
      components.start(`${channel} listener`, newListener(channel, handlers), (listener) => listener.stop());
    const pool = await components.start(
      "database pool",
      createPool(
        {
          url: databaseUrl,
          max: config.database.poolMax,
          connectTimeoutMs: config.database.connectTimeoutMs,
          statementTimeoutMs: config.database.statementTimeoutMs,
        },
        log,
      ),
      (started) => started.end(),
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
    await components.start("event partitions", partitions.start(), () => partitions.stop());
    const rejectedRows = new RejectedRows();
    const spool = config.events.spool === undefined ? undefined : EventSpool.open(config.events.spool, log);
    const events = await components.start(
      "event writer",
      new EventWriter(pool, config.events, log, rejectedRows, spool),
      async (writer) => {
        if (!(await writer.close(config.shutdownGraceMs))) {
          throw new Error("stopped with events neither committed nor spooled");
        }
      },
    );
    const usage = await components.start("token usage", new UsageRecorder(pool, log, rejectedRows), (recorder) =>
      recorder.close(),
    );
    // One for the whole authentication path: once a read outlives it, no later one waits.
    const databaseWait = new DatabaseWait(config.authn.databaseWaitMs);
    const serviceTokenVerifier = new ServiceTokenVerifier(
      pool,
      usage,
      {
        maxEntries: config.serviceTokens.cacheMax,
        ttlMs: config.serviceTokens.cacheTtlMs,
        outageWindowMs: config.serviceTokens.outageWindowMs,
        databaseWait,
      },
      now,
    );
    (
      await listen("warden_service_tokens", {
        onListening: () => serviceTokenVerifier.setCacheTrusted(true),
        onLost: () => serviceTokenVerifier.setCacheTrusted(false),
        onNotification: (tokenId) => serviceTokenVerifier.invalidate(tokenId || ALL_TOKENS),
      })
    ).start();
    const tokens = new ServiceTokens(pool, now, (tokenId) => serviceTokenVerifier.invalidate(tokenId));
    await components.start(
      "token expiry sweep",
      setInterval(() => {
        tokens
          .recordExpirations()
          .catch((error: unknown) => log.warn({ err: error }, "service token expiry sweep failed"));
      }, 30_000).unref(),
      (sweep) => clearInterval(sweep),
    );
    const recorder = new EventRecorder(events, log, now);
    const lockouts =
      config.lockout === undefined
        ? undefined
        : await components.start(
            "lockouts",
            new Lockouts(pool, config.lockout, recorder, log, rejectedRows, now, databaseWait),
            (started) => started.settled(),
          );
    if (lockouts !== undefined) {
      // Before serving, so no attempt is counted by other rules; retried when the listener connects if this fails.
      await lockouts
        .writePolicies()
        .catch((error: unknown) => log.warn({ err: error }, "could not write lockout policies"));
      (
        await listen("warden_lockouts", {
          onListening: () => {
            lockouts.listening().catch((error: unknown) => log.warn({ err: error }, "could not load active lockouts"));
          },
          onLost: () => lockouts.lost(),
          onNotification: (payload) => lockouts.changed(payload),
        })
      ).start();
    }
    const risk =
      config.risk === undefined
        ? undefined
        : await components.start(
            "risk detector",
            new RiskDetector(
              pool,
              config.risk,
              recorder,
              log,
              rejectedRows,
              config.risk.geoipFile === undefined ? undefined : await geoipLocator(config.risk.geoipFile),
              databaseWait,
            ),
            (detector) => detector.close(),
          );
    const signingKeys =
      config.exchange === undefined
        ? undefined
        : await startSigningKeys(config.exchange, pool, components, listen, log, now);
    // One authenticator per credential kind; the first to claim a credential verifies it.
    const authenticator = new AuthenticationPipeline(
      [
        new ServiceTokenAuthenticator(serviceTokenVerifier),
        // Before the JWT providers: Warden's own tokens are known by their issuer.
        ...(signingKeys === undefined
          ? []
          : [
              wardenTokenAuthenticator(
                (keyId) => signingKeys.publicKey(keyId),
                {
                  issuer: config.exchange!.issuer,
                  algorithms: [...SIGNING_ALGORITHMS],
                  clockToleranceSeconds: EXCHANGE_CLOCK_TOLERANCE_MS / 1000,
                },
                now,
              ),
            ]),
        new JwtAuthenticator(issuers),
        // Claims only a call with no other credential.
        ...(certificates === undefined ? [] : [certificates]),
        // Last: it claims any bearer token the others did not.
        ...(introspection === undefined ? [] : [introspection]),
      ],
      { events: recorder, lockouts, risk, now },
    );
    const alerting = await components.start("alerting", startAlerting(config, pool, newListener, log), (started) =>
      started?.stop(),
    );
    const snapshots = await components.start("role snapshots", new RoleSnapshots(pool, config.authz, log), (started) =>
      started.stop(),
    );
    // A reconnect may have missed notifications, so it reloads in full; the poll covers the gaps in between.
    const rbacChanges = await listen("warden_rbac", {
      onListening: () => void snapshots.reload(),
      onLost: () => undefined,
      onNotification: (version) => snapshots.notified(version),
    });
    snapshots.start();
    rbacChanges.start();
    const roles = new Roles(pool, now, () => void snapshots.reload());
    const access = new Access(authenticator, snapshots, recorder, now);
    const extAuthz = new ExtAuthz(access, await loadRoutes(config.extAuthz.routesFile), {
      stripAuthorization: config.extAuthz.stripAuthorization,
    });
    const metrics = await components.start(
      "metrics",
      createMetrics({ pool, events, serviceTokens: serviceTokenVerifier, risk, rejectedRows }),
      (started) => started.stop(),
    );

    const edgeOptions = config.grpc.edge;
    const streamCallers = await components.start(
      "stream credential watch",
      new CredentialWatch((credential) => authenticator.stillValid(credential), edgeOptions.credentialRecheckMs, log),
      (watch) => watch.stop(),
    );
    // A revoked or rotated token ends its streams as soon as this replica hears of it, not at the next tick.
    serviceTokenVerifier.onInvalidate(() => streamCallers.recheckNow());
    // Every RPC passes these, in this order; each sees the method's declared access rule.
    const edge = new Edge(
      [
        requestId,
        logAndMeasure(log, metrics),
        deadline,
        authenticateCaller(authenticator),
        requireScope,
        numbersInRange,
        superviseStreams(streamCallers, edgeOptions.streamMaxLifetimeMs),
      ],
      loadAccessRules(WARDEN_DESCRIPTOR_SET),
      edgeOptions,
    );
    const services = wardenServices({
      dbFor: (signal) => withSignal(pool, signal, databaseUrl),
      authenticator,
      events,
      lockouts,
      risk,
      exchange:
        signingKeys === undefined
          ? undefined
          : new TokenExchange({
              pool,
              keys: signingKeys,
              options: config.exchange!,
              authenticator,
              events: recorder,
              now,
            }),
      now,
      tokens,
      alerts: alerting,
      audit: new AuditTrail(pool),
      roles,
      access,
      extAuthz,
      log,
    });
    // Health, gRPC's and /readyz alike, follows what each service can serve now.
    let accepting = false;
    const health = new ServiceHealth(new HealthImplementation({}), services);
    const refreshHealth = () =>
      health.update({ accepting, databaseUp: databaseProbe.up, snapshotUsable: snapshots.usable });
    const databaseProbe = new DatabaseProbe(
      () => ping.run(undefined, pool),
      { intervalMs: 1000, timeoutMs: 500 },
      log,
      refreshHealth,
    );
    await databaseProbe.probe();
    await components.start("database probe", databaseProbe.start(), (probe) => probe.stop());
    const ops = await components.start(
      "ops HTTP server",
      startOpsServer({
        host: config.http.host,
        port: config.http.port,
        registry: metrics.registry,
        readiness: health,
        documents:
          signingKeys === undefined
            ? undefined
            : new Map([
                // Verifiers may cache the keys for half the time a new key is published before it signs.
                [
                  "/.well-known/jwks.json",
                  { body: () => signingKeys.jwks(), maxAgeSeconds: Math.floor(signingKeys.publicationLeadMs / 2000) },
                ],
                [
                  "/.well-known/openid-configuration",
                  { body: () => discoveryDocument(config.exchange!), maxAgeSeconds: 3600 },
                ],
              ]),
      }),
      (started) => new Promise<void>((resolve) => started.server.close(() => resolve())),
    );
    const openFiles = await raiseOpenFileLimit(log);
    const connections = {
      ...config.grpc.connections,
      maxConnections: maxConnections(config.grpc.connections.maxConnections, openFiles),
    };
    const grpc = await components.start(
      "gRPC server",
      startGrpcServer({
        host: config.grpc.host,
        port: config.grpc.port,
        security,
        services,
        edge,
        health: health.grpc,
        connections,
        log,
      }),
      async (started) => {
        accepting = false;
        refreshHealth();
        // Open WatchAlerts streams end now rather than at the grace period's end.
        alerting?.feed.close();
        await stopGrpcServer(started, config.shutdownGraceMs);
      },
    );
    registerConnectionMetrics(metrics.registry, grpc.gate);
    accepting = true;
    refreshHealth();
    log.info(
      {
        grpcPort: grpc.port,
        httpPort: ops.port,
        transport: security.kind,
        openFiles: openFiles?.soft,
        maxConnections: connections.maxConnections,
        database: embedded === undefined ? "external" : "embedded",
        jwtProviders: issuers.map((issuer) => issuer.name),
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
        await components.stopAll();
        log.info("warden stopped");
      },
    };
  } catch (error) {
    // The start-up failure is what to report; stop failures are logged.
    await components.stopAll().catch(() => undefined);
    throw error;
  }
}
