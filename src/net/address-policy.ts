// SSRF guard: Herald sends HTTP requests to URLs chosen by its users, so a
// user must not be able to point an endpoint at the Herald host itself, the
// private network around it, or a cloud metadata service. By default only
// public unicast addresses may be contacted; operators widen this with
// HERALD_ALLOWED_SUBNETS (CIDRs) and allowed domains.
//
// We check twice, on purpose:
//  1. When an endpoint is saved (checkEndpointUrl), so users get an immediate,
//     readable error for obviously bad URLs (http://127.1/, http://[::1]/,
//     credentials, ftp:, ...). This check cannot be the real defence: a name
//     can resolve to anything, and to something else tomorrow.
//  2. When connecting (makeGuardedLookup / assertSendableHost). The guarded
//     lookup is installed as the socket's DNS lookup, so the addresses we judge
//     are exactly the addresses the socket then connects to; a DNS answer that
//     changes between check and use (DNS rebinding) cannot slip through.
//     Node skips `lookup` for IP-literal hosts, hence assertSendableHost.

import dns from "node:dns";
import type { LookupFunction } from "node:net";
import { domainToASCII } from "node:url";

import ipaddr from "ipaddr.js";

import { type Cidr, embeddedIPv4, inCidr, type IpAddress, nonPublicLabel, parseIp } from "./ip-ranges.ts";

export type AddressPolicy = {
  /** CIDRs that may be contacted even though they are not public, e.g. "10.0.0.0/8". */
  allowedSubnets: readonly string[];
  /** Names (and their subdomains) exempt from address checks; "*.example.com" = subdomains only. */
  allowedDomains: readonly string[];
};

const HINT = "set HERALD_ALLOWED_SUBNETS to allow it";

/** Thrown / passed to the socket when a connection would reach a blocked address. */
export class BlockedAddressError extends Error {
  readonly code = "EBLOCKEDADDRESS";
  readonly hostname: string;
  readonly address: string;
  /** `effective` is the IPv4 address actually reached when `address` wraps one (::ffff:a.b.c.d). */
  constructor(hostname: string, address: string, reason: string, effective = address) {
    const shown = effective === address ? address : `${address} (${effective})`;
    const target = hostname === address ? shown : `${hostname}: it resolved to ${shown}`;
    super(`Refusing to connect to ${target}, which is ${reason}; ${HINT}`);
    this.name = "BlockedAddressError";
    this.hostname = hostname;
    this.address = address;
  }
}

/**
 * Parses a comma- and/or whitespace-separated CIDR list such as
 * "127.0.0.0/8, ::1/128". A bare address means a single host (/32 or /128).
 * Throws naming the first invalid entry. Returns normalised CIDR strings.
 */
export function parseCidrList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .filter((entry) => entry !== "")
    .map((entry) => {
      const [addr = "", bits, ...rest] = entry.split("/");
      // Only plain notation: "010.0.0.0/8" would silently mean 8.0.0.0/8.
      const plain = ipaddr.IPv4.isValidFourPartDecimal(addr) || (addr.includes(":") && /^[\da-f:.]+$/i.test(addr));
      const ip = plain ? parseIp(addr) : null;
      const max = ip?.kind() === "ipv4" ? 32 : 128;
      if (ip === null || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
        throw new Error(`Invalid subnet "${entry}": expected CIDR notation such as 10.0.0.0/8 or fd00::/8`);
      }
      return `${ip.toString()}/${bits === undefined ? max : Number(bits)}`;
    });
}

const subnetCache = new WeakMap<readonly string[], Cidr[]>();
function allowedCidrs(policy: AddressPolicy): Cidr[] {
  let cidrs = subnetCache.get(policy.allowedSubnets);
  if (!cidrs) {
    cidrs = parseCidrList(policy.allowedSubnets.join(",")).map((s) => ipaddr.parseCIDR(s));
    subnetCache.set(policy.allowedSubnets, cidrs);
  }
  return cidrs;
}

type Verdict = { effective: string; reason: string };

/**
 * Returns null when `addr` may be contacted, else the address judged and why
 * it is blocked. Throws if policy.allowedSubnets holds an invalid entry.
 */
function judge(addr: IpAddress, policy: AddressPolicy): Verdict | null {
  const v4 = embeddedIPv4(addr); // ::ffff:127.0.0.1 is judged as 127.0.0.1
  const allowed = allowedCidrs(policy);
  if (allowed.some((c) => inCidr(addr, c) || (v4 !== null && inCidr(v4, c)))) return null;
  const judged = v4 ?? addr;
  const label = nonPublicLabel(judged);
  if (label === null) return null;
  return { effective: judged.toString(), reason: label };
}

/** "127.0.0.1", or "[::ffff:7f00:1] (127.0.0.1)" when the spelling differs from the address judged. */
function spell(shown: string, verdict: Verdict): string {
  const bare = shown.replace(/^\[(.*)\]$/, "$1");
  return bare === verdict.effective ? shown : `${shown} (${verdict.effective})`;
}

/** True when `ip` is not a public unicast address and not in an allowed subnet. Invalid input counts as blocked. */
export function isBlockedAddress(ip: string, policy: AddressPolicy): boolean {
  const addr = parseIp(ip);
  return addr === null || judge(addr, policy) !== null;
}

function normaliseName(name: string): string {
  return domainToASCII(name.trim().replace(/\.+$/, "")).toLowerCase();
}

function isAllowedDomain(hostname: string, policy: AddressPolicy): boolean {
  const host = normaliseName(hostname);
  return policy.allowedDomains.some((entry) => {
    const subdomainsOnly = entry.trim().startsWith("*.");
    const domain = normaliseName(subdomainsOnly ? entry.trim().slice(2) : entry);
    if (domain === "" || host === "") return false;
    return host.endsWith(`.${domain}`) || (!subdomainsOnly && host === domain);
  });
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Save-time check of an endpoint URL; see the comment at the top of this file. */
export function checkEndpointUrl(input: string, policy: AddressPolicy): UrlCheck {
  const fail = (reason: string): UrlCheck => ({ ok: false, reason });
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail(`Not a valid URL: ${JSON.stringify(input)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(`URL scheme ${url.protocol} is not allowed; use http: or https:`);
  }
  // The URL parser forgives what a person would not: `http:///host`, `http:host`, `http:\\host`
  // all parse as http://host/. Such a URL is a typo, and is refused as written.
  if (!/^https?:\/\/[^/\\]/i.test(input.trim())) {
    return fail("URL must start with http:// or https:// followed by a host");
  }
  if (url.username !== "" || url.password !== "") {
    return fail("URL must not contain credentials (user:password@); send them in a header instead");
  }
  const host = url.hostname;
  if (host === "") return fail("URL has no host");

  // new URL() already rewrites IPv4 spellings (127.1, 0x7f.1, 2130706433, ...)
  // to dotted decimal; parseIp accepts them all anyway, plus leftovers such as
  // "127.0.0.1.." that the URL parser treats as a domain name.
  const ip = parseIp(host);
  if (ip !== null) {
    const blocked = judge(ip, policy);
    if (!blocked) return { ok: true, url };
    return fail(`URL host ${spell(host, blocked)} is ${blocked.reason}; ${HINT}`);
  }
  if (isAllowedDomain(host, policy)) return { ok: true, url };
  const name = normaliseName(host);
  if (name === "localhost" || name.endsWith(".localhost")) {
    if (!isBlockedAddress("127.0.0.1", policy) || !isBlockedAddress("::1", policy)) return { ok: true, url };
    return fail(`URL host ${host} is a loopback name; set HERALD_ALLOWED_SUBNETS to allow 127.0.0.0/8 or ::1/128`);
  }
  // Other names are judged by their resolved addresses at send time.
  return { ok: true, url };
}

/**
 * Send-time check for hosts that are IP literals (Node does not call `lookup`
 * for them). `hostname` may be bracketed, as in URL#hostname. Names are left
 * to the guarded lookup. Throws BlockedAddressError.
 */
export function assertSendableHost(hostname: string, policy: AddressPolicy): void {
  const ip = parseIp(hostname);
  if (ip === null) return;
  const blocked = judge(ip, policy);
  if (blocked) throw new BlockedAddressError(ip.toString(), ip.toString(), blocked.reason, blocked.effective);
}

/** The `all: true` form of dns.lookup; injectable for tests. */
export type LookupAllImpl = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for net.connect / undici `connect` options that refuses the
 * connection (error code EBLOCKEDADDRESS) if ANY resolved address is blocked.
 * Always resolves all addresses, then answers in the shape the caller asked for.
 */
export function makeGuardedLookup(policy: AddressPolicy, lookupImpl: LookupAllImpl = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    lookupImpl(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "");
      const first = addresses[0];
      if (first === undefined) {
        const notFound: NodeJS.ErrnoException = new Error(`DNS lookup for ${hostname} returned no addresses`);
        notFound.code = "ENOTFOUND";
        return callback(notFound, "");
      }
      if (!isAllowedDomain(hostname, policy)) {
        for (const { address } of addresses) {
          const ip = parseIp(address);
          let blocked: Verdict | null;
          try {
            blocked = ip === null ? { effective: address, reason: "not a valid IP address" } : judge(ip, policy);
          } catch (policyError) {
            return callback(policyError as Error, ""); // bad allowedSubnets: fail closed, don't crash
          }
          if (blocked) {
            return callback(new BlockedAddressError(hostname, address, blocked.reason, blocked.effective), "");
          }
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
