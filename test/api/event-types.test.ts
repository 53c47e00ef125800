import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { assertError, raw, useHerald } from "./api-helpers.ts";

interface EventTypeOut {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  schemas: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

const SCHEMAS = { "1": { type: "object", properties: { id: { type: "string" } }, required: ["id"] } };

describe("event types", () => {
  const herald = useHerald();

  test("POST creates (201); get, PATCH and SDK update work", async () => {
    const h = herald();
    const created = await raw(h)("POST", "/api/v1/event-type", { name: "user.created", description: "A user signed up", schemas: SCHEMAS });
    assert.equal(created.status, 201);
    const body = created.body as EventTypeOut;
    assert.equal(body.name, "user.created");
    assert.equal(body.description, "A user signed up");
    assert.equal(body.archived, false);
    assert.equal(body.deprecated, false);
    assert.deepEqual(body.schemas, SCHEMAS);

    const fetched = await h.svix.eventType.get("user.created");
    assert.equal(fetched.description, "A user signed up");
    assert.deepEqual(fetched.schemas, SCHEMAS);

    const patched = await raw(h)("PATCH", "/api/v1/event-type/user.created", { deprecated: true });
    assert.equal(patched.status, 200);
    assert.equal((patched.body as EventTypeOut).deprecated, true);
    assert.equal((patched.body as EventTypeOut).description, "A user signed up", "absent fields are kept");
    assert.deepEqual((patched.body as EventTypeOut).schemas, SCHEMAS);

    const viaSdk = await h.svix.eventType.patch("user.created", { description: "Signed up" });
    assert.equal(viaSdk.description, "Signed up");
    assert.equal(viaSdk.deprecated, true);

    assertError(await raw(h)("GET", "/api/v1/event-type/no.such.type"), 404, "not_found");
  });

  test("a duplicate name is 409 conflict", async () => {
    const h = herald();
    await h.svix.eventType.create({ name: "dup.type", description: "first" });
    assertError(await raw(h)("POST", "/api/v1/event-type", { name: "dup.type", description: "second" }), 409, "conflict");
    assert.equal((await h.svix.eventType.get("dup.type")).description, "first");
  });

  test("PUT upserts: 201 creates, 200 replaces", async () => {
    const h = herald();
    const created = await raw(h)("PUT", "/api/v1/event-type/order.placed", { description: "v1", schemas: SCHEMAS });
    assert.equal(created.status, 201);
    assert.equal((created.body as EventTypeOut).name, "order.placed");
    const replaced = await raw(h)("PUT", "/api/v1/event-type/order.placed", { description: "v2" });
    assert.equal(replaced.status, 200);
    assert.equal((replaced.body as EventTypeOut).description, "v2");
    assert.equal((replaced.body as EventTypeOut).schemas, null, "PUT replaces: schemas not sent are dropped");
    assert.equal((replaced.body as EventTypeOut).createdAt, (created.body as EventTypeOut).createdAt);

    const viaSdk = await h.svix.eventType.update("order.placed", { description: "v3" });
    assert.equal(viaSdk.description, "v3");
  });

  test("DELETE archives: still gettable, hidden from list unless include_archived", async () => {
    const h = herald();
    await h.svix.eventType.create({ name: "to.archive", description: "soon archived" });
    await h.svix.eventType.create({ name: "stays.active", description: "kept" });
    const deleted = await raw(h)("DELETE", "/api/v1/event-type/to.archive");
    assert.equal(deleted.status, 204);

    const archived = await h.svix.eventType.get("to.archive");
    assert.equal(archived.archived, true);
    assert.equal(archived.description, "soon archived");

    const names = async (includeArchived?: boolean) =>
      (await h.svix.eventType.list({ limit: 250, includeArchived })).data.map((eventType) => eventType.name);
    const visible = await names();
    assert.ok(!visible.includes("to.archive"), "archived types are hidden by default");
    assert.ok(visible.includes("stays.active"));
    const all = await names(true);
    assert.ok(all.includes("to.archive"));
    assert.ok(all.includes("stays.active"));

    // PATCHing another field keeps it archived; PATCH archived=false brings it back.
    const described = await h.svix.eventType.patch("to.archive", { description: "still archived" });
    assert.equal(described.archived, true);
    const restored = await h.svix.eventType.patch("to.archive", { archived: false });
    assert.equal(restored.archived, false);
    assert.ok((await names()).includes("to.archive"));
  });

  test("DELETE ?expunge=true removes the event type for good", async () => {
    const h = herald();
    await h.svix.eventType.create({ name: "to.expunge", description: "gone soon" });
    const deleted = await raw(h)("DELETE", "/api/v1/event-type/to.expunge?expunge=true");
    assert.equal(deleted.status, 204);
    assertError(await raw(h)("GET", "/api/v1/event-type/to.expunge"), 404, "not_found");
    const all = await h.svix.eventType.list({ limit: 250, includeArchived: true });
    assert.ok(!all.data.some((eventType) => eventType.name === "to.expunge"));
    // The name can be used again.
    const again = await raw(h)("POST", "/api/v1/event-type", { name: "to.expunge", description: "back" });
    assert.equal(again.status, 201);
  });

  test("with_content on list controls whether schemas are returned", async () => {
    const h = herald();
    await h.svix.eventType.create({ name: "with.schema", description: "has a schema", schemas: SCHEMAS });
    const find = (list: { data: EventTypeOut[] }) => list.data.find((eventType) => eventType.name === "with.schema");

    const withContent = await raw(h)("GET", "/api/v1/event-type?limit=250&with_content=true");
    assert.equal(withContent.status, 200);
    assert.deepEqual(find(withContent.body as { data: EventTypeOut[] })?.schemas, SCHEMAS);

    const without = await raw(h)("GET", "/api/v1/event-type?limit=250&with_content=false");
    assert.equal(find(without.body as { data: EventTypeOut[] })?.schemas, null);
    const byDefault = await raw(h)("GET", "/api/v1/event-type?limit=250");
    assert.equal(find(byDefault.body as { data: EventTypeOut[] })?.schemas, null);

    const viaSdk = await h.svix.eventType.list({ limit: 250, withContent: true });
    assert.deepEqual(viaSdk.data.find((eventType) => eventType.name === "with.schema")?.schemas, SCHEMAS);
  });

  test("list pages by name", async () => {
    const h = herald();
    for (const name of ["page.a", "page.b", "page.c", "page.d", "page.e"]) await h.svix.eventType.create({ name, description: name });
    const all = (await h.svix.eventType.list({ limit: 250 })).data.map((eventType) => eventType.name);
    assert.deepEqual(all, [...all].sort());
    const first = await h.svix.eventType.list({ limit: 2 });
    const second = await h.svix.eventType.list({ limit: 2, iterator: first.iterator });
    assert.equal(first.done, false);
    assert.deepEqual([...first.data, ...second.data].map((eventType) => eventType.name), all.slice(0, 4));
  });

  test("names must match the uid pattern and description is required", async () => {
    const h = herald();
    assert.equal((await raw(h)("POST", "/api/v1/event-type", { name: "bad name!", description: "x" })).status, 422);
    const missing = await raw(h)("POST", "/api/v1/event-type", { name: "no.description" });
    assert.equal(missing.status, 422);
    assert.deepEqual((missing.body as { detail: { loc: string[] }[] }).detail[0].loc, ["body", "description"]);
  });
});
