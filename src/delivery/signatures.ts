import { createHmac, createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";

import { secretKeyBytes } from "../crypto/endpoint-secret.ts";
import type { SignatureScheme } from "../domain/delivery-options.ts";
import { signStandardWebhook } from "./signature.ts";

/**
 * The signature headers of one request, for every scheme the endpoint uses (see SignatureScheme in
 * src/domain/delivery-options.ts). Header names are lower-case.
 *
 * - `standard` / `svix`: Standard Webhooks `v1,` HMACs, one per valid secret (rotation).
 * - `ed25519`: `v1a,` signatures, one per valid secret, appended to `webhook-signature`. The
 *   keypair is derived from the secret, so the receiver needs only the public key
 *   (`ed25519PublicKey`) and Herald stores nothing new.
 * - `hmac-sha256`: one HMAC of the body with the newest secret's text as key (Dastra, Frappe).
 */

const ED25519_SEED_LABEL = "herald-ed25519-v1a";
/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_RAW_PUBLIC_KEY_BYTES = 32;
const PUBLIC_KEY_PREFIX = "whpk_";
const KEYPAIR_CACHE_MAX_ENTRIES = 1000;

interface Ed25519Keypair {
  privateKey: KeyObject;
  publicKeyRaw: Buffer;
}

const keypairs = new Map<string, Ed25519Keypair>();

function ed25519Keypair(secret: string): Ed25519Keypair {
  const cached = keypairs.get(secret);
  if (cached) return cached;
  const seed = createHmac("sha256", secretKeyBytes(secret)).update(ED25519_SEED_LABEL).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const keypair = { privateKey, publicKeyRaw: spki.subarray(spki.length - ED25519_RAW_PUBLIC_KEY_BYTES) };
  if (keypairs.size >= KEYPAIR_CACHE_MAX_ENTRIES) keypairs.delete(keypairs.keys().next().value as string);
  keypairs.set(secret, keypair);
  return keypair;
}

/** The Ed25519 public key derived from a `whsec_` secret: `whpk_` + base64 of the raw 32 bytes. */
export function ed25519PublicKey(secret: string): string {
  return PUBLIC_KEY_PREFIX + ed25519Keypair(secret).publicKeyRaw.toString("base64");
}

function signEd25519(msgId: string, timestampSeconds: number, body: string, secrets: string[]): string {
  const content = Buffer.from(`${msgId}.${timestampSeconds}.${body}`, "utf8");
  return secrets.map((secret) => "v1a," + sign(null, content, ed25519Keypair(secret).privateKey).toString("base64")).join(" ");
}

/**
 * @param input.secrets `whsec_…` secrets currently valid, newest first.
 * @example
 * signatureHeaders([{ scheme: "standard" }], { msgId, timestampSeconds, body, secrets: endpoint.keys.map((k) => k.key) })
 * // { "webhook-id": msgId, "webhook-timestamp": "1700000000", "webhook-signature": "v1,…" }
 */
export function signatureHeaders(
  schemes: SignatureScheme[],
  input: { msgId: string; timestampSeconds: number; body: string; secrets: string[] },
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (schemes.length === 0) return headers;
  const { msgId, timestampSeconds, body, secrets } = input;
  if (secrets.length === 0) throw new Error("cannot sign the request: the endpoint has no valid signing secret");

  const timestamp = String(timestampSeconds);
  const webhookSignatures: string[] = [];
  let standardHmac: string | null = null;
  const hmac = () => (standardHmac ??= signStandardWebhook(msgId, timestampSeconds, body, secrets));

  for (const scheme of schemes) {
    switch (scheme.scheme) {
      case "standard":
        webhookSignatures.unshift(hmac());
        break;
      case "svix":
        headers["svix-id"] = msgId;
        headers["svix-timestamp"] = timestamp;
        headers["svix-signature"] = hmac();
        break;
      case "ed25519":
        webhookSignatures.push(signEd25519(msgId, timestampSeconds, body, secrets));
        break;
      case "hmac-sha256":
        headers[scheme.header.toLowerCase()] = createHmac("sha256", Buffer.from(secrets[0], "utf8"))
          .update(Buffer.from(body, "utf8"))
          .digest(scheme.encoding);
        break;
      default: {
        const never: never = scheme;
        throw new Error(`unknown signature scheme ${JSON.stringify(never)}`);
      }
    }
  }
  if (webhookSignatures.length > 0) {
    headers["webhook-id"] = msgId;
    headers["webhook-timestamp"] = timestamp;
    headers["webhook-signature"] = webhookSignatures.join(" ");
  }
  return headers;
}
