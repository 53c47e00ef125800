import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

import { DELIVERY_OPTION_NAMES, type DeliveryOptionName } from "../domain/delivery-options.ts";
import { parseCidrList } from "../net/address-policy.ts";

/**
 * Herald's resolved configuration: read from `HERALD_*` environment variables (and optionally a
 * JSON file named by HERALD_CONFIG_FILE with the same keys; the environment wins), validated once
 * at start-up and frozen. A bad value stops the start with a message naming the variable.
 */
export interface ResolvedConfig {
  /** @defaultValue 8071 */
  readonly port: number;
  /** @defaultValue "127.0.0.1" */
  readonly host: string;
  /** Base URL used in links Herald hands out (portal). @defaultValue http://<host>:<port> */
  readonly publicUrl: string;
  /** @defaultValue "./data" */
  readonly dataDir: string;
  /** postgres://… selects PostgreSQL; empty means SQLite in dataDir. */
  readonly databaseUrl: string | null;
  /** Connections per process to PostgreSQL. @defaultValue 10 */
  readonly databasePoolSize: number;
  /** Admin bearer token; generated into the data directory on first start when unset. */
  readonly adminToken: string | null;
  /** Key for encryption at rest and app-token signing; generated into the data directory when unset. */
  readonly mainSecret: string | null;
  readonly allowedSubnets: readonly string[];
  readonly allowedDomains: readonly string[];
  readonly proxyUrl: string | null;
  /**
   * Extra certificate authorities (PEM text, read from HERALD_TRUSTED_CA_FILE) trusted for endpoint
   * TLS besides Node's bundled roots: for receivers behind a private PKI.
   */
  readonly trustedCa: string | null;
  /** @defaultValue "info" */
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Delays between attempts, seconds. @defaultValue 5,300,1800,7200,18000,36000,36000 */
  readonly retryScheduleSeconds: readonly number[];
  /** @defaultValue 15000 */
  readonly requestTimeoutMs: number;
  /** Continuous failure after which an endpoint is disabled. @defaultValue 120 (5 days) */
  readonly disableAfterHours: number;
  /** Deliveries in flight per worker process. @defaultValue 256 */
  readonly workerConcurrency: number;
  /**
   * Outbound requests are made in a worker thread of their own (threaded-sender.ts), beside the
   * main thread's API, queue and store. @defaultValue true
   */
  readonly senderThread: boolean;
  /** Response bytes kept per attempt. @defaultValue 20000 */
  readonly responseBodyLimit: number;
  /** Messages and their attempts are deleted this many days after creation. @defaultValue 90 */
  readonly retentionDays: number;
  /** Time a client has to send a whole request (headers and body) before the API drops it. @defaultValue 30000 */
  readonly apiRequestTimeoutMs: number;
  /** Requests per second for one application's app tokens together (0: no limit). @defaultValue 100 */
  readonly apiRateLimit: number;
  /** Requests per second for the admin token (0: no limit). @defaultValue 0 */
  readonly apiAdminRateLimit: number;
  /** Custom header names, lower case, redacted and hidden beside those the rule finds (src/domain/endpoint-headers.ts). */
  readonly sensitiveHeaders: readonly string[];
  /** Origins whose pages may call the API from a browser (CORS; bearer tokens, no cookies). @defaultValue ["*"] */
  readonly corsOrigins: readonly string[];
  readonly portal: PortalConfig;
}

/** What the consumer portal shows and lets consumers do (GET /api/v1/environment/settings). */
export interface PortalConfig {
  /** Who may embed the portal in a frame (CSP frame-ancestors sources). @defaultValue ["*"] */
  readonly frameAncestors: readonly string[];
  readonly displayName: string | null;
  readonly logoUrl: string | null;
  /** `#RRGGBB` */
  readonly primaryColor: string | null;
  readonly fontFamily: string | null;
  /** The delivery options an app token may set on an endpoint (the portal shows only these). @defaultValue all of DELIVERY_OPTION_NAMES */
  readonly editableDeliveryOptions: readonly EditableDeliveryOption[];
  readonly enableTransformations: boolean;
  readonly enableMtls: boolean;
  readonly enableChannels: boolean;
}

export type EditableDeliveryOption = DeliveryOptionName;

export const DEFAULT_RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 36000];

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

type Source = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

function readConfigFile(env: Source): Source {
  const file = env.HERALD_CONFIG_FILE;
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError("HERALD_CONFIG_FILE", `cannot be read as JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("HERALD_CONFIG_FILE", "must hold a JSON object of HERALD_* keys");
  }
  const source: Source = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!key.startsWith("HERALD_")) throw new ConfigError("HERALD_CONFIG_FILE", `has unknown key ${key}`);
    source[key] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return source;
}

function integer(source: Source, name: string, fallback: number, min: number, max: number): number {
  const raw = source[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function flag(source: Source, name: string, fallback: boolean): boolean {
  const raw = source[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(name, `must be true or false, got "${source[name]}"`);
}

function list(source: Source, name: string): string[] {
  return (source[name] ?? "")
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

function optional(source: Source, name: string): string | null {
  const value = source[name]?.trim();
  return value ? value : null;
}

function url(source: Source, name: string, protocols: string[]): string | null {
  const value = optional(source, name);
  if (value === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `must be a URL, got "${value}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use one of ${protocols.join(" ")}, got "${parsed.protocol}"`);
  }
  return value;
}

/** A PEM file of certificates, read and checked now so a bad path or file stops the start. */
function pemFile(source: Source, name: string): string | null {
  const file = optional(source, name);
  if (file === null) return null;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(name, `cannot be read: ${(error as Error).message}`);
  }
  const certificates = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0) throw new ConfigError(name, `holds no PEM certificate: ${file}`);
  try {
    for (const pem of certificates) new X509Certificate(pem);
  } catch (error) {
    throw new ConfigError(name, `holds an unreadable certificate: ${(error as Error).message}`);
  }
  return certificates.join("\n");
}

function oneOf<T extends string>(source: Source, name: string, allowed: readonly T[]): T[] | null {
  if (source[name] === undefined) return null;
  const values = list(source, name);
  for (const value of values) {
    if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(name, `has "${value}", not one of ${allowed.join(", ")}`);
  }
  return values as T[];
}

function pattern(source: Source, name: string, shape: RegExp, what: string): string | null {
  const value = optional(source, name);
  if (value !== null && !shape.test(value)) throw new ConfigError(name, `must be ${what}, got "${value}"`);
  return value;
}

/** CSP and CORS source lists: `*`, or origins such as https://app.example.com (wildcard subdomains allowed). */
function originList(source: Source, name: string): string[] {
  const origins = source[name] === undefined ? ["*"] : list(source, name);
  for (const origin of origins) {
    if (origin !== "*" && origin !== "'self'" && !/^https?:\/\/(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(origin)) {
      throw new ConfigError(name, `must list *, 'self' or origins like https://app.example.com, got "${origin}"`);
    }
  }
  return origins;
}

function resolvePortal(source: Source): PortalConfig {
  return Object.freeze({
    frameAncestors: Object.freeze(originList(source, "HERALD_PORTAL_FRAME_ANCESTORS")),
    displayName: optional(source, "HERALD_PORTAL_DISPLAY_NAME"),
    logoUrl: url(source, "HERALD_PORTAL_LOGO_URL", ["https:", "http:"]),
    primaryColor: pattern(source, "HERALD_PORTAL_PRIMARY_COLOR", /^#[0-9a-f]{6}$/i, "a colour like #3b5bdb"),
    fontFamily: pattern(source, "HERALD_PORTAL_FONT_FAMILY", /^[a-zA-Z0-9\-_ ]+$/, "a font family name"),
    editableDeliveryOptions: Object.freeze(oneOf(source, "HERALD_PORTAL_EDITABLE_OPTIONS", DELIVERY_OPTION_NAMES) ?? [...DELIVERY_OPTION_NAMES]),
    enableTransformations: flag(source, "HERALD_PORTAL_TRANSFORMATIONS", true),
    enableMtls: flag(source, "HERALD_PORTAL_MTLS", true),
    enableChannels: flag(source, "HERALD_PORTAL_CHANNELS", true),
  });
}

export function resolveConfig(env: Source = process.env): ResolvedConfig {
  const source: Source = { ...readConfigFile(env), ...env };
  const port = integer(source, "HERALD_PORT", 8071, 0, 65535);
  const host = optional(source, "HERALD_HOST") ?? "127.0.0.1";

  const logLevel = (optional(source, "HERALD_LOG_LEVEL") ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError("HERALD_LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }

  let allowedSubnets: string[];
  try {
    allowedSubnets = parseCidrList(source.HERALD_ALLOWED_SUBNETS ?? "");
  } catch (error) {
    throw new ConfigError("HERALD_ALLOWED_SUBNETS", (error as Error).message);
  }
  const allowedDomains = list(source, "HERALD_ALLOWED_DOMAINS");
  for (const domain of allowedDomains) {
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(domain)) {
      throw new ConfigError("HERALD_ALLOWED_DOMAINS", `has an invalid domain "${domain}"`);
    }
  }

  const retryScheduleSeconds = source.HERALD_RETRY_SCHEDULE
    ? list(source, "HERALD_RETRY_SCHEDULE").map((item) => {
        if (!/^\d+$/.test(item)) throw new ConfigError("HERALD_RETRY_SCHEDULE", `must be a comma-separated list of seconds, got "${item}"`);
        return Number(item);
      })
    : DEFAULT_RETRY_SCHEDULE_SECONDS;

  const adminToken = optional(source, "HERALD_ADMIN_TOKEN");
  if (adminToken !== null && adminToken.length < 16) {
    throw new ConfigError("HERALD_ADMIN_TOKEN", "must be at least 16 characters");
  }
  const mainSecret = optional(source, "HERALD_MAIN_SECRET");
  if (mainSecret !== null && mainSecret.length < 16) {
    throw new ConfigError("HERALD_MAIN_SECRET", "must be at least 16 characters");
  }

  const databaseUrl = url(source, "HERALD_DATABASE_URL", ["postgres:", "postgresql:", "sqlite:"]);
  const config: ResolvedConfig = {
    port,
    host,
    publicUrl: (url(source, "HERALD_PUBLIC_URL", ["http:", "https:"]) ?? `http://${host.includes(":") ? `[${host}]` : host}:${port}`).replace(/\/+$/, ""),
    dataDir: path.resolve(optional(source, "HERALD_DATA_DIR") ?? "data"),
    databaseUrl,
    databasePoolSize: integer(source, "HERALD_DATABASE_POOL_SIZE", 10, 1, 1000),
    adminToken,
    mainSecret,
    // Frozen too: the default retry schedule is shared by every config, and the address policy
    // caches the parsed subnets by the list's identity.
    allowedSubnets: Object.freeze(allowedSubnets),
    allowedDomains: Object.freeze(allowedDomains),
    proxyUrl: url(source, "HERALD_PROXY_URL", ["http:", "https:", "socks5:"]),
    trustedCa: pemFile(source, "HERALD_TRUSTED_CA_FILE"),
    logLevel: logLevel as ResolvedConfig["logLevel"],
    retryScheduleSeconds: Object.freeze([...retryScheduleSeconds]),
    requestTimeoutMs: integer(source, "HERALD_REQUEST_TIMEOUT_MS", 15_000, 100, 300_000),
    disableAfterHours: integer(source, "HERALD_DISABLE_AFTER_HOURS", 120, 1, 24 * 365),
    workerConcurrency: integer(source, "HERALD_WORKER_CONCURRENCY", 256, 1, 10_000),
    senderThread: flag(source, "HERALD_SENDER_THREAD", true),
    responseBodyLimit: integer(source, "HERALD_RESPONSE_BODY_LIMIT", 20_000, 0, 1_048_576),
    retentionDays: integer(source, "HERALD_RETENTION_DAYS", 90, 1, 36_500),
    apiRequestTimeoutMs: integer(source, "HERALD_API_REQUEST_TIMEOUT_MS", 30_000, 1_000, 600_000),
    apiRateLimit: integer(source, "HERALD_API_RATE_LIMIT", 100, 0, 1_000_000),
    apiAdminRateLimit: integer(source, "HERALD_API_ADMIN_RATE_LIMIT", 0, 0, 1_000_000),
    sensitiveHeaders: Object.freeze(list(source, "HERALD_SENSITIVE_HEADERS").map((name) => name.toLowerCase())),
    corsOrigins: Object.freeze(originList(source, "HERALD_CORS_ORIGINS").filter((origin) => origin !== "'self'")),
    portal: resolvePortal(source),
  };
  return Object.freeze(config);
}
