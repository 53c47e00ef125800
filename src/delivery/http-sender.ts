import { createHash } from "node:crypto";
import { rootCertificates } from "node:tls";

import { Agent, type Dispatcher, ProxyAgent, Socks5ProxyAgent } from "undici";

import type { MtlsIdentity } from "../crypto/mtls-identity.ts";
import { type AddressPolicy, assertSendableHost, makeGuardedLookup } from "../net/address-policy.ts";
import { dispatchRequest } from "./dispatch-request.ts";

/**
 * The one place Herald makes outbound HTTP requests: keep-alive connections (undici), no
 * redirects, a hard deadline per request, the response body read up to a limit, and every
 * connection checked against the address policy after DNS resolution.
 */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The endpoint's mTLS client identity, presented during the TLS handshake. */
  clientIdentity?: MtlsIdentity | null;
}

export type SendResult =
  | { kind: "response"; status: number; headers: Record<string, string>; body: string; durationMs: number }
  | { kind: "error"; message: string; code: string; durationMs: number };

export interface HttpSender {
  send(outbound: OutboundRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export interface HttpSenderOptions {
  addressPolicy: AddressPolicy;
  proxyUrl: string | null;
  /** Response bytes kept; the rest is drained so the connection can be reused. */
  responseBodyLimit: number;
  connectionsPerOrigin?: number;
  /** Extra trusted CAs (PEM), added to Node's roots. */
  trustedCa?: string | null;
}

/** Distinct mTLS identities whose connection pools are kept; the least recently used beyond it is closed. */
const MAX_IDENTITY_POOLS = 256;

const IP_LITERAL = /^(\d+\.\d+\.\d+\.\d+|\[.*\])$/;

/** A connection pool, optionally presenting a client identity; every connection goes through the address policy. */
function makeDispatcher(options: HttpSenderOptions, identity: MtlsIdentity | null): Dispatcher {
  const tls = {
    ...(identity ? { key: identity.key, cert: identity.cert } : {}),
    ...(options.trustedCa ? { ca: [...rootCertificates, options.trustedCa] } : {}),
  };
  const connect = { lookup: makeGuardedLookup(options.addressPolicy), timeout: 10_000, ...tls };
  const pool = { connections: options.connectionsPerOrigin ?? 128, keepAliveTimeout: 30_000, pipelining: 1 };
  if (!options.proxyUrl) return new Agent({ ...pool, connect });
  // undici's SOCKS5 agent takes no TLS options for the target, so mTLS and extra CAs need an HTTP(S) proxy.
  if (options.proxyUrl.startsWith("socks5:")) return new Socks5ProxyAgent(options.proxyUrl, pool);
  return new ProxyAgent({ uri: options.proxyUrl, ...pool, requestTls: tls });
}

export function makeHttpSender(options: HttpSenderOptions): HttpSender {
  const dispatcher = makeDispatcher(options, null);
  /** mTLS pools by identity fingerprint, in least-recently-used order (a Map keeps insertion order). */
  const identityPools = new Map<string, Dispatcher>();
  const guardedLookup = makeGuardedLookup(options.addressPolicy);

  function dispatcherFor(identity: MtlsIdentity | null | undefined): Dispatcher {
    if (!identity) return dispatcher;
    const fingerprint = createHash("sha256").update(identity.key).update("\0").update(identity.cert).digest("hex");
    let pool = identityPools.get(fingerprint);
    if (pool) identityPools.delete(fingerprint);
    else pool = makeDispatcher(options, identity);
    identityPools.set(fingerprint, pool);
    if (identityPools.size > MAX_IDENTITY_POOLS) {
      const [oldest, oldestPool] = identityPools.entries().next().value!;
      identityPools.delete(oldest);
      void oldestPool.close().catch(() => undefined);
    }
    return pool;
  }

  /** Through a proxy the proxy resolves names, so resolve (and check) them ourselves first. */
  function checkViaProxy(hostname: string): Promise<void> {
    return new Promise((resolve, reject) => guardedLookup(hostname, { all: true }, (error) => (error ? reject(error) : resolve())));
  }

  return {
    async send(outbound) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const url = new URL(outbound.url);
        if (IP_LITERAL.test(url.hostname)) assertSendableHost(url.hostname, options.addressPolicy);
        else if (options.proxyUrl) await checkViaProxy(url.hostname);
        const response = await dispatchRequest(dispatcherFor(outbound.clientIdentity), {
          origin: url.origin,
          path: url.pathname + url.search,
          method: outbound.method,
          headers: outbound.headers,
          body: outbound.body,
          // The deadline covers the whole request, a name resolved through the proxy included.
          timeoutMs: Math.max(1, outbound.timeoutMs - elapsed()),
          bodyLimit: options.responseBodyLimit,
        });
        return { kind: "response", ...response, durationMs: elapsed() };
      } catch (error) {
        const described = describeError(error, outbound.timeoutMs);
        // Under TLS 1.3 a server that wants a client certificate closes the connection after the
        // handshake, so all undici sees is the socket closing: say what it most likely means.
        if (outbound.url.startsWith("https:") && !outbound.clientIdentity && (described.code === "UND_ERR_SOCKET" || described.code === "ECONNRESET")) {
          described.message += " (if the receiver requires a client certificate, set the endpoint's mTLS identity)";
        }
        return { kind: "error", ...described, durationMs: elapsed() };
      }
    },
    async close() {
      await Promise.all([dispatcher, ...identityPools.values()].map((pool) => pool.close()));
    },
  };
}

/** A readable, stable description of a failed request, for the attempt log. */
function describeError(error: unknown, timeoutMs: number): { message: string; code: string } {
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code ?? err.name ?? "ERROR";
  if (err.name === "TimeoutError" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
    return { code: "TIMEOUT", message: `Request timed out after ${timeoutMs} ms` };
  }
  const messages: Record<string, string> = {
    ECONNREFUSED: "Connection refused",
    ECONNRESET: "Connection reset by the receiver",
    ENOTFOUND: "Host name not found (DNS)",
    EAI_AGAIN: "DNS lookup failed temporarily",
    UND_ERR_SOCKET: "Connection closed by the receiver",
    CERT_HAS_EXPIRED: "TLS certificate has expired",
    DEPTH_ZERO_SELF_SIGNED_CERT: "TLS certificate is self-signed",
  };
  return { code, message: messages[code] ?? err.message ?? err.cause?.message ?? String(error) };
}
