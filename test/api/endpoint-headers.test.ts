import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { assertValidation, eventually, raw, useHerald, useReceiver } from "./api-helpers.ts";

interface HeadersOut {
  headers: Record<string, string>;
  sensitive: string[];
}

interface AttemptOut {
  msgId: string;
  status: number;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
}

const SECRET_VALUES = ["Bearer tok-s3cret", "key-9f8e7d"];

/** A header map's value by case-insensitive name. */
const valueOf = (headers: Record<string, string>, name: string) =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

describe("endpoint custom headers", () => {
  const herald = useHerald();
  const receiver = useReceiver();
  let appId: string;
  let endpointId: string;
  let path: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Headers" })).id;
    await h.svix.eventType.create({ name: "headers.test", description: "headers" });
    endpointId = (await h.svix.endpoint.create(appId, { url: `${receiver().url}/headers` })).id;
    path = `/api/v1/app/${appId}/endpoint/${endpointId}/headers`;
  });

  test("PUT sets headers; GET shows non-sensitive values and lists sensitive names only", async () => {
    const h = herald();
    const put = await raw(h)("PUT", path, {
      headers: { Authorization: SECRET_VALUES[0], "X-Api-Key": SECRET_VALUES[1], "X-Team": "billing" },
    });
    assert.equal(put.status, 204);

    const got = await raw(h)("GET", path);
    assert.equal(got.status, 200);
    const body = got.body as HeadersOut;
    assert.deepEqual(body.headers, { "X-Team": "billing" });
    assert.deepEqual([...body.sensitive].sort(), ["Authorization", "X-Api-Key"]);
    for (const secret of SECRET_VALUES) assert.ok(!got.text.includes(secret), "sensitive values never leave the API");

    const viaSdk = await h.svix.endpoint.getHeaders(appId, endpointId);
    assert.deepEqual(viaSdk.headers, { "X-Team": "billing" });
  });

  test("PATCH merges, and null deletes a header", async () => {
    const h = herald();
    const patched = await raw(h)("PATCH", path, { headers: { "X-Extra": "1", "X-Team": null } });
    assert.equal(patched.status, 204);
    const body = (await raw(h)("GET", path)).body as HeadersOut;
    assert.deepEqual(body.headers, { "X-Extra": "1" });
    assert.deepEqual([...body.sensitive].sort(), ["Authorization", "X-Api-Key"], "headers not named are kept");

    // The SDK's patchHeaders cannot send null; it names headers to remove in deleteHeaders.
    await h.svix.endpoint.patchHeaders(appId, endpointId, { headers: { "X-Team": "ops" }, deleteHeaders: ["X-Extra"] });
    const afterSdk = (await raw(h)("GET", path)).body as HeadersOut;
    assert.deepEqual(afterSdk.headers, { "X-Team": "ops" });
    assert.deepEqual([...afterSdk.sensitive].sort(), ["Authorization", "X-Api-Key"]);
  });

  test("headers Herald sets itself are refused with 422", async () => {
    const h = herald();
    for (const name of ["user-agent", "User-Agent", "webhook-id", "Webhook-Signature", "content-type", "svix-id", "Host"]) {
      assertValidation(await raw(h)("PUT", path, { headers: { [name]: "x" } }), ["body", "headers", name]);
      assertValidation(await raw(h)("PATCH", path, { headers: { [name]: "x" } }), ["body", "headers", name]);
    }
    const create = await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { url: "https://example.com/x", headers: { "webhook-id": "x" } });
    assertValidation(create, ["body", "headers", "webhook-id"]);
    assertValidation(await raw(h)("PUT", path, { headers: { "X-Bad": "a\r\nInjected: yes" } }), ["body", "headers", "X-Bad"]);
    assertValidation(await raw(h)("PUT", path, { headers: { "bad name": "x" } }), ["body", "headers", "bad name"]);

    // Nothing was changed by the refused requests.
    const body = (await raw(h)("GET", path)).body as HeadersOut;
    assert.deepEqual(body.headers, { "X-Team": "ops" });
  });

  test("delivery sends the real values; the recorded attempt shows sensitive ones as [redacted]", async () => {
    const h = herald();
    const r = receiver();
    const message = await h.svix.message.create(appId, { eventType: "headers.test", payload: { hello: "headers" } });
    const [request] = await r.waitFor(1);
    assert.equal(request.path, "/headers");
    assert.equal(request.headers["authorization"], SECRET_VALUES[0]);
    assert.equal(request.headers["x-api-key"], SECRET_VALUES[1]);
    assert.equal(request.headers["x-team"], "ops");
    assert.equal(request.headers["webhook-id"], message.id);
    assert.equal(request.headers["content-type"], "application/json");

    const attempts = await eventually(
      async () => (await raw(h)("GET", `/api/v1/app/${appId}/attempt/msg/${message.id}`)).body as { data: AttemptOut[] },
      (list) => list.data.length > 0,
    );
    const recorded = attempts.data[0].request.headers;
    assert.equal(valueOf(recorded, "authorization"), "[redacted]");
    assert.equal(valueOf(recorded, "x-api-key"), "[redacted]");
    assert.equal(valueOf(recorded, "x-team"), "ops");
    assert.equal(valueOf(recorded, "webhook-id"), message.id);
    const attemptsText = JSON.stringify(attempts);
    for (const secret of SECRET_VALUES) assert.ok(!attemptsText.includes(secret), "secrets are not in the attempt log");
  });

  test("an endpoint created with headers gets them", async () => {
    const h = herald();
    const endpoint = await h.svix.endpoint.create(appId, {
      url: "https://example.com/with-headers",
      headers: { "X-Created": "yes", "X-Auth-Token": "t" },
    });
    const body = await h.svix.endpoint.getHeaders(appId, endpoint.id);
    assert.deepEqual(body.headers, { "X-Created": "yes" });
    assert.deepEqual(body.sensitive, ["X-Auth-Token"]);
  });
});

describe("sensitive header names: a rule over the words of the name, plus the operator's names", () => {
  const herald = useHerald({ env: { HERALD_SENSITIVE_HEADERS: "X-Tenant-Pin" } });

  test("names that carry credentials are hidden from GET and redacted in the attempt log", async () => {
    const h = herald();
    const appId = (await h.svix.application.create({ name: "Rule" })).id;
    const endpointId = (await h.svix.endpoint.create(appId, { url: "https://example.com/rule" })).id;
    const credentials = ["X-Hub-Signature-Key", "X-Apikey", "Api_Key", "Private-Key", "PrivateToken", "X-Tenant-Pin"];
    const headers = Object.fromEntries([...credentials, "X-Team", "X-Request-Source"].map((name) => [name, `value-of-${name}`]));
    assert.equal((await raw(h)("PUT", `/api/v1/app/${appId}/endpoint/${endpointId}/headers`, { headers })).status, 204);
    const got = (await raw(h)("GET", `/api/v1/app/${appId}/endpoint/${endpointId}/headers`)).body as HeadersOut;
    assert.deepEqual([...got.sensitive].sort(), [...credentials].sort());
    assert.deepEqual(got.headers, { "X-Team": "value-of-X-Team", "X-Request-Source": "value-of-X-Request-Source" });
  });
});
