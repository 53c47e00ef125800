import type { StringMap } from "./types.ts";

/**
 * Custom endpoint headers: which names a user may set, and which are sensitive (stored encrypted,
 * never returned, redacted in attempt logs). The forbidden names follow Svix's server.
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
/**
 * A header is sensitive when a word of its name says it carries a credential: names are split at
 * `-`, `_`, `.` and lower-to-upper case changes (`X-Hub-Signature-Key`, `Api_Key`, `X-Apikey`,
 * `PrivateKey`). A rule rather than a list, because receivers invent new names; it errs on the
 * side of hiding (`Key-Id` is hidden too). A signature is not a credential (it proves one body,
 * and the log shows it); a signing key is. The operator can add whole names (HERALD_SENSITIVE_HEADERS).
 */
const SENSITIVE_WORDS = new Set([
  "auth",
  "authorization",
  "authentication",
  "apikey",
  "key",
  "secret",
  "token",
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "credential",
  "credentials",
  "cookie",
  "session",
  "private",
  "bearer",
  "jwt",
  "otp",
  "csrf",
  "xsrf",
]);

export const REDACTED = "[redacted]";

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .split(/[-_.]+/);
}

/** `extraNames`: the operator's additions, lower case. */
export function isSensitiveHeader(name: string, extraNames: readonly string[] = []): boolean {
  return nameWords(name).some((word) => SENSITIVE_WORDS.has(word)) || extraNames.includes(name.toLowerCase());
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
export function headersForDisplay(headers: StringMap, extraNames: readonly string[] = []): { headers: StringMap; sensitive: string[] } {
  const visible: StringMap = {};
  const sensitive: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (isSensitiveHeader(name, extraNames)) sensitive.push(name);
    else visible[name] = value;
  }
  return { headers: visible, sensitive };
}

export function redactHeaders(headers: StringMap, extraNames: readonly string[] = []): StringMap {
  const redacted: StringMap = {};
  for (const [name, value] of Object.entries(headers)) redacted[name] = isSensitiveHeader(name, extraNames) ? REDACTED : value;
  return redacted;
}
