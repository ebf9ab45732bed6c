import { readFile } from "node:fs/promises";
import path from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import type { ServingSecurity } from "../config.js";
import { AuthorizationService, type AuthorizationServer } from "../gen/envoy/service/auth/v3/external_auth.js";
import { AccessServiceService, type AccessServiceServer } from "../gen/warden/v1/access_service.js";
import { RoleServiceService, type RoleServiceServer } from "../gen/warden/v1/role_service.js";
import { AlertServiceService, type AlertServiceServer } from "../gen/warden/v1/alert_service.js";
import { AuditServiceService, type AuditServiceServer } from "../gen/warden/v1/audit_service.js";
import { AuthServiceService, type AuthServiceServer } from "../gen/warden/v1/auth_service.js";
import { LockoutServiceService, type LockoutServiceServer } from "../gen/warden/v1/lockout_service.js";
import { RiskServiceService, type RiskServiceServer } from "../gen/warden/v1/risk_service.js";
import { TokenServiceService, type TokenServiceServer } from "../gen/warden/v1/token_service.js";
import { PROJECT_ROOT } from "../paths.js";
import { checkedNumbers } from "./numbers.js";

/** Descriptor sets written by `npm run gen:proto` (buf build) beside the generated code. */
const DESCRIPTOR_SETS = ["warden.binpb", "health.binpb"].map((file) => path.join(PROJECT_ROOT, "src", "gen", file));
/** Names under which the health service reports each service. */
export const SERVICE_NAMES = [
  "warden.v1.AuthService",
  "warden.v1.TokenService",
  "warden.v1.LockoutService",
  "warden.v1.RiskService",
  "warden.v1.AlertService",
  "warden.v1.AuditService",
  "warden.v1.RoleService",
  "warden.v1.AccessService",
  "envoy.service.auth.v3.Authorization",
] as const;

export interface GrpcServer {
  server: Server;
  port: number;
  health: HealthImplementation;
}

/**
 * The reflection service reads only `fileDescriptorProtos` from the package
 * definition it is given. Files are passed through byte for byte (a proto-loader
 * round trip drops their imports, which breaks clients resolving types).
 */
async function reflectionDescriptors(): Promise<PackageDefinition> {
  const definition: Record<string, { fileDescriptorProtos: Buffer[] }> = {};
  for (const file of DESCRIPTOR_SETS) {
    const set = fromBinary(FileDescriptorSetSchema, await readFile(file));
    definition[file] = {
      fileDescriptorProtos: set.file.map((proto) => Buffer.from(toBinary(FileDescriptorProtoSchema, proto))),
    };
  }
  return definition as unknown as PackageDefinition;
}

async function serverCredentials(security: ServingSecurity): Promise<ServerCredentials> {
  if (security.kind === "plaintext") return ServerCredentials.createInsecure();
  const [cert, key, clientCa] = await Promise.all([
    readFile(security.certFile),
    readFile(security.keyFile),
    security.clientCaFile === undefined ? Promise.resolve(null) : readFile(security.clientCaFile),
  ]);
  // With a client CA bundle, callers must present a certificate it signed (mTLS).
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
}

/** The gRPC server: Warden's services, the standard health service and server reflection. */

/** Marks every service (and the server as a whole) serving or not. */
export function setHealth(health: HealthImplementation, serving: boolean): void {
  for (const name of ["", ...SERVICE_NAMES]) health.setStatus(name, serving ? "SERVING" : "NOT_SERVING");
}

export async function startGrpcServer(options: {
  host: string;
  port: number;
  security: ServingSecurity;
  authService: AuthServiceServer;
  tokenService: TokenServiceServer;
  lockoutService: LockoutServiceServer;
  riskService: RiskServiceServer;
  alertService: AlertServiceServer;
  auditService: AuditServiceServer;
  roleService: RoleServiceServer;
  accessService: AccessServiceServer;
  extAuthzService: AuthorizationServer;
}): Promise<GrpcServer> {
  const server = new Server({ "grpc.max_receive_message_length": 8 * 1024 * 1024 });
  server.addService(checkedNumbers(AuthServiceService), options.authService);
  server.addService(checkedNumbers(TokenServiceService), options.tokenService);
  server.addService(checkedNumbers(LockoutServiceService), options.lockoutService);
  server.addService(checkedNumbers(RiskServiceService), options.riskService);
  server.addService(checkedNumbers(AlertServiceService), options.alertService);
  server.addService(checkedNumbers(AuditServiceService), options.auditService);
  server.addService(checkedNumbers(RoleServiceService), options.roleService);
  server.addService(checkedNumbers(AccessServiceService), options.accessService);
  server.addService(checkedNumbers(AuthorizationService), options.extAuthzService);

  const health = new HealthImplementation(
    Object.fromEntries(["", ...SERVICE_NAMES].map((name) => [name, "NOT_SERVING" as const])),
  );
  health.addToServer(server);

  new ReflectionService(await reflectionDescriptors()).addToServer(server);

  const credentials = await serverCredentials(options.security);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, credentials, (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return { server, port, health };
}

/** Stops taking calls and lets in-flight ones finish, forcing them closed after `graceMs`. */
export async function stopGrpcServer(server: Server, graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
