import assert from "node:assert/strict";
import type { LookupAddress, LookupAllOptions, LookupOptions } from "node:dns";
import http from "node:http";
import net, { type AddressInfo, type LookupFunction } from "node:net";
import { after, before, describe, test } from "node:test";

import { Agent, request } from "undici";

import {
  type AddressPolicy,
  assertSendableHost,
  checkEndpointUrl,
  isBlockedAddress,
  type LookupAllImpl,
  makeGuardedLookup,
  parseCidrList,
} from "../../src/net/address-policy.ts";

const DEFAULT: AddressPolicy = { allowedSubnets: [], allowedDomains: [] };
const allow = (...allowedSubnets: string[]): AddressPolicy => ({ allowedSubnets, allowedDomains: [] });
const LOOPBACK_V4 = allow("127.0.0.0/8");
const LOOPBACK_V6 = allow("::1/128");
const LOOPBACK = allow("127.0.0.0/8", "::1/128");

function assertRefused(url: string, policy: AddressPolicy, reason: RegExp): void {
  const result = checkEndpointUrl(url, policy);
  assert.equal(result.ok, false, `${url} should be refused`);
  if (!result.ok) assert.match(result.reason, reason);
}

function assertAccepted(url: string, policy: AddressPolicy): URL {
  const result = checkEndpointUrl(url, policy);
  assert.ok(result.ok, `${url} should be accepted, got: ${result.ok ? "" : result.reason}`);
  return result.url;
}

describe("parseCidrList", () => {
  test("parses comma, space and newline separated entries", () => {
    assert.deepEqual(parseCidrList("127.0.0.0/8, ::1/128\n10.0.0.0/8,,192.168.0.0/16 "), [
      "127.0.0.0/8",
      "::1/128",
      "10.0.0.0/8",
      "192.168.0.0/16",
    ]);
  });

  test("empty input is an empty list", () => {
    assert.deepEqual(parseCidrList(""), []);
    assert.deepEqual(parseCidrList(" , "), []);
  });

  test("a bare address is a single host", () => {
    assert.deepEqual(parseCidrList("10.0.0.5 fd00::1"), ["10.0.0.5/32", "fd00::1/128"]);
  });

  test("normalises IPv6 spellings (IPv4-compatible stays compatible, not mapped)", () => {
    assert.deepEqual(parseCidrList("0:0:0:0:0:0:0:1/128 ::127.0.0.0/104 ::ffff:127.0.0.0/104"), [
      "::1/128",
      "::7f00:0/104",
      "::ffff:7f00:0/104",
    ]);
  });

  test("throws naming the bad entry", () => {
    for (const bad of ["10.0.0.0/33", "::1/129", "::1/-1", "10.0.0.0/8.5", "localhost", "10.0.0/8", "10.0.0.0.", "[::1]/128", "010.0.0.0/8", "0x7f.1/8", "10.0.0.0/", "1.2.3.4/8/9", "fe80::%eth0/64"]) {
      assert.throws(
        () => parseCidrList(`127.0.0.0/8, ${bad}`),
        (err: unknown) => err instanceof Error && err.message.includes(`"${bad}"`),
        `expected ${bad} to be rejected by name`,
      );
    }
  });
});

describe("isBlockedAddress", () => {
  const blocked: Record<string, string[]> = {
    unspecified: ["0.0.0.0", "0.1.2.3", "::"],
    loopback: ["127.0.0.1", "127.255.255.254", "::1"],
    private: ["10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1"],
    "link-local": ["169.254.1.1", "fe80::1", "fe80::1%eth0"],
    "carrier-grade NAT": ["100.64.0.1", "100.127.255.255"],
    metadata: ["169.254.169.254", "fd00:ec2::254"],
    multicast: ["224.0.0.1", "239.255.255.250", "ff02::1"],
    broadcast: ["255.255.255.255"],
    reserved: ["240.0.0.1", "192.0.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "198.19.255.255", "2001:db8::1"],
    "unique-local / site-local": ["fc00::1", "fd12:3456::1", "fec0::1"],
    "IPv4 embedded in IPv6": [
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:10.0.0.5",
      "::ffff:169.254.169.254",
      "::127.0.0.1", // IPv4-compatible (deprecated)
      "64:ff9b::127.0.0.1", // NAT64
      "64:ff9b::a00:5",
      "64:ff9b:1::a00:5", // local-use NAT64
      "2002:7f00:1::1", // 6to4 of 127.0.0.1
      "2002:5db8:d822::1", // 6to4 (even of a public IPv4)
      "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
    ],
    "not global unicast": ["4000::1", "100::1"],
  };
  for (const [kind, ips] of Object.entries(blocked)) {
    test(`blocks ${kind} addresses by default`, () => {
      for (const ip of ips) assert.equal(isBlockedAddress(ip, DEFAULT), true, ip);
    });
  }

  test("allows public unicast addresses", () => {
    for (const ip of ["93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "2a00:1450:4001::200e", "::ffff:93.184.216.34", "64:ff9b::8.8.8.8"]) {
      assert.equal(isBlockedAddress(ip, DEFAULT), false, ip);
    }
  });

  test("parses every IPv4 spelling the OS resolver accepts, without relying on URL", () => {
    for (const ip of ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.0.0.1.", "[::1]", "0:0:0:0:0:0:0:1"]) {
      assert.equal(isBlockedAddress(ip, DEFAULT), true, ip);
      assert.equal(isBlockedAddress(ip, LOOPBACK), false, ip);
    }
  });

  test("treats input that is not an IP address as blocked", () => {
    for (const ip of ["", "example.com", "1.2.3.4.5", "not an ip"]) assert.equal(isBlockedAddress(ip, DEFAULT), true, ip);
  });

  test("allowed subnets unblock exactly their range", () => {
    const policy = allow("10.0.0.0/8", "fd00::/8", "169.254.169.254/32");
    assert.equal(isBlockedAddress("10.0.0.5", policy), false);
    assert.equal(isBlockedAddress("fd12::1", policy), false);
    assert.equal(isBlockedAddress("169.254.169.254", policy), false);
    assert.equal(isBlockedAddress("169.254.1.1", policy), true);
    assert.equal(isBlockedAddress("192.168.1.1", policy), true);
    assert.equal(isBlockedAddress("127.0.0.1", policy), true);
  });

  test("IPv4-mapped IPv6 is judged as its IPv4 address", () => {
    assert.equal(isBlockedAddress("::ffff:127.0.0.1", LOOPBACK_V4), false);
    assert.equal(isBlockedAddress("::ffff:7f00:1", LOOPBACK_V4), false);
    assert.equal(isBlockedAddress("::ffff:127.0.0.1", LOOPBACK_V6), true);
    assert.equal(isBlockedAddress("::ffff:10.0.0.5", allow("10.0.0.0/8")), false);
  });

  test("tunnel prefixes are only allowed when allow-listed as IPv6", () => {
    assert.equal(isBlockedAddress("2002:7f00:1::1", LOOPBACK_V4), true);
    assert.equal(isBlockedAddress("2002:7f00:1::1", allow("2002::/16")), false);
    assert.equal(isBlockedAddress("::127.0.0.1", LOOPBACK_V4), true);
  });
});

describe("checkEndpointUrl", () => {
  const loopbackSpellings = ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "0x7f.0.0.1", "127.0.0.1.", "127.0.0.1..", "%31%32%37.0.0.1"];

  test("WHATWG URL normalises IPv4 spellings to dotted decimal (we re-check anyway)", () => {
    for (const host of loopbackSpellings.filter((h) => h !== "127.0.0.1..")) {
      assert.equal(new URL(`http://${host}/`).hostname, "127.0.0.1", host);
    }
    // ...but not all of them: this one is left as a "domain name".
    assert.equal(new URL("http://127.0.0.1../").hostname, "127.0.0.1..");
    assert.equal(new URL("http://0/").hostname, "0.0.0.0");
    assert.equal(new URL("http://[::ffff:127.0.0.1]/").hostname, "[::ffff:7f00:1]");
  });

  for (const host of loopbackSpellings) {
    test(`loopback spelling ${host} is refused by default, allowed with 127.0.0.0/8`, () => {
      assertRefused(`http://${host}:8080/hook`, DEFAULT, /loopback address; set HERALD_ALLOWED_SUBNETS to allow it$/);
      assertRefused(`http://${host}:8080/hook`, LOOPBACK_V6, /loopback/);
      assertAccepted(`http://${host}:8080/hook`, LOOPBACK_V4);
    });
  }

  test("reason names the host in readable form", () => {
    assert.deepEqual(checkEndpointUrl("http://127.0.0.1/", DEFAULT), {
      ok: false,
      reason: "URL host 127.0.0.1 is a loopback address; set HERALD_ALLOWED_SUBNETS to allow it",
    });
    assertRefused("http://[::ffff:127.0.0.1]/", DEFAULT, /^URL host \[::ffff:7f00:1\] \(127\.0\.0\.1\) is a loopback address/);
  });

  for (const host of ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]"]) {
    test(`IPv4-mapped ${host} is refused by default, allowed with 127.0.0.0/8`, () => {
      assertRefused(`https://${host}/`, DEFAULT, /loopback/);
      assertRefused(`https://${host}/`, LOOPBACK_V6, /loopback/);
      assertAccepted(`https://${host}/`, LOOPBACK_V4);
    });
  }

  test("[::1] is refused by default, allowed with ::1/128", () => {
    assertRefused("http://[::1]:3000/", DEFAULT, /^URL host \[::1\] is a loopback address/);
    assertRefused("http://[::1]:3000/", LOOPBACK_V4, /loopback/);
    assertAccepted("http://[::1]:3000/", LOOPBACK_V6);
  });

  test("0.0.0.0, 0 and [::] are refused", () => {
    for (const host of ["0.0.0.0", "0", "[::]"]) {
      assertRefused(`http://${host}/`, DEFAULT, /unspecified/);
      assertRefused(`http://${host}/`, LOOPBACK, /unspecified/);
    }
    assertAccepted("http://0/", allow("0.0.0.0/8"));
  });

  for (const host of ["localhost", "LOCALHOST.", "api.localhost", "a.b.localhost."]) {
    test(`${host} is refused unless loopback is allowed`, () => {
      assertRefused(`http://${host}:8080/`, DEFAULT, /is a loopback name; set HERALD_ALLOWED_SUBNETS/);
      assertAccepted(`http://${host}:8080/`, LOOPBACK_V4);
      assertAccepted(`http://${host}:8080/`, LOOPBACK_V6);
      assertAccepted(`http://${host}:8080/`, { allowedSubnets: [], allowedDomains: ["localhost"] });
    });
  }

  test("names that merely contain 'localhost' are ordinary names", () => {
    assertAccepted("http://localhost.example.com/", DEFAULT);
    assertAccepted("http://mylocalhost/", DEFAULT);
  });

  test("other non-public IP literals are refused with their category", () => {
    const cases: Array<[string, RegExp]> = [
      ["10.0.0.5", /private/],
      ["172.16.0.1", /private/],
      ["192.168.1.1", /private/],
      ["0300.0250.0.1", /private/], // 192.168.0.1
      ["169.254.169.254", /cloud metadata/],
      ["[fd00:ec2::254]", /cloud metadata/],
      ["169.254.10.10", /link-local/],
      ["[fe80::1]", /link-local/],
      ["100.64.0.1", /carrier-grade NAT/],
      ["224.0.0.1", /multicast/],
      ["[ff02::1]", /multicast/],
      ["255.255.255.255", /broadcast/],
      ["240.0.0.1", /reserved/],
      ["192.0.2.1", /reserved or documentation/],
      ["198.51.100.1", /reserved or documentation/],
      ["203.0.113.1", /reserved or documentation/],
      ["198.18.0.1", /reserved or documentation/],
      ["192.0.0.8", /reserved or documentation/],
      ["[2001:db8::1]", /reserved or documentation/],
      ["[fc00::1]", /unique-local/],
      ["[fec0::1]", /site-local/],
      ["[64:ff9b::10.0.0.1]", /\(10\.0\.0\.1\) is a private address/],
      ["[2002:7f00:1::]", /6to4/],
      ["[2001:0:4136:e378:8000:63bf:3fff:fdd2]", /Teredo/],
      ["[::127.0.0.1]", /outside the global unicast range/],
    ];
    for (const [host, reason] of cases) assertRefused(`https://${host}/hook`, DEFAULT, reason);
  });

  test("public addresses and names are accepted", () => {
    for (const url of [
      "http://93.184.216.34/",
      "https://[2606:4700::1111]:8443/x?y=1",
      "https://example.com/webhooks",
      "https://hooks.example.com:8443/a/b#c",
      "HTTPS://EXAMPLE.COM/",
    ]) {
      assertAccepted(url, DEFAULT);
    }
    assert.equal(assertAccepted("https://example.com/webhooks", DEFAULT).href, "https://example.com/webhooks");
  });

  test("refuses non-http(s) schemes", () => {
    for (const url of ["ftp://example.com/file", "file:///etc/passwd", "javascript:alert(1)", "data:text/plain,hi", "gopher://example.com/", "ws://example.com/"]) {
      assertRefused(url, DEFAULT, /scheme .* is not allowed; use http: or https:/);
    }
  });

  test("refuses URLs carrying credentials", () => {
    for (const url of ["https://user:pass@example.com/", "https://user@example.com/", "https://:secret@example.com/", "http://user:pass@127.0.0.1/"]) {
      assertRefused(url, LOOPBACK, /must not contain credentials/);
    }
  });

  test("refuses unparseable URLs and URLs without a host", () => {
    for (const url of ["", "not a url", "http://", "http://[::1/", "http://exa mple.com/", "http://1.2.3.4.5/"]) {
      assertRefused(url, DEFAULT, /Not a valid URL|no host/);
    }
  });

  test("allowedDomains lets names through but never IP literals", () => {
    const policy: AddressPolicy = { allowedSubnets: [], allowedDomains: ["internal.example", "127.0.0.1"] };
    assertAccepted("http://hooks.internal.example/", policy);
    assertRefused("http://127.0.0.1/", policy, /loopback/);
  });
});

describe("assertSendableHost", () => {
  test("throws EBLOCKEDADDRESS for blocked IP literals in any form", () => {
    for (const host of ["127.0.0.1", "[::1]", "::1", "[::ffff:7f00:1]", "10.0.0.5", "169.254.169.254", "0.0.0.0"]) {
      assert.throws(
        () => assertSendableHost(host, DEFAULT),
        (err: NodeJS.ErrnoException) => err.code === "EBLOCKEDADDRESS" && /^Refusing to connect to .*HERALD_ALLOWED_SUBNETS/.test(err.message),
        host,
      );
    }
  });

  test("passes public IPs, allow-listed IPs, and names (left to the lookup)", () => {
    assertSendableHost("93.184.216.34", DEFAULT);
    assertSendableHost("[2606:4700::1111]", DEFAULT);
    assertSendableHost("[::ffff:7f00:1]", LOOPBACK_V4);
    assertSendableHost("[::1]", LOOPBACK_V6);
    assertSendableHost("example.com", DEFAULT);
  });
});

// A fake DNS edge: returns the chosen addresses and records what it was asked.
function fakeDns(table: Record<string, string[]>): LookupAllImpl & { calls: LookupAllOptions[] } {
  const calls: LookupAllOptions[] = [];
  const impl: LookupAllImpl = (hostname, options, callback) => {
    calls.push(options);
    const addresses = table[hostname];
    if (!addresses) {
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      err.code = "ENOTFOUND";
      return process.nextTick(callback, err, []);
    }
    const result: LookupAddress[] = addresses.map((address) => ({ address, family: net.isIP(address) }));
    process.nextTick(callback, null, result);
  };
  return Object.assign(impl, { calls });
}

type LookupResult = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number | undefined };
function lookupP(lookup: LookupFunction, hostname: string, options: LookupOptions = {}): Promise<LookupResult> {
  return new Promise((resolve) => lookup(hostname, options, (err, address, family) => resolve({ err, address, family })));
}

describe("makeGuardedLookup", () => {
  const dns = fakeDns({
    "private.example": ["10.0.0.5"],
    "public.example": ["93.184.216.34", "2606:4700::1111"],
    "mixed.example": ["93.184.216.34", "10.0.0.5"],
    "mixed6.example": ["2606:4700::1111", "::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "hooks.internal.example": ["10.0.0.5"],
    "internal.example": ["10.0.0.6"],
    "empty.example": [],
  });

  test("refuses a name resolving to a private address", async () => {
    const { err } = await lookupP(makeGuardedLookup(DEFAULT, dns), "private.example");
    assert.equal(err?.code, "EBLOCKEDADDRESS");
    assert.equal(
      err?.message,
      "Refusing to connect to private.example: it resolved to 10.0.0.5, which is a private address; set HERALD_ALLOWED_SUBNETS to allow it",
    );
  });

  test("accepts a name resolving to public addresses, in the shape the caller asked for", async () => {
    const lookup = makeGuardedLookup(DEFAULT, dns);
    assert.deepEqual(await lookupP(lookup, "public.example"), { err: null, address: "93.184.216.34", family: 4 });
    assert.deepEqual(await lookupP(lookup, "public.example", { all: true }), {
      err: null,
      address: [
        { address: "93.184.216.34", family: 4 },
        { address: "2606:4700::1111", family: 6 },
      ],
      family: undefined,
    });
  });

  test("always resolves all addresses and passes other options through", async () => {
    dns.calls.length = 0;
    await lookupP(makeGuardedLookup(DEFAULT, dns), "public.example", { family: 4, hints: 0 });
    assert.deepEqual(dns.calls, [{ family: 4, hints: 0, all: true }]);
  });

  test("refuses when any resolved address is blocked", async () => {
    const lookup = makeGuardedLookup(DEFAULT, dns);
    for (const host of ["mixed.example", "mixed6.example", "mapped.example"]) {
      for (const all of [false, true]) {
        const { err } = await lookupP(lookup, host, { all });
        assert.equal(err?.code, "EBLOCKEDADDRESS", `${host} all=${all}`);
      }
    }
    const { err } = await lookupP(lookup, "mapped.example");
    assert.match(err?.message ?? "", /resolved to ::ffff:127\.0\.0\.1 \(127\.0\.0\.1\), which is a loopback address/);
  });

  test("allowed subnets let resolved addresses through", async () => {
    assert.equal((await lookupP(makeGuardedLookup(allow("10.0.0.0/8"), dns), "mixed.example")).err, null);
    assert.equal((await lookupP(makeGuardedLookup(LOOPBACK_V4, dns), "mapped.example")).err, null);
  });

  test("allowed domains skip the check, including subdomains", async () => {
    const policy: AddressPolicy = { allowedSubnets: [], allowedDomains: ["internal.example"] };
    const lookup = makeGuardedLookup(policy, dns);
    assert.deepEqual(await lookupP(lookup, "hooks.internal.example"), { err: null, address: "10.0.0.5", family: 4 });
    assert.deepEqual(await lookupP(lookup, "internal.example"), { err: null, address: "10.0.0.6", family: 4 });
    assert.equal((await lookupP(lookup, "private.example")).err?.code, "EBLOCKEDADDRESS");
  });

  test("*.domain allows subdomains only", async () => {
    const lookup = makeGuardedLookup({ allowedSubnets: [], allowedDomains: ["*.internal.example"] }, dns);
    assert.equal((await lookupP(lookup, "hooks.internal.example")).err, null);
    assert.equal((await lookupP(lookup, "internal.example")).err?.code, "EBLOCKEDADDRESS");
  });

  test("an invalid allowedSubnets entry fails the lookup (closed) instead of throwing", async () => {
    const { err } = await lookupP(makeGuardedLookup(allow("10.0.0.0/99"), dns), "private.example");
    assert.match(err?.message ?? "", /Invalid subnet "10\.0\.0\.0\/99"/);
  });

  test("passes DNS errors through and treats an empty answer as not found", async () => {
    const lookup = makeGuardedLookup(DEFAULT, dns);
    assert.equal((await lookupP(lookup, "nxdomain.example")).err?.code, "ENOTFOUND");
    assert.equal((await lookupP(lookup, "empty.example")).err?.code, "ENOTFOUND");
  });
});

// End to end with the real resolver: "localhost" -> 127.0.0.1 (and maybe ::1).
// The server listens on 127.0.0.1 only; no traffic leaves the loopback interface.
describe("guarded lookup through undici and net", () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer((_req, res) => res.end("hello"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function get(policy: AddressPolicy): Promise<{ status: number; body: string }> {
    const agent = new Agent({ connect: { lookup: makeGuardedLookup(policy) } });
    try {
      const res = await request(`http://localhost:${port}/`, { dispatcher: agent });
      return { status: res.statusCode, body: await res.body.text() };
    } finally {
      await agent.close();
    }
  }

  test("undici: localhost is refused by the default policy", async () => {
    await assert.rejects(get(DEFAULT), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, "EBLOCKEDADDRESS");
      assert.match(err.message, /^Refusing to connect to localhost: it resolved to .*loopback address/);
      return true;
    });
  });

  test("undici: localhost works when loopback is allowed", async () => {
    assert.deepEqual(await get(LOOPBACK), { status: 200, body: "hello" });
  });

  test("net.connect without autoSelectFamily (single-address lookup) is guarded too", async () => {
    const connect = (policy: AddressPolicy) =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: "localhost", port, family: 4, autoSelectFamily: false, lookup: makeGuardedLookup(policy) });
        socket.once("connect", () => {
          socket.destroy();
          resolve();
        });
        socket.once("error", reject);
      });
    await assert.rejects(connect(DEFAULT), { code: "EBLOCKEDADDRESS" });
    await connect(LOOPBACK_V4);
  });
});
