import { Agent, type Dispatcher, ProxyAgent, request, Socks5ProxyAgent } from "undici";

import { type AddressPolicy, assertSendableHost, makeGuardedLookup } from "../net/address-policy.ts";

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
}

const IP_LITERAL = /^(\d+\.\d+\.\d+\.\d+|\[.*\])$/;

function makeDispatcher(options: HttpSenderOptions): Dispatcher {
  const connect = { lookup: makeGuardedLookup(options.addressPolicy), timeout: 10_000 };
  const pool = { connections: options.connectionsPerOrigin ?? 128, keepAliveTimeout: 30_000, pipelining: 1 };
  if (!options.proxyUrl) return new Agent({ ...pool, connect });
  if (options.proxyUrl.startsWith("socks5:")) return new Socks5ProxyAgent(options.proxyUrl, pool);
  return new ProxyAgent({ uri: options.proxyUrl, ...pool });
}

export function makeHttpSender(options: HttpSenderOptions): HttpSender {
  const dispatcher = makeDispatcher(options);
  const guardedLookup = makeGuardedLookup(options.addressPolicy);

  /** Through a proxy the proxy resolves names, so resolve (and check) them ourselves first. */
  function checkViaProxy(hostname: string): Promise<void> {
    return new Promise((resolve, reject) => guardedLookup(hostname, { all: true }, (error) => (error ? reject(error) : resolve())));
  }

  return {
    async send(outbound) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const hostname = new URL(outbound.url).hostname;
        if (IP_LITERAL.test(hostname)) assertSendableHost(hostname, options.addressPolicy);
        else if (options.proxyUrl) await checkViaProxy(hostname);
        const response = await request(outbound.url, {
          dispatcher,
          method: outbound.method as Dispatcher.HttpMethod,
          headers: outbound.headers,
          body: outbound.body,
          signal: AbortSignal.timeout(outbound.timeoutMs),
          headersTimeout: outbound.timeoutMs,
          bodyTimeout: outbound.timeoutMs,
        });
        const body = await readLimited(response.body, options.responseBodyLimit);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
        }
        return { kind: "response", status: response.statusCode, headers, body, durationMs: elapsed() };
      } catch (error) {
        return { kind: "error", ...describeError(error, outbound.timeoutMs), durationMs: elapsed() };
      }
    },
    async close() {
      await dispatcher.close();
    },
  };
}

async function readLimited(body: Dispatcher.ResponseData["body"], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size < limit) chunks.push(buffer.subarray(0, limit - size));
    size += buffer.length;
    if (size >= limit) break;
  }
  // Drain (bounded) what we did not keep, so the keep-alive connection is reusable.
  await body.dump({ limit: 1024 * 1024 }).catch(() => undefined);
  return Buffer.concat(chunks).toString("utf8");
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
