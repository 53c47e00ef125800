import { createHmac } from "node:crypto";

import { secretKeyBytes } from "../crypto/endpoint-secret.ts";

/**
 * Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per key, space
 * separated, so a receiver holding either the new or a rotated-out secret can verify.
 */
export function signStandardWebhook(msgId: string, timestampSeconds: number, body: string, secrets: string[]): string {
  const content = `${msgId}.${timestampSeconds}.${body}`;
  return secrets.map((secret) => "v1," + createHmac("sha256", secretKeyBytes(secret)).update(content).digest("base64")).join(" ");
}
