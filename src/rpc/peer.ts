import { isIP } from "node:net";

/** The address part of a grpc-js peer ("<address>:<port>"); undefined when it is not an IP address. */
export function peerAddress(peer: string): string | undefined {
  const address = peer.slice(0, peer.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
  return isIP(address) === 0 ? undefined : address;
}
