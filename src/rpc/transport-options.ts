import { z } from "zod";
import { ConfigError, flag, optionalText, port, type SettingValues } from "../settings.js";

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
};

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
}

export function compileTransportOptions(
  env: SettingValues<typeof transportEnvironment>,
  database: { embedded: boolean },
  problems: string[],
): TransportOptions {
  const listener = { host: env.WARDEN_GRPC_HOST, port: env.WARDEN_GRPC_PORT };
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
