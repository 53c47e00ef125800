import type { Dispatcher } from "undici";

/** A response as the sender keeps it: the body cut at the caller's limit. */
export interface CollectedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface DispatchedRequest {
  origin: string;
  /** Path and query string. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Response bytes kept; the rest is read and dropped so the connection can be reused. */
  bodyLimit: number;
}

/**
 * Bytes read and dropped past the body limit before giving up on the connection: a receiver that
 * answers megabytes costs one connection rather than the time to read them all.
 */
const DRAIN_LIMIT = 1024 * 1024;

/**
 * A receiver's bytes as text any store can keep: invalid UTF-8 becomes U+FFFD (toString does it),
 * and so does NUL, which PostgreSQL's text type refuses; a body it refused would leave the attempt
 * unrecorded and the message sent again and again.
 */
function storableText(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}

/**
 * One request through undici's dispatch API, the layer its `request()` is built on, with the
 * response collected by callbacks: no body stream, no async iterator, no AbortController per
 * request. At thousands of deliveries a second those were a good part of the sending thread's
 * work and of its garbage.
 *
 * Rejects with undici's error (connection, headers or body timeout, address policy) or, when
 * `timeoutMs` passes first, with a TimeoutError. A request still queued for a connection when its
 * time is up is answered at once and aborted as soon as it gets one, before anything is written.
 */
export function dispatchRequest(dispatcher: Dispatcher, request: DispatchedRequest): Promise<CollectedResponse> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let timedOut: Error | null = null;
    let settled = false;
    let status = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let size = 0;

    const timer = setTimeout(() => {
      timedOut = new DOMException(`Request timed out after ${request.timeoutMs} ms`, "TimeoutError");
      fail(timedOut);
      controller?.abort(timedOut);
    }, request.timeoutMs);

    function fail(error: unknown): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    }

    function succeed(): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, headers, body: storableText(Buffer.concat(chunks)) });
    }

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (timedOut) started.abort(timedOut);
      },
      onResponseStart(_controller, statusCode, responseHeaders) {
        status = statusCode;
        headers = flattenHeaders(responseHeaders);
      },
      onResponseData(current, chunk) {
        if (size < request.bodyLimit) chunks.push(chunk.subarray(0, request.bodyLimit - size));
        size += chunk.length;
        if (size > request.bodyLimit + DRAIN_LIMIT) {
          succeed();
          current.abort(new Error("response body dropped past the drain limit"));
        }
      },
      onResponseEnd: succeed,
      onResponseError(_controller, error) {
        fail(error);
      },
    };

    try {
      dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body,
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      fail(error);
    }
  });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}
