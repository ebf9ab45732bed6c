import { isIPv4, isIPv6 } from "node:net";

/**
 * The network an address belongs to for behaviour profiles: its IPv4 /24 or
 * IPv6 /48 (a site), written canonically, e.g. "203.0.113.0/24",
 * "2001:db8:1::/48". IPv4-mapped IPv6 addresses count as IPv4. Null for
 * anything that is not an address.
 */
export function networkOf(address: string): string | null {
  if (isIPv4(address)) return `${address.slice(0, address.lastIndexOf("."))}.0/24`;
  if (!isIPv6(address)) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return networkOf(mapped[1]!);
  const [head = "", tail] = address.toLowerCase().split("::");
  const headGroups = head === "" ? [] : head.split(":");
  // With "::", the groups after it are at the end; the site is the first three groups.
  // A trailing dotted IPv4 part fills two groups.
  const tailWidth = tail === undefined || tail === "" ? 0 : tail.split(":").length + (tail.includes(".") ? 1 : 0);
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - tailWidth).fill("0"), ...tail.split(":")];
  const site = [0, 1, 2].map((i) => parseInt(groups[i] ?? "0", 16).toString(16));
  return `${site.join(":")}::/48`;
}
