import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { before, describe, test } from "node:test";

import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

import { makeManualClock } from "../../src/domain/clock.ts";
import { headersOf, SECOND } from "../delivery/support.ts";
import {
  call,
  createApp,
  createEndpoint,
  type EndpointView,
  expect422,
  getEndpoint,
  header,
  type MessageView,
  patchEndpoint,
  postMessage,
  secretOf,
  useHeraldWithReceiver,
  webhookHeaderNames,
} from "./support.ts";

/**
 * Delivery options on any endpoint: refused at save when they cannot work (422 naming the field),
 * shown as own values beside the effective ones, documented by GET /api/v1/profiles; and the
 * Svix-like profiles (svix, standard with ed25519, codat) and FIFO ordering end to end.
 */

const PROFILE_NAMES = ["standard", "svix", "codat", "trackdechets", "dastra", "grist", "frappe"];
const OPTION_NAMES = [
  "method",
  "timeoutMs",
  "retrySchedule",
  "retryForever",
  "acceptStatus",
  "disablePolicy",
  "body",
  "signatures",
  "batch",
  "ordering",
  "filter",
  "watchFields",
  "readyField",
];

interface ProfileView {
  name: string;
  description: string;
  notes: string[];
  defaults: Record<string, unknown>;
}

/** A whpk_ key (base64 of the raw 32-byte Ed25519 public key) as a node KeyObject. */
function ed25519KeyFromWhpk(publicKey: string) {
  const raw = Buffer.from(publicKey.replace(/^whpk_/, ""), "base64");
  assert.equal(raw.length, 32);
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
}

describe("delivery options", () => {
  // Real time (moved only by seconds), so the Standard Webhooks verifiers' tolerance holds.
  const clock = makeManualClock(Date.now());
  const harness = useHeraldWithReceiver(clock);
  let appId: string;

  before(async () => {
    appId = await createApp(harness.h, "Options");
  });
  /** What reached one path: each end-to-end test has its own, so leftovers of another test do not mix in. */
  const to = (path: string) => harness.receiver.requests.filter((request) => request.path === path);

  describe("bad input is a 422 naming the field", () => {
    const path = () => `/api/v1/app/${appId}/endpoint`;
    const url = () => harness.receiver.url + "/validation";

    test("an unknown profile", async () => {
      await expect422(harness.h, "POST", path(), { url: url(), profile: "zapier" }, ["body", "profile"]);
    });

    test("a template that does not compile", async () => {
      const text = await expect422(harness.h, "POST", path(), { url: url(), body: { template: '{"a": {{ payload.a | nosuchfilter }}}' } }, ["body", "body", "template"]);
      assert.match(text, /nosuchfilter/);
      await expect422(harness.h, "POST", path(), { url: url(), body: { template: "{% if payload.a %}unclosed" } }, ["body", "body", "template"]);
      // No file access from a template.
      await expect422(harness.h, "POST", path(), { url: url(), body: { template: "{% include 'secrets.json' %}" } }, ["body", "body", "template"]);
    });

    test("a filter with $where, or with an unknown root", async () => {
      const text = await expect422(harness.h, "POST", path(), { url: url(), filter: { $where: "this.payload.x === 1" } }, ["body", "filter", "$where"]);
      assert.match(text, /\$where/);
      await expect422(harness.h, "POST", path(), { url: url(), filter: { "payload.n": { $function: { body: "return true" } } } }, ["body", "filter", "payload.n", "$function"]);
      await expect422(harness.h, "POST", path(), { url: url(), filter: { "process.env": { $exists: true } } }, ["body", "filter", "process.env"]);
    });

    test("options that contradict each other", async () => {
      await expect422(harness.h, "POST", path(), { url: url(), batch: { maxSize: 10, maxWaitMs: 0 }, body: { fields: { a: "payload.a" }, format: "form" } }, ["body", "batch"]);
      // The batch comes from the grist profile: still a contradiction.
      await expect422(harness.h, "POST", path(), { url: url(), profile: "grist", body: { fields: { a: "payload.a" }, format: "form" } }, ["body", "batch"]);
      await expect422(harness.h, "POST", path(), { url: url(), batch: { maxSize: 10, maxWaitMs: 0 }, ordering: "none" }, ["body", "ordering"]);
      await expect422(harness.h, "POST", path(), { url: url(), retryForever: true, retrySchedule: [] }, ["body", "retryForever"]);
      // dastra has no retries: retryForever alone has nothing to repeat.
      await expect422(harness.h, "POST", path(), { url: url(), profile: "dastra", retryForever: true }, ["body", "retryForever"]);
    });

    test("an HMAC signature in a header Herald sets itself, or listed twice", async () => {
      const hmac = (name: string) => ({ scheme: "hmac-sha256", header: name, encoding: "base64" });
      await expect422(harness.h, "POST", path(), { url: url(), signatures: [hmac("content-type")] }, ["body", "signatures", 0, "header"]);
      await expect422(harness.h, "POST", path(), { url: url(), signatures: [{ scheme: "standard" }, hmac("webhook-signature")] }, ["body", "signatures", 1, "header"]);
      await expect422(harness.h, "POST", path(), { url: url(), signatures: [hmac("X-Sig"), hmac("x-sig")] }, ["body", "signatures", 1]);
    });

    test("misspelt or out-of-range options", async () => {
      await expect422(harness.h, "POST", path(), { url: url(), batch: { maxSize: 10, maxWait: 5 } }, ["body", "batch"]);
      await expect422(harness.h, "POST", path(), { url: url(), method: "GET" }, ["body", "method"]);
      await expect422(harness.h, "POST", path(), { url: url(), timeoutMs: 10 }, ["body", "timeoutMs"]);
      await expect422(harness.h, "POST", path(), { url: url(), body: { fields: { a: "env.HOME" }, format: "json" } }, ["body", "body", "fields", "a"]);
    });

    test("a refused PATCH leaves the endpoint as it was", async () => {
      const endpoint = await createEndpoint(harness.h, appId, { url: url(), timeoutMs: 2000 });
      await expect422(harness.h, "PATCH", `${path()}/${endpoint.id}`, { timeoutMs: 3000, filter: { $where: "1" } }, ["body", "filter", "$where"]);
      const after = await getEndpoint(harness.h, appId, endpoint.id);
      assert.equal(after.timeoutMs, 2000);
      assert.equal(after.filter, null);
    });
  });

  test("GET /api/v1/profiles documents the 7 profiles and their defaults", async () => {
    const list = (await call(harness.h, "GET", "/api/v1/profiles", undefined, 200)).body as { data: ProfileView[] };
    assert.deepEqual(list.data.map((profile) => profile.name), PROFILE_NAMES);
    for (const profile of list.data) {
      assert.ok(profile.description.length > 0);
      assert.deepEqual(Object.keys(profile.defaults).sort(), [...OPTION_NAMES].sort(), profile.name);
    }
    const byName = new Map(list.data.map((profile) => [profile.name, profile.defaults]));
    assert.equal(byName.get("standard")!.timeoutMs, 15_000);
    assert.deepEqual(byName.get("standard")!.retrySchedule, [5, 300, 1800, 7200, 18000, 36000, 36000]);
    assert.deepEqual(byName.get("standard")!.disablePolicy, { type: "duration", hours: 120 });
    assert.deepEqual(byName.get("svix")!.signatures, [{ scheme: "svix" }]);
    assert.equal(byName.get("trackdechets")!.timeoutMs, 5000);
    assert.equal(byName.get("dastra")!.acceptStatus, "200");
    assert.deepEqual(byName.get("grist")!.batch, { maxSize: 100, maxWaitMs: 0 });
    assert.equal(byName.get("grist")!.ordering, "fifo");
    assert.equal(byName.get("frappe")!.acceptStatus, "<400");

    const one = (await call(harness.h, "GET", "/api/v1/profiles/dastra", undefined, 200)).body as ProfileView;
    assert.deepEqual(one, list.data.find((profile) => profile.name === "dastra"));
    assert.equal((await call(harness.h, "GET", "/api/v1/profiles/zapier")).status, 404);
  });

  test("GET shows own values (null when inherited) and effectiveOptions; PATCH overrides one option, null resets it", async () => {
    const created = await createEndpoint(harness.h, appId, { url: harness.receiver.url + "/validation", profile: "frappe" });
    for (const name of OPTION_NAMES) assert.equal(created[name], null, `${name} should be inherited`);
    assert.equal(created.effectiveOptions.timeoutMs, 5000);

    const overridden = await patchEndpoint(harness.h, appId, created.id, { timeoutMs: 2500, method: "DELETE" });
    assert.equal(overridden.timeoutMs, 2500);
    assert.equal(overridden.method, "DELETE");
    assert.equal(overridden.effectiveOptions.timeoutMs, 2500);
    assert.equal(overridden.effectiveOptions.method, "DELETE");
    assert.equal(overridden.effectiveOptions.acceptStatus, "<400", "other options still come from the profile");
    assert.deepEqual(await getEndpoint(harness.h, appId, created.id), overridden);

    // PATCH leaves out what it does not name; null resets to the profile's value.
    const reset = await patchEndpoint(harness.h, appId, created.id, { timeoutMs: null });
    assert.equal(reset.timeoutMs, null);
    assert.equal(reset.effectiveOptions.timeoutMs, 5000);
    assert.equal(reset.method, "DELETE");

    // Switching profile keeps the endpoint's own values over the new profile's.
    const switched = await patchEndpoint(harness.h, appId, created.id, { profile: "dastra" });
    assert.equal(switched.profile, "dastra");
    assert.equal(switched.effectiveOptions.method, "DELETE");
    assert.equal(switched.effectiveOptions.timeoutMs, 10_000);
    assert.equal(switched.effectiveOptions.acceptStatus, "200");
  });

  test("messages keep metadata and previous, and return them", async () => {
    const appId = await createApp(harness.h, "No endpoints");
    const created = await postMessage(harness.h, appId, {
      eventType: "row.updated",
      payload: { id: 1, a: 2 },
      metadata: { userId: "u-1", source: "import" },
      previous: { id: 1, a: 1 },
    });
    assert.deepEqual(created.metadata, { userId: "u-1", source: "import" });
    assert.deepEqual(created.previous, { id: 1, a: 1 });
    const fetched = (await call(harness.h, "GET", `/api/v1/app/${appId}/msg/${created.id}`, undefined, 200)).body as MessageView;
    assert.deepEqual([fetched.metadata, fetched.previous], [created.metadata, created.previous]);
    const plain = await postMessage(harness.h, appId, { eventType: "row.updated", payload: {} });
    assert.deepEqual([plain.metadata, plain.previous], [{}, null]);
  });

  test("profile svix: svix-id, svix-timestamp, svix-signature, verified by the svix SDK", async () => {
    const app = await createApp(harness.h, "Svix receiver");
    const endpoint = await createEndpoint(harness.h, app, { url: harness.receiver.url + "/svix", profile: "svix" });
    const { key } = await secretOf(harness.h, app, endpoint.id);
    const message = await postMessage(harness.h, app, { eventType: "invoice.paid", payload: { id: "inv_1", amount: 12 } });
    await harness.h.herald.worker!.drain();
    const [request] = to("/svix");
    assert.equal(header(request, "svix-id"), message.id);
    assert.deepEqual(webhookHeaderNames(request).sort(), ["svix-id", "svix-signature", "svix-timestamp"]);
    assert.deepEqual(new SvixWebhook(key).verify(request.body, headersOf(request)), { id: "inv_1", amount: 12 });
  });

  test("standard + ed25519: v1 verifies with standardwebhooks, v1a with the whpk_ public key", async () => {
    const app = await createApp(harness.h, "Ed25519 receiver");
    const endpoint = await createEndpoint(harness.h, app, { url: harness.receiver.url + "/ed", signatures: [{ scheme: "standard" }, { scheme: "ed25519" }] });
    const secret = await secretOf(harness.h, app, endpoint.id);
    assert.match(secret.publicKey ?? "", /^whpk_[A-Za-z0-9+/]{43}=$/);
    const message = await postMessage(harness.h, app, { eventType: "invoice.paid", payload: { id: "inv_2" } });
    await harness.h.herald.worker!.drain();
    const [request] = to("/ed");

    assert.deepEqual(new StandardWebhook(secret.key).verify(request.body, headersOf(request)), { id: "inv_2" });
    const id = header(request, "webhook-id");
    const timestamp = header(request, "webhook-timestamp");
    assert.equal(id, message.id);
    const v1a = header(request, "webhook-signature")
      .split(" ")
      .filter((signature) => signature.startsWith("v1a,"))
      .map((signature) => Buffer.from(signature.slice(4), "base64"));
    assert.equal(v1a.length, 1);
    const publicKey = ed25519KeyFromWhpk(secret.publicKey!);
    assert.equal(verify(null, Buffer.from(`${id}.${timestamp}.${request.body}`), publicKey, v1a[0]), true);
    assert.equal(verify(null, Buffer.from(`${id}.${timestamp}.${request.body} `), publicKey, v1a[0]), false);

    // Without ed25519 there is no public key to show.
    const plain = await createEndpoint(harness.h, app, { url: harness.receiver.url + "/plain" });
    assert.equal((await secretOf(harness.h, app, plain.id)).publicKey, undefined);
  });

  test("ed25519 alone still sends the webhook-* headers, with only a v1a signature", async () => {
    const app = await createApp(harness.h, "Ed25519 only");
    const endpoint = await createEndpoint(harness.h, app, { url: harness.receiver.url + "/ed-only", signatures: [{ scheme: "ed25519" }] });
    const secret = await secretOf(harness.h, app, endpoint.id);
    await postMessage(harness.h, app, { eventType: "invoice.paid", payload: { id: "inv_3" } });
    await harness.h.herald.worker!.drain();
    const [request] = to("/ed-only");
    const signatures = header(request, "webhook-signature").split(" ");
    assert.ok(signatures.every((signature) => signature.startsWith("v1a,")), header(request, "webhook-signature"));
    const content = Buffer.from(`${header(request, "webhook-id")}.${header(request, "webhook-timestamp")}.${request.body}`);
    assert.equal(verify(null, content, ed25519KeyFromWhpk(secret.publicKey!), Buffer.from(signatures[0].slice(4), "base64")), true);
  });

  test("ordering fifo: a failing head blocks the rest until it succeeds, then 1..5 in order", async () => {
    const app = await createApp(harness.h, "FIFO");
    const endpoint: EndpointView = await createEndpoint(harness.h, app, { url: harness.receiver.url + "/fifo", ordering: "fifo", retrySchedule: [1, 1, 1] });
    const { key } = await secretOf(harness.h, app, endpoint.id);
    let headFailures = 0;
    harness.receiver.respond = (request) => {
      const { n } = JSON.parse(request.body) as { n: number };
      if (n === 1 && headFailures < 2) {
        headFailures += 1;
        return { status: 503 };
      }
      return { status: 200 };
    };
    for (let n = 1; n <= 5; n++) await postMessage(harness.h, app, { eventType: "order.step", payload: { n } });
    await harness.h.herald.worker!.drain();
    const sequence = () => to("/fifo").map((request) => (JSON.parse(request.body) as { n: number }).n);
    assert.deepEqual(sequence(), [1]);
    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    assert.deepEqual(sequence(), [1, 1]);
    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    assert.deepEqual(sequence(), [1, 1, 1, 2, 3, 4, 5]);
    for (const request of to("/fifo")) new StandardWebhook(key).verify(request.body, headersOf(request));
  });

  test("profile codat: webhook-* headers verified with standardwebhooks; company tags are channels (any match)", async () => {
    const app = await createApp(harness.h, "Codat client");
    const endpoint = await createEndpoint(harness.h, app, { url: harness.receiver.url + "/codat", profile: "codat", channels: ["region:uk", "tier:gold"] });
    const { key } = await secretOf(harness.h, app, endpoint.id);
    const envelope = (companyId: string) => ({
      id: `evt-${companyId}`,
      eventType: "company.created",
      generatedDate: new Date(clock.now()).toISOString(),
      payload: { referenceCompany: { id: companyId, tags: { region: "uk" } } },
    });
    await postMessage(harness.h, app, { eventType: "company.created", payload: envelope("c-1"), channels: ["region:uk"] });
    await postMessage(harness.h, app, { eventType: "company.created", payload: envelope("c-2"), channels: ["region:fr"] });
    await postMessage(harness.h, app, { eventType: "company.created", payload: envelope("c-3") });
    await postMessage(harness.h, app, { eventType: "company.created", payload: envelope("c-4"), channels: ["region:fr", "tier:gold"] });
    await harness.h.herald.worker!.drain();

    const verified = to("/codat").map((request) => new StandardWebhook(key).verify(request.body, headersOf(request)) as { id: string });
    assert.deepEqual(verified.map((event) => event.id).sort(), ["evt-c-1", "evt-c-4"]);
    for (const request of to("/codat")) {
      assert.deepEqual(webhookHeaderNames(request).sort(), ["webhook-id", "webhook-signature", "webhook-timestamp"]);
    }
  });
});
