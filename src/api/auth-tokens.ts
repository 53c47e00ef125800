import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import { CAPABILITIES, type Capability, isCapability } from "./capabilities.ts";

/**
 * Bearer tokens. The admin token is a shared secret from configuration. App-scoped tokens (what
 * `app-portal-access` hands out for one application's consumer portal) are self-contained: their
 * claims (application, capabilities, feature flags, session, issue and expiry times) signed with an
 * HMAC keyed from the main secret, so every API process can check them without a database read.
 * Only revocation (logout, expire-all) needs the database (token-revocations.ts).
 */
export type Principal = { kind: "admin" } | AppPrincipal;

export interface AppPrincipal extends AppTokenClaims {
  kind: "app";
}

export interface AppTokenClaims {
  appId: string;
  capabilities: Capability[];
  featureFlags: string[];
  sessionId: string | null;
  /** Unique per token: what logout revokes. */
  tokenId: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

const APP_TOKEN_PREFIX = "happ_";
/** The single-use key a portal link carries (exchanged once for an app token). */
const ONE_TIME_KEY_PREFIX = "hotk_";

interface WireClaims {
  app: string;
  exp: number;
  iat?: number;
  jti?: string;
  cap?: string[];
  ff?: string[];
  sid?: string;
}

function sign(payload: string, mainSecret: string): string {
  return createHmac("sha256", "herald-app-token:" + mainSecret).update(payload).digest("base64url");
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function newTokenId(): string {
  return randomBytes(12).toString("base64url");
}

export function makeAppToken(claims: AppTokenClaims, mainSecret: string): string {
  const wire: WireClaims = {
    app: claims.appId,
    exp: Math.floor(claims.expiresAtMs / 1000),
    // Fractional seconds: a revocation compares issue times to the millisecond.
    iat: claims.issuedAtMs / 1000,
    jti: claims.tokenId,
    cap: claims.capabilities,
    ff: claims.featureFlags,
    ...(claims.sessionId !== null ? { sid: claims.sessionId } : {}),
  };
  const payload = Buffer.from(JSON.stringify(wire)).toString("base64url");
  return `${APP_TOKEN_PREFIX}${payload}~${sign(payload, mainSecret)}`;
}

function stringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/**
 * Claims from their wire form. Tokens minted before capabilities existed carry only `app` and
 * `exp`: they keep every capability (Svix's default) and count as issued at the epoch, so any
 * expire-all revokes them.
 */
function readClaims(wire: Partial<WireClaims>): AppTokenClaims | null {
  if (typeof wire.app !== "string" || typeof wire.exp !== "number") return null;
  const capabilities = wire.cap === undefined ? [...CAPABILITIES] : stringArray(wire.cap) ? wire.cap.filter(isCapability) : null;
  if (!capabilities || (wire.ff !== undefined && !stringArray(wire.ff))) return null;
  return {
    appId: wire.app,
    capabilities,
    featureFlags: wire.ff ?? [],
    sessionId: typeof wire.sid === "string" ? wire.sid : null,
    tokenId: typeof wire.jti === "string" ? wire.jti : "",
    issuedAtMs: typeof wire.iat === "number" ? Math.round(wire.iat * 1000) : 0,
    expiresAtMs: wire.exp * 1000,
  };
}

/** Resolves a bearer token to who it speaks for, or null if it is not valid now (revocation aside). */
export function verifyToken(token: string, options: { adminToken: string; mainSecret: string; nowMs: number }): Principal | null {
  if (safeEqual(token, options.adminToken)) return { kind: "admin" };
  if (!token.startsWith(APP_TOKEN_PREFIX)) return null;
  const [payload, signature] = token.slice(APP_TOKEN_PREFIX.length).split("~");
  if (!payload || !signature || !safeEqual(signature, sign(payload, options.mainSecret))) return null;
  let claims: AppTokenClaims | null;
  try {
    claims = readClaims(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Partial<WireClaims>);
  } catch {
    return null;
  }
  if (!claims || claims.expiresAtMs <= options.nowMs) return null;
  return { kind: "app", ...claims };
}

export function newOneTimeKey(): string {
  return ONE_TIME_KEY_PREFIX + randomBytes(24).toString("base64url");
}

/** Only this hash of a one-time key is stored, so the table alone cannot open a portal. */
export function hashOneTimeKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Claims as stored with a one-time key (the same JSON as the token's, without the signature). */
export function serializeClaims(claims: AppTokenClaims): string {
  return JSON.stringify(claims);
}

export function parseStoredClaims(text: string): AppTokenClaims {
  return JSON.parse(text) as AppTokenClaims;
}
