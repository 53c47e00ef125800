import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";

import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

import { assertValidation, headerMap, raw, useHerald, useReceiver, v1Signatures } from "./api-helpers.ts";

/** The Standard Webhooks v1 signature of a delivery, computed independently of Herald. */
function expectedSignature(secret: string, headers: Record<string, string>, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return createHmac("sha256", key).update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`).digest("base64");
}

const customSecret = () => "whsec_" + randomBytes(32).toString("base64");

describe("endpoint secrets and rotation", () => {
  const herald = useHerald();
  const receiver = useReceiver();
  let appId: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Secrets" })).id;
    await h.svix.eventType.create({ name: "secret.test", description: "for signing tests" });
  });

  test("a generated secret is whsec_ + base64 of 24 bytes", async () => {
    const h = herald();
    const endpoint = await h.svix.endpoint.create(appId, { url: "https://example.com/gen" });
    const { key } = await h.svix.endpoint.getSecret(appId, endpoint.id);
    assert.match(key, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(Buffer.from(key.slice(6), "base64").length, 24);
    const other = await h.svix.endpoint.create(appId, { url: "https://example.com/gen2" });
    assert.notEqual((await h.svix.endpoint.getSecret(appId, other.id)).key, key);
  });

  test("a custom secret is kept; without the prefix it is returned with whsec_", async () => {
    const h = herald();
    const secret = customSecret();
    const endpoint = await h.svix.endpoint.create(appId, { url: "https://example.com/custom", secret });
    assert.equal((await h.svix.endpoint.getSecret(appId, endpoint.id)).key, secret);

    const bare = randomBytes(24).toString("base64");
    const second = await h.svix.endpoint.create(appId, { url: "https://example.com/bare", secret: bare });
    assert.equal((await h.svix.endpoint.getSecret(appId, second.id)).key, "whsec_" + bare);
  });

  test("a malformed secret is 422 naming secret", async () => {
    const h = herald();
    const base = `/api/v1/app/${appId}/endpoint`;
    assertValidation(await raw(h)("POST", base, { url: "https://example.com/x", secret: "whsec_short" }), ["body", "secret"]);
    assertValidation(await raw(h)("POST", base, { url: "https://example.com/x", secret: "whsec_" + "!".repeat(40) }), ["body", "secret"]);
    // Valid base64 of the right length pattern, but only 21 bytes of key.
    assertValidation(await raw(h)("POST", base, { url: "https://example.com/x", secret: "whsec_" + randomBytes(21).toString("base64") + "A" }), [
      "body",
      "secret",
    ]);
    const endpoint = await h.svix.endpoint.create(appId, { url: "https://example.com/rot" });
    const rotate = await raw(h)("POST", `${base}/${endpoint.id}/secret/rotate`, { key: "whsec_short" });
    assertValidation(rotate, ["body", "key"]);
  });

  test("rotation: GET returns the new key and deliveries carry both signatures", async () => {
    const h = herald();
    const r = receiver();
    // A separate application, so no other endpoint of this file gets (or delays) the messages.
    const appId = (await h.svix.application.create({ name: "Rotation" })).id;
    const endpoint = await h.svix.endpoint.create(appId, { url: `${r.url}/rotate`, filterTypes: ["secret.test"] });
    const oldSecret = (await h.svix.endpoint.getSecret(appId, endpoint.id)).key;

    await h.svix.message.create(appId, { eventType: "secret.test", payload: { n: 1 } });
    const [first] = await r.waitFor(1);
    const firstHeaders = headerMap(first.headers);
    assert.deepEqual(v1Signatures(firstHeaders["webhook-signature"]), [expectedSignature(oldSecret, firstHeaders, first.body)]);

    const rotated = await raw(h)("POST", `/api/v1/app/${appId}/endpoint/${endpoint.id}/secret/rotate`, {});
    assert.equal(rotated.status, 204);
    const newSecret = (await h.svix.endpoint.getSecret(appId, endpoint.id)).key;
    assert.match(newSecret, /^whsec_/);
    assert.notEqual(newSecret, oldSecret);

    await h.svix.message.create(appId, { eventType: "secret.test", payload: { n: 2 } });
    const second = (await r.waitFor(2))[1];
    const headers = headerMap(second.headers);
    assert.equal(JSON.parse(second.body).n, 2);
    const signatures = v1Signatures(headers["webhook-signature"]);
    assert.equal(signatures.length, 2, `expected two v1 signatures, got ${headers["webhook-signature"]}`);
    assert.deepEqual(
      [...signatures].sort(),
      [expectedSignature(oldSecret, headers, second.body), expectedSignature(newSecret, headers, second.body)].sort(),
    );

    // Both the Standard Webhooks library and the svix SDK accept it with either key.
    for (const secret of [oldSecret, newSecret]) {
      assert.deepEqual(new StandardWebhook(secret).verify(second.body, headers), { n: 2 });
      assert.deepEqual(new SvixWebhook(secret).verify(second.body, headers), { n: 2 });
    }
    // ... and not with an unrelated key.
    assert.throws(() => new StandardWebhook(customSecret()).verify(second.body, headers));
  });

  test("rotation to a chosen key via the SDK, with no grace period for the old one", async () => {
    const h = herald();
    const r = receiver();
    const seen = r.requests.length;
    const appId = (await h.svix.application.create({ name: "Chosen key" })).id;
    const endpoint = await h.svix.endpoint.create(appId, { url: `${r.url}/chosen`, filterTypes: ["secret.test"] });
    const chosen = customSecret();
    await h.svix.endpoint.rotateSecret(appId, endpoint.id, { key: chosen, gracePeriodSeconds: 0 });
    assert.equal((await h.svix.endpoint.getSecret(appId, endpoint.id)).key, chosen);

    await h.svix.message.create(appId, { eventType: "secret.test", payload: { n: 3 } });
    const request = (await r.waitFor(seen + 1))[seen];
    assert.equal(request.path, "/chosen");
    const headers = headerMap(request.headers);
    assert.deepEqual(v1Signatures(headers["webhook-signature"]), [expectedSignature(chosen, headers, request.body)]);
  });
});
