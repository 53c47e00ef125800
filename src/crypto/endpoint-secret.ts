import { randomBytes } from "node:crypto";

/**
 * Endpoint signing secrets in Standard Webhooks form: `whsec_` + base64 of the key bytes.
 * Generated secrets have 24 random bytes (as Svix); supplied ones must decode to 24–75 bytes.
 */
export const SECRET_PREFIX = "whsec_";
const GENERATED_KEY_BYTES = 24;
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 75;

export function generateEndpointSecret(): string {
  return SECRET_PREFIX + randomBytes(GENERATED_KEY_BYTES).toString("base64");
}

/** Returns the secret with its `whsec_` prefix, or an error message if it is not a usable key. */
export function normalizeEndpointSecret(input: string): { secret: string } | { error: string } {
  const encoded = input.startsWith(SECRET_PREFIX) ? input.slice(SECRET_PREFIX.length) : input;
  if (!/^[A-Za-z0-9+/=]+$/.test(encoded)) return { error: "secret must be base64, optionally prefixed with whsec_" };
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length < MIN_KEY_BYTES || bytes.length > MAX_KEY_BYTES) {
    return { error: `secret must decode to ${MIN_KEY_BYTES}-${MAX_KEY_BYTES} bytes, got ${bytes.length}` };
  }
  return { secret: SECRET_PREFIX + encoded };
}

/** The HMAC key bytes of a `whsec_` secret. */
export function secretKeyBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
}
