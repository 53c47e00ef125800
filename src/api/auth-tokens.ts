import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Bearer tokens. The admin token is a shared secret from configuration. App-scoped tokens (what
 * `app-portal-access` hands out for one application's consumer portal) are self-contained: the
 * application id and expiry, signed with an HMAC keyed from the main secret, so every API process
 * can check them without a database read.
 */
export type Principal = { kind: "admin" } | { kind: "app"; appId: string };

const APP_TOKEN_PREFIX = "happ_";

function sign(payload: string, mainSecret: string): string {
  return createHmac("sha256", "herald-app-token:" + mainSecret).update(payload).digest("base64url");
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function makeAppToken(appId: string, expiresAtMs: number, mainSecret: string): string {
  const payload = Buffer.from(JSON.stringify({ app: appId, exp: Math.floor(expiresAtMs / 1000) })).toString("base64url");
  return `${APP_TOKEN_PREFIX}${payload}~${sign(payload, mainSecret)}`;
}

/** Resolves a bearer token to who it speaks for, or null if it is not valid now. */
export function verifyToken(token: string, options: { adminToken: string; mainSecret: string; nowMs: number }): Principal | null {
  if (safeEqual(token, options.adminToken)) return { kind: "admin" };
  if (!token.startsWith(APP_TOKEN_PREFIX)) return null;
  const [payload, signature] = token.slice(APP_TOKEN_PREFIX.length).split("~");
  if (!payload || !signature || !safeEqual(signature, sign(payload, options.mainSecret))) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { app?: unknown; exp?: unknown };
    if (typeof claims.app !== "string" || typeof claims.exp !== "number") return null;
    if (claims.exp * 1000 <= options.nowMs) return null;
    return { kind: "app", appId: claims.app };
  } catch {
    return null;
  }
}
