/**
 * Errors that mean "the database cannot be reached right now", whatever the engine: the API
 * answers them with 503 (try again) rather than 500, and the worker backs off and retries.
 */
const UNAVAILABLE_CODES = new Set([
  // SQLite: another process holds the write lock past busy_timeout.
  "SQLITE_BUSY",
  // Network, from the PostgreSQL driver.
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  // PostgreSQL SQLSTATEs: connection exceptions (08…), operator intervention (57P0…).
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "57P01",
  "57P02",
  "57P03",
]);

const UNAVAILABLE_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i];

export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  return typeof message === "string" && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}
