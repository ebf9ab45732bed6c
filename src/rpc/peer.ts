import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import type { ServerUnaryCall } from "@grpc/grpc-js";

/** The address part of a grpc-js peer ("<address>:<port>"); undefined when it is not an IP address. */
export function peerAddress(peer: string): string | undefined {
  const address = peer.slice(0, peer.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
  return isIP(address) === 0 ? undefined : address;
}

/** The client certificate the connection's TLS handshake verified (mTLS); undefined without one. */
export function peerCertificate(
  call: Pick<ServerUnaryCall<unknown, unknown>, "getAuthContext">,
): X509Certificate | undefined {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  return raw === undefined ? undefined : new X509Certificate(raw);
}
