import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import type { TestHerald } from "../helpers/herald.ts";
import { assertValidation, raw, useHerald } from "./api-helpers.ts";

/** Every way an endpoint URL can be saved: create, PUT (upsert and replace), PATCH. */
async function assertUrlRejected(h: TestHerald, appId: string, existingId: string, url: string): Promise<string> {
  const base = `/api/v1/app/${appId}/endpoint`;
  const item = assertValidation(await raw(h)("POST", base, { url }), ["body", "url"]);
  assertValidation(await raw(h)("PUT", `${base}/fresh-uid`, { url }), ["body", "url"]);
  assertValidation(await raw(h)("PUT", `${base}/${existingId}`, { url }), ["body", "url"]);
  assertValidation(await raw(h)("PATCH", `${base}/${existingId}`, { url }), ["body", "url"]);
  return item.msg;
}

describe("endpoint URL checks (test config: loopback allowed)", () => {
  const herald = useHerald();
  let appId: string;
  let existingId: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Urls" })).id;
    existingId = (await h.svix.endpoint.create(appId, { url: "https://example.com/ok" })).id;
  });

  test("schemes other than http and https are refused", async () => {
    const msg = await assertUrlRejected(herald(), appId, existingId, "ftp://x");
    assert.match(msg, /scheme/);
    await assertUrlRejected(herald(), appId, existingId, "file:///etc/passwd");
  });

  test("credentials in the URL are refused", async () => {
    const msg = await assertUrlRejected(herald(), appId, existingId, "http://user:pw@example.com");
    assert.match(msg, /credentials/);
  });

  test("text that is not a URL is refused", async () => {
    await assertUrlRejected(herald(), appId, existingId, "not a url");
  });

  test("loopback is accepted when HERALD_ALLOWED_SUBNETS allows it", async () => {
    const h = herald();
    const created = await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { url: "http://127.0.0.1:9/hook" });
    assert.equal(created.status, 201);
  });

  test("the endpoint kept its previous URL after every refused update", async () => {
    const h = herald();
    assert.equal((await h.svix.endpoint.get(appId, existingId)).url, "https://example.com/ok");
  });
});

describe("endpoint URL checks (default config: no private subnets allowed)", () => {
  const herald = useHerald({ env: { HERALD_ALLOWED_SUBNETS: "" } });
  let appId: string;
  let existingId: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Strict urls" })).id;
    existingId = (await h.svix.endpoint.create(appId, { url: "https://example.com/ok" })).id;
  });

  for (const url of [
    "http://127.1/",
    "http://127.0.0.1:8071/api/v1/health",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost:3000/",
    "http://0x7f.1/",
  ]) {
    test(`${url} is refused with a 422 naming url`, async () => {
      await assertUrlRejected(herald(), appId, existingId, url);
    });
  }

  test("a public address and a plain domain name are accepted", async () => {
    const h = herald();
    assert.equal((await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { url: "http://93.184.215.14/hook" })).status, 201);
    assert.equal((await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { url: "https://hooks.example.org/x" })).status, 201);
  });

  test("operational webhook endpoints are checked the same way", async () => {
    const h = herald();
    const response = await raw(h)("POST", "/api/v1/operational-webhook/endpoint", { url: "http://169.254.169.254/" });
    assertValidation(response, ["body", "url"]);
  });
});
