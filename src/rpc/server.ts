import { readFile } from "node:fs/promises";
import path from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FieldDescriptorProto } from "@bufbuild/protobuf/wkt";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import type { HealthImplementation } from "grpc-health-check";
import type { ServingSecurity } from "../config.js";
import type { Edge, ServiceEntry } from "./edge/edge.js";
import { checkedNumbers } from "./numbers.js";
import { ConnectionGate, type GateTls } from "./connections.js";
import type { ConnectionOptions } from "./transport-options.js";
import type { Logger } from "../log.js";
import { PROJECT_ROOT } from "../paths.js";

/** Descriptor sets written by `npm run gen:proto` (buf build) beside the generated code. */
const DESCRIPTOR_SETS = ["warden.binpb", "health.binpb"].map((file) => path.join(PROJECT_ROOT, "src", "gen", file));
/** Warden's own contracts, whose method options carry each RPC's access rule. */
export const WARDEN_DESCRIPTOR_SET = DESCRIPTOR_SETS[0]!;

export interface GrpcServer {
  server: Server;
  port: number;
  /** The listener in front of grpc-js. */
  gate: ConnectionGate;
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
    keepMethodOptions(set.file.flatMap((proto) => proto.extension));
    definition[file] = {
      fileDescriptorProtos: set.file.map((proto) => Buffer.from(toBinary(FileDescriptorProtoSchema, proto))),
    };
  }
  return definition as unknown as PackageDefinition;
}

/**
 * @grpc/reflection re-encodes each file through protobufjs, which drops fields
 * it does not know, and so Warden's own method options (the access rule each
 * RPC declares). Declared on protobufjs's MethodOptions as bytes, which have
 * the same wire form as the option's message, they reach reflection clients.
 */
function keepMethodOptions(extensions: FieldDescriptorProto[]): void {
  const methodOptions = descriptor.MethodOptions;
  for (const extension of extensions) {
    if (extension.extendee !== ".google.protobuf.MethodOptions") continue;
    const name = `option_${extension.number}`;
    if (methodOptions.fields[name] === undefined)
      methodOptions.add(new protobuf.Field(name, extension.number, "bytes"));
  }
}

/** TLS for the gate; grpc-js then speaks HTTP/2 over the decrypted stream. */
async function gateTls(security: ServingSecurity): Promise<GateTls | undefined> {
  if (security.kind === "plaintext") return undefined;
  const [cert, key, clientCa] = await Promise.all([
    readFile(security.certFile),
    readFile(security.keyFile),
    security.clientCaFile === undefined ? Promise.resolve(undefined) : readFile(security.clientCaFile),
  ]);
  return { cert, key, clientCa };
}

/**
 * The gRPC server: every service of `services` through the edge, the
 * standard health service and reflection.
 */
export async function startGrpcServer(options: {
  host: string;
  port: number;
  security: ServingSecurity;
  services: ServiceEntry[];
  edge: Edge;
  /** The standard health service, its statuses kept by the caller. */
  health: HealthImplementation;
  /** With maxConnections resolved. */
  connections: ConnectionOptions;
  log: Logger;
}): Promise<GrpcServer> {
  const limits = options.connections;
  const server = new Server({
    "grpc.max_receive_message_length": 8 * 1024 * 1024,
    "grpc.max_connection_idle_ms": limits.idleTimeoutMs,
    "grpc.max_connection_age_ms": limits.maxAgeMs,
    "grpc.max_connection_age_grace_ms": limits.maxAgeGraceMs,
    "grpc.keepalive_time_ms": limits.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs,
    // Channelz counts every call and stream for a debugging service Warden
    // does not serve; its trackers and listeners cost each call a few µs.
    "grpc.enable_channelz": 0,
  });
  for (const entry of options.services) {
    server.addService(checkedNumbers(entry.definition), options.edge.implement(entry));
  }
  options.health.addToServer(server);

  new ReflectionService(await reflectionDescriptors()).addToServer(server);

  // The gate owns the port (and TLS) and hands grpc-js each connection once it speaks HTTP/2.
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const gate = new ConnectionGate(
    { handshakeTimeoutMs: limits.handshakeTimeoutMs, maxConnections: limits.maxConnections },
    (connection) => injector.injectConnection(connection),
    await gateTls(options.security),
    options.log,
  );
  const port = await gate.listen(options.host, options.port);
  return { server, port, gate };
}

/** Stops taking calls and lets in-flight ones finish, forcing them closed after `graceMs`. */
export async function stopGrpcServer({ server, gate }: GrpcServer, graceMs: number): Promise<void> {
  const gateClosed = gate.close();
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
  await gateClosed;
}
