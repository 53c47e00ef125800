// Classification of single IP addresses: "is this a public unicast address,
// and if not, what is it?". Policy (allow-lists, URLs, DNS) lives in
// address-policy.ts; this file knows nothing about it.
//
// ipaddr.js does most of the work: its range() returns "unicast" only for
// addresses that are in none of its special-purpose ranges (loopback, private,
// link-local, CGNAT, multicast, documentation, ...). We add what it does not
// cover: IPv6 outside 2000::/3 (the only block IANA hands out as global
// unicast, so e.g. IPv4-compatible ::a.b.c.d is refused) and a friendlier
// label for cloud metadata endpoints.

import ipaddr from "ipaddr.js";

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type Cidr = [IpAddress, number];

const METADATA: readonly Cidr[] = [
  ipaddr.parseCIDR("169.254.169.254/32"), // AWS, GCP, Azure, OpenStack, ...
  ipaddr.parseCIDR("fd00:ec2::254/128"), // AWS IMDS over IPv6
];
const IPV6_GLOBAL_UNICAST: Cidr = ipaddr.parseCIDR("2000::/3");
const NAT64_WELL_KNOWN: Cidr = ipaddr.parseCIDR("64:ff9b::/96");

// Labels for ipaddr.js range() names; anything else non-"unicast" gets a
// generic label that still names the range.
const RANGE_LABELS: Record<string, string> = {
  unspecified: "an unspecified address",
  broadcast: "the broadcast address",
  multicast: "a multicast address",
  linkLocal: "a link-local address",
  loopback: "a loopback address",
  carrierGradeNat: "a carrier-grade NAT (100.64.0.0/10) address",
  private: "a private address",
  uniqueLocal: "a unique-local (private) IPv6 address",
  deprecatedSiteLocal: "a site-local IPv6 address",
  reserved: "a reserved or documentation address",
  benchmarking: "a benchmarking address",
  rfc6145: "an IPv4-translated IPv6 address",
  rfc6052: "a NAT64 address",
  "6to4": "a 6to4 tunnel address",
  teredo: "a Teredo tunnel address",
};

/** True when `addr` lies in `cidr` (false, not an exception, across families). */
export function inCidr(addr: IpAddress, [network, bits]: Cidr): boolean {
  return addr.kind() === network.kind() && addr.match(network, bits);
}

/**
 * Parses an IP address in any spelling the OS resolver (inet_aton) would
 * accept: "127.1", "2130706433", "0x7f.1", "0177.0.0.1", "[::1]", and with
 * trailing dots ("127.0.0.1."). Returns null when `text` is not an IP.
 */
export function parseIp(text: string): IpAddress | null {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  else s = s.replace(/\.+$/, "");
  if (s.includes(":")) {
    // Canonicalise IPv6 with the strict WHATWG parser first: ipaddr.js would
    // read the IPv4-compatible "::127.0.0.1" as mapped "::ffff:127.0.0.1".
    // A zone ("fe80::1%eth0") only matters for link-local, blocked anyway.
    try {
      s = new URL(`http://[${s.split("%")[0]}]/`).hostname.slice(1, -1);
    } catch {
      return null;
    }
  }
  return ipaddr.isValid(s) ? ipaddr.parse(s) : null;
}

/**
 * The IPv4 address a v6 address really reaches when it is only a wrapper:
 * IPv4-mapped (::ffff:a.b.c.d, the OS connects over IPv4) and the NAT64
 * well-known prefix (64:ff9b::a.b.c.d, the NAT64 gateway connects to it).
 * Other embeddings (IPv4-compatible, 6to4, Teredo, local NAT64 prefixes) are
 * not unwrapped: they are refused outright unless allow-listed as IPv6.
 */
export function embeddedIPv4(addr: IpAddress): ipaddr.IPv4 | null {
  if (addr.kind() !== "ipv6") return null;
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  if (inCidr(v6, NAT64_WELL_KNOWN)) return ipaddr.fromByteArray(v6.toByteArray().slice(12)) as ipaddr.IPv4;
  return null;
}

/** Why `addr` is not a public unicast address ("a loopback address"), or null if it is one. */
export function nonPublicLabel(addr: IpAddress): string | null {
  if (METADATA.some((c) => inCidr(addr, c))) return "a cloud metadata address";
  const range = addr.range();
  if (range === "unicast") {
    if (addr.kind() === "ipv6" && !inCidr(addr, IPV6_GLOBAL_UNICAST)) {
      return "an IPv6 address outside the global unicast range 2000::/3";
    }
    return null;
  }
  return RANGE_LABELS[range] ?? `a special-purpose address (${range})`;
}
