import type { StringMap } from "./types.ts";

/**
 * Custom endpoint headers: which names a user may set, and which are sensitive (stored encrypted,
 * never returned, redacted in attempt logs). Lists follow Svix's server.
 */
const FORBIDDEN_NAMES = new Set([
  "host",
  "user-agent",
  "content-type",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "proxy-connection",
]);
const FORBIDDEN_PREFIXES = ["webhook-", "svix-", "x-svix-", "x-amz-", "x-goog-", "x-azure-", "proxy-"];
const SENSITIVE_NAMES = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "apikey",
  "x-auth-token",
  "x-access-token",
  "x-csrf-token",
]);

export const REDACTED = "[redacted]";

export function isSensitiveHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_NAMES.has(lower) || /(^|-)(secret|token|password)($|-)/.test(lower);
}

/** Returns a reason if the header may not be set by a user, else null. */
export function checkCustomHeader(name: string, value: string): string | null {
  const lower = name.toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return `"${name}" is not a valid header name`;
  if (FORBIDDEN_NAMES.has(lower) || FORBIDDEN_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
    return `header "${name}" is set by Herald and cannot be overridden`;
  }
  if (/[\r\n\0]/.test(value)) return `header "${name}" has a line break or NUL in its value`;
  if (value.length > 8192) return `header "${name}" is longer than 8192 characters`;
  return null;
}

/** What GET …/headers shows: non-sensitive headers with values, sensitive ones by name only. */
export function headersForDisplay(headers: StringMap): { headers: StringMap; sensitive: string[] } {
  const visible: StringMap = {};
  const sensitive: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (isSensitiveHeader(name)) sensitive.push(name);
    else visible[name] = value;
  }
  return { headers: visible, sensitive };
}

export function redactHeaders(headers: StringMap): StringMap {
  const redacted: StringMap = {};
  for (const [name, value] of Object.entries(headers)) redacted[name] = isSensitiveHeader(name) ? REDACTED : value;
  return redacted;
}
