import { z } from "zod";
import { ConfigError, flag, milliseconds, optionalText, port, type SettingValues } from "../settings.js";

/** The gRPC listener's settings: where it listens, and over TLS or plaintext. */
export const transportEnvironment = {
  WARDEN_GRPC_HOST: z.string().default("0.0.0.0"),
  WARDEN_GRPC_PORT: port(50051),
  /** Serve over TLS with this certificate chain and key (PEM); set both or neither. */
  WARDEN_TLS_CERT_FILE: optionalText,
  WARDEN_TLS_KEY_FILE: optionalText,
  /** Require client certificates signed by this CA bundle (mTLS); needs TLS. */
  WARDEN_TLS_CLIENT_CA_FILE: optionalText,
  /** Unset: plaintext with the embedded database, otherwise undecided (see servingSecurity). */
  WARDEN_PLAINTEXT: flag.optional(),
  /** A connection that has not sent the HTTP/2 preface (after TLS) within this is closed. */
  WARDEN_GRPC_HANDSHAKE_TIMEOUT_MS: milliseconds(5000),
  /** A connection with no call for this long is closed (GOAWAY). */
  WARDEN_GRPC_IDLE_TIMEOUT_MS: milliseconds(300_000),
  /** A connection older than this (±10 %) is asked to go (GOAWAY), so clients spread over new replicas. */
  WARDEN_GRPC_MAX_CONNECTION_AGE_MS: milliseconds(3_600_000),
  /** How long calls on a connection asked to go may still run before it is closed. */
  WARDEN_GRPC_MAX_CONNECTION_AGE_GRACE_MS: milliseconds(60_000),
  /** How often the server pings a connection to prove its peer is there. */
  WARDEN_GRPC_KEEPALIVE_TIME_MS: milliseconds(60_000),
  /** A ping unanswered for this long closes the connection. */
  WARDEN_GRPC_KEEPALIVE_TIMEOUT_MS: milliseconds(20_000),
  /** Open connections at most; 0: the open-file limit less OPEN_FILES_RESERVED. */
  WARDEN_GRPC_MAX_CONNECTIONS: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

/** Open files kept for everything but client connections (database, spool, listeners, logs), when the cap is derived. */
export const OPEN_FILES_RESERVED = 256;

/** How connections are bounded: grpc-js's own options, and the gate's (see connections.ts). */
export interface ConnectionOptions {
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  maxAgeMs: number;
  maxAgeGraceMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** 0: derived from the open-file limit at start-up. */
  maxConnections: number;
}

export type TransportSecurity =
  | { kind: "plaintext" }
  | { kind: "tls"; certFile: string; keyFile: string; clientCaFile: string | undefined }
  /** Neither TLS nor explicit plaintext: fine for admin commands, refused by `serve`. */
  | { kind: "unset" };

export type ServingSecurity = Exclude<TransportSecurity, { kind: "unset" }>;

export interface TransportOptions {
  host: string;
  port: number;
  security: TransportSecurity;
  connections: ConnectionOptions;
}

export function compileTransportOptions(
  env: SettingValues<typeof transportEnvironment>,
  database: { embedded: boolean },
  problems: string[],
): TransportOptions {
  const listener = {
    host: env.WARDEN_GRPC_HOST,
    port: env.WARDEN_GRPC_PORT,
    connections: {
      handshakeTimeoutMs: env.WARDEN_GRPC_HANDSHAKE_TIMEOUT_MS,
      idleTimeoutMs: env.WARDEN_GRPC_IDLE_TIMEOUT_MS,
      maxAgeMs: env.WARDEN_GRPC_MAX_CONNECTION_AGE_MS,
      maxAgeGraceMs: env.WARDEN_GRPC_MAX_CONNECTION_AGE_GRACE_MS,
      keepaliveTimeMs: env.WARDEN_GRPC_KEEPALIVE_TIME_MS,
      keepaliveTimeoutMs: env.WARDEN_GRPC_KEEPALIVE_TIMEOUT_MS,
      maxConnections: env.WARDEN_GRPC_MAX_CONNECTIONS,
    },
  };
  if (env.WARDEN_TLS_CERT_FILE !== undefined && env.WARDEN_TLS_KEY_FILE !== undefined) {
    if (env.WARDEN_PLAINTEXT === true) problems.push("WARDEN_PLAINTEXT: cannot be true when TLS files are set");
    return {
      ...listener,
      security: {
        kind: "tls",
        certFile: env.WARDEN_TLS_CERT_FILE,
        keyFile: env.WARDEN_TLS_KEY_FILE,
        clientCaFile: env.WARDEN_TLS_CLIENT_CA_FILE,
      },
    };
  }
  if (env.WARDEN_TLS_CERT_FILE !== undefined || env.WARDEN_TLS_KEY_FILE !== undefined) {
    problems.push("WARDEN_TLS_CERT_FILE, WARDEN_TLS_KEY_FILE: set both or neither");
  }
  if (env.WARDEN_TLS_CLIENT_CA_FILE !== undefined) {
    problems.push(
      "WARDEN_TLS_CLIENT_CA_FILE: client-certificate verification needs WARDEN_TLS_CERT_FILE and WARDEN_TLS_KEY_FILE",
    );
  }
  // Plaintext is the embedded default (a local development database); with a real
  // database it must be asked for. Only serving needs this settled (see servingSecurity).
  const plaintext = env.WARDEN_PLAINTEXT ?? database.embedded;
  return { ...listener, security: plaintext ? { kind: "plaintext" } : { kind: "unset" } };
}

/** What only serving needs settled: TLS, or plaintext asked for explicitly. */
export function servingSecurity(config: { grpc: { security: TransportSecurity } }): ServingSecurity {
  const security = config.grpc.security;
  if (security.kind === "unset") {
    throw new ConfigError([
      "WARDEN_TLS_CERT_FILE, WARDEN_TLS_KEY_FILE: required unless WARDEN_PLAINTEXT=true (plaintext gRPC must be asked for explicitly)",
    ]);
  }
  return security;
}
