import assert from "node:assert/strict";
import { createHmac, createPublicKey, verify } from "node:crypto";
import { describe, test } from "node:test";

import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

import { ed25519PublicKey, signatureHeaders } from "../../src/delivery/signatures.ts";

const NEW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OLD_SECRET = "whsec_" + Buffer.alloc(24, 7).toString("base64");
const body = '{"webhookId":"ep_1","data":{"name":"Zoé"}}';
const msgId = "msg_2NnSbD4QZ8lK0";

function input(secrets: string[] = [NEW_SECRET]) {
  return { msgId, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets };
}

/** Frappe (Python): base64.b64encode(hmac.new(secret.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).digest()) */
function frappeSignature(secret: string, payload: string): string {
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(Buffer.from(payload, "utf8")).digest("base64");
}

function ed25519Verify(publicKey: string, content: string, signature: string): boolean {
  assert.ok(publicKey.startsWith("whpk_"));
  const raw = Buffer.from(publicKey.slice("whpk_".length), "base64");
  assert.equal(raw.length, 32);
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
  return verify(null, Buffer.from(content, "utf8"), key, Buffer.from(signature, "base64"));
}

describe("signature headers", () => {
  test("no schemes, no headers", () => {
    assert.deepEqual(signatureHeaders([], input([])), {});
  });

  test("standard: webhook-* headers that standardwebhooks verifies", () => {
    const values = input();
    const headers = signatureHeaders([{ scheme: "standard" }], values);
    assert.deepEqual(Object.keys(headers).sort(), ["webhook-id", "webhook-signature", "webhook-timestamp"]);
    assert.equal(headers["webhook-id"], msgId);
    assert.equal(headers["webhook-timestamp"], String(values.timestampSeconds));
    assert.deepEqual(new StandardWebhook(NEW_SECRET).verify(body, headers), JSON.parse(body));
  });

  test("standard with rotation: one v1 signature per secret, each verifies", () => {
    const headers = signatureHeaders([{ scheme: "standard" }], input([NEW_SECRET, OLD_SECRET]));
    assert.equal(headers["webhook-signature"].split(" ").length, 2);
    for (const secret of [NEW_SECRET, OLD_SECRET]) new StandardWebhook(secret).verify(body, headers);
    assert.throws(() => new StandardWebhook("whsec_" + Buffer.alloc(24, 9).toString("base64")).verify(body, headers));
  });

  test("svix: the same values under svix-* names", () => {
    const values = input([NEW_SECRET, OLD_SECRET]);
    const headers = signatureHeaders([{ scheme: "svix" }], values);
    assert.deepEqual(Object.keys(headers).sort(), ["svix-id", "svix-signature", "svix-timestamp"]);
    assert.equal(headers["svix-signature"], signatureHeaders([{ scheme: "standard" }], values)["webhook-signature"]);
    for (const secret of [NEW_SECRET, OLD_SECRET]) new SvixWebhook(secret).verify(body, headers);
  });

  test("hmac-sha256: base64 or hex over the body with the newest secret's text as key, as Frappe and Dastra do", () => {
    const base64 = signatureHeaders([{ scheme: "hmac-sha256", header: "X-Frappe-Webhook-Signature", encoding: "base64" }], input([NEW_SECRET, OLD_SECRET]));
    assert.deepEqual(base64, { "x-frappe-webhook-signature": "lORFATa888my9/cbSC+1W0CBNKtl7AfNmZkFaQGHO04=" }); // computed with Python's hmac
    assert.equal(base64["x-frappe-webhook-signature"], frappeSignature(NEW_SECRET, body));
    const hex = signatureHeaders([{ scheme: "hmac-sha256", header: "Dastra-Signature", encoding: "hex" }], input());
    assert.deepEqual(hex, { "dastra-signature": "94e4450136bcf3c9b2f7f71b482fb55b408134ab65ec07cd9999056901873b4e" });
  });

  test("ed25519: v1a signatures verify against the derived public key, one per secret", () => {
    const values = input([NEW_SECRET, OLD_SECRET]);
    const headers = signatureHeaders([{ scheme: "ed25519" }], values);
    assert.equal(headers["webhook-id"], msgId);
    assert.equal(headers["webhook-timestamp"], String(values.timestampSeconds));
    const signatures = headers["webhook-signature"].split(" ");
    assert.equal(signatures.length, 2);
    const content = `${msgId}.${values.timestampSeconds}.${body}`;
    for (const [index, secret] of [NEW_SECRET, OLD_SECRET].entries()) {
      const [version, signature] = signatures[index].split(",");
      assert.equal(version, "v1a");
      assert.ok(ed25519Verify(ed25519PublicKey(secret), content, signature));
      assert.ok(!ed25519Verify(ed25519PublicKey(secret), content + " ", signature));
    }
  });

  test("ed25519 keys are derived deterministically, distinct per secret", () => {
    assert.equal(ed25519PublicKey(NEW_SECRET), ed25519PublicKey(NEW_SECRET));
    assert.notEqual(ed25519PublicKey(NEW_SECRET), ed25519PublicKey(OLD_SECRET));
    assert.match(ed25519PublicKey(NEW_SECRET), /^whpk_[A-Za-z0-9+/]{43}=$/);
  });

  test("standard + ed25519 + hmac together: v1 then v1a in webhook-signature, and standardwebhooks still verifies", () => {
    const headers = signatureHeaders(
      [{ scheme: "ed25519" }, { scheme: "standard" }, { scheme: "hmac-sha256", header: "Dastra-Signature", encoding: "base64" }],
      input(),
    );
    assert.deepEqual(headers["webhook-signature"].split(" ").map((part) => part.split(",")[0]), ["v1", "v1a"]);
    assert.equal(headers["dastra-signature"], frappeSignature(NEW_SECRET, body));
    new StandardWebhook(NEW_SECRET).verify(body, headers);
  });

  test("signing with no valid secret is an error", () => {
    assert.throws(() => signatureHeaders([{ scheme: "standard" }], input([])), /no valid signing secret/);
  });
});
