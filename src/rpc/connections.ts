import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Server as TlsServer, type TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import type { Logger } from "../log.js";

/** What every HTTP/2 connection opens with (RFC 9113, 3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface ConnectionLimits {
  /** A connection that has not sent the HTTP/2 preface (after TLS, when used) within this is closed. */
  handshakeTimeoutMs: number;
  /** Open connections at most; a new one beyond evicts the oldest still in its handshake, or is closed. */
  maxConnections: number;
}

/** TLS done here rather than by grpc-js, so that the preface is seen and timed in both cases. */
export interface GateTls {
  cert: Buffer;
  key: Buffer;
  /** When set, callers must present a certificate it signed (mTLS). */
  clientCa: Buffer | undefined;
}

/**
 * The gRPC port's listener, in front of grpc-js: it bounds how long a
 * connection may take to start speaking HTTP/2 and how many are open, and
 * hands each connection that sent the preface to `accept` (grpc-js's
 * connection injector). grpc-js has no per-connection hook for either bound.
 */
export class ConnectionGate {
  private readonly server: Server;
  /** Connections still in their handshake, oldest first. */
  private readonly handshaking = new Set<Socket>();
  private open = 0;
  /** Connections closed because the cap was reached, or their handshake took too long. */
  readonly closed = { evicted: 0, refused: 0, handshakeTimeout: 0 };
  /** Never listens: connections are handed to it to be wrapped, as grpc-js's injector does for HTTP/2. */
  private readonly tlsServer: TlsServer | undefined;
  /** Connections in their TLS handshake, by remote address and port, told when it is done. */
  private readonly securing = new Map<string, (secured: TLSSocket) => void>();

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly accept: (connection: Duplex) => void,
    tls: GateTls | undefined,
    private readonly log: Logger,
  ) {
    this.server = createServer({ noDelay: true }, (socket) => this.admit(socket));
    if (tls !== undefined) {
      const mutual = tls.clientCa !== undefined;
      this.tlsServer = new TlsServer({
        cert: tls.cert,
        key: tls.key,
        ...(mutual ? { ca: tls.clientCa } : {}),
        ALPNProtocols: ["h2"],
        requestCert: mutual,
        rejectUnauthorized: mutual,
      });
      this.tlsServer.on("secureConnection", (secured: TLSSocket) => {
        const key = remoteKey(secured);
        this.securing.get(key)?.(secured);
        this.securing.delete(key);
      });
      this.tlsServer.on("tlsClientError", (error, secured) => {
        this.log.debug({ err: error }, "TLS handshake failed");
        this.securing.delete(remoteKey(secured));
        secured.destroy();
      });
    }
  }

  get connections(): number {
    return this.open;
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting; connections already handed on are grpc-js's to close. */
  async close(): Promise<void> {
    for (const socket of this.handshaking) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private admit(socket: Socket): void {
    if (this.open >= this.limits.maxConnections) {
      const oldest = this.handshaking.values().next().value;
      if (oldest === undefined) {
        this.closed.refused += 1;
        socket.destroy();
        return;
      }
      this.closed.evicted += 1;
      this.forget(oldest);
      oldest.destroy();
    }
    this.open += 1;
    this.handshaking.add(socket);
    socket.once("close", () => {
      this.open -= 1;
      this.forget(socket);
    });
    socket.on("error", () => socket.destroy());
    const timer = setTimeout(() => {
      this.closed.handshakeTimeout += 1;
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));

    const handOn = (stream: Duplex) =>
      awaitPreface(stream, (ok) => {
        clearTimeout(timer);
        if (!ok) {
          socket.destroy();
          return;
        }
        this.forget(socket);
        this.accept(stream);
      });
    if (this.tlsServer === undefined) {
      handOn(socket);
      return;
    }
    const key = remoteKey(socket);
    this.securing.set(key, handOn);
    socket.once("close", () => this.securing.delete(key));
    this.tlsServer.emit("connection", socket);
  }

  private forget(socket: Socket): void {
    this.handshaking.delete(socket);
  }
}

/** Tells one connection from every other to this port. */
function remoteKey(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? ""}|${socket.remotePort ?? ""}`;
}

/**
 * Reads until the HTTP/2 preface has arrived, then puts what was read back
 * for the HTTP/2 session to parse; `done(false)` when something else came.
 */
function awaitPreface(stream: Duplex, done: (ok: boolean) => void): void {
  let received = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    const seen = Math.min(received.length, PREFACE.length);
    if (!received.subarray(0, seen).equals(PREFACE.subarray(0, seen))) {
      stream.off("data", onData);
      done(false);
      return;
    }
    if (received.length < PREFACE.length) return;
    stream.off("data", onData);
    stream.pause();
    stream.unshift(received);
    done(true);
  };
  stream.on("data", onData);
}
