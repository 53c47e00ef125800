import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Ordering } from "svix";

import { assertError, raw, sdkError, useHerald } from "./api-helpers.ts";

interface AppOut {
  id: string;
  uid: string | null;
  name: string;
  throttleRate: number | null;
  rateLimit: number | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

describe("applications", () => {
  const herald = useHerald();

  test("POST /app creates (201) and the app is readable by id and by uid", async () => {
    const h = herald();
    const created = await raw(h)("POST", "/api/v1/app", { name: "Create Co", uid: "create-co", metadata: { tier: "gold" } });
    assert.equal(created.status, 201);
    const app = created.body as AppOut;
    assert.match(app.id, /^app_[0-9A-Za-z]{27}$/);
    assert.equal(app.uid, "create-co");
    assert.equal(app.name, "Create Co");
    assert.equal(app.throttleRate, null);
    assert.deepEqual(app.metadata, { tier: "gold" });
    assert.ok(!Number.isNaN(Date.parse(app.createdAt)));

    const byId = await h.svix.application.get(app.id);
    const byUid = await h.svix.application.get("create-co");
    assert.equal(byId.id, app.id);
    assert.equal(byUid.id, app.id);
    assert.equal(byUid.name, "Create Co");
  });

  test("getOrCreate returns the existing app (200) and creates a missing one (201)", async () => {
    const h = herald();
    const first = await h.svix.application.getOrCreate({ name: "Goc", uid: "goc" });
    const again = await h.svix.application.getOrCreate({ name: "Other name", uid: "goc" });
    assert.equal(again.id, first.id);
    assert.equal(again.name, "Goc");

    const existing = await raw(h)("POST", "/api/v1/app?get_if_exists=true", { name: "Ignored", uid: "goc" });
    assert.equal(existing.status, 200);
    assert.equal((existing.body as AppOut).id, first.id);
    const fresh = await raw(h)("POST", "/api/v1/app?get_if_exists=true", { name: "Fresh", uid: "goc-fresh" });
    assert.equal(fresh.status, 201);
    assert.notEqual((fresh.body as AppOut).id, first.id);
  });

  test("a duplicate uid is 409 conflict", async () => {
    const h = herald();
    await h.svix.application.create({ name: "Dup", uid: "dup-uid" });
    const response = await raw(h)("POST", "/api/v1/app", { name: "Dup again", uid: "dup-uid" });
    assertError(response, 409, "conflict");
    const viaSdk = await sdkError(h.svix.application.create({ name: "Dup 3", uid: "dup-uid" }));
    assert.equal(viaSdk.status, 409);
  });

  test("list pages forward with iterator and backward with prevIterator, in both orders", async () => {
    const h = herald();
    for (let i = 0; i < 7; i++) await h.svix.application.create({ name: `Page ${i}`, uid: `page-${i}` });
    const all = await h.svix.application.list({ limit: 250 });
    assert.equal(all.done, true);
    const ascending = all.data.map((app) => app.id);
    assert.ok(ascending.length >= 7);
    assert.deepEqual(ascending, [...ascending].sort(), "default order is ascending by id (creation time)");

    // Forward, two at a time: more than two pages, every app exactly once, in order.
    const pages: string[][] = [];
    let iterator: string | null | undefined = undefined;
    for (;;) {
      const page = await h.svix.application.list({ limit: 2, iterator });
      pages.push(page.data.map((app) => app.id));
      if (page.done) break;
      iterator = page.iterator;
      assert.ok(iterator, "a page that is not done has an iterator");
    }
    assert.ok(pages.length > 2, `expected more than 2 pages, got ${pages.length}`);
    assert.deepEqual(pages.flat(), ascending);

    // Backward from the last page: prevIterator walks back to the start.
    const last = await h.svix.application.list({ limit: 2, iterator: ascending[ascending.length - 3] });
    assert.deepEqual(last.data.map((app) => app.id), ascending.slice(-2));
    const back: string[][] = [last.data.map((app) => app.id)];
    let prev = last.prevIterator;
    for (;;) {
      assert.ok(prev, "a non-empty page has a prevIterator");
      const page = await h.svix.application.list({ limit: 2, iterator: prev });
      if (page.data.length > 0) back.unshift(page.data.map((app) => app.id));
      if (page.done) break;
      prev = page.prevIterator;
    }
    assert.ok(back.length > 2);
    assert.deepEqual(back.flat(), ascending);

    const descending = await h.svix.application.list({ limit: 250, order: Ordering.Descending });
    assert.deepEqual(descending.data.map((app) => app.id), [...ascending].reverse());
    const descPage = await h.svix.application.list({ limit: 2, order: Ordering.Descending });
    const descNext = await h.svix.application.list({ limit: 2, order: Ordering.Descending, iterator: descPage.iterator });
    assert.deepEqual([...descPage.data, ...descNext.data].map((app) => app.id), [...ascending].reverse().slice(0, 4));
  });

  test("PUT upserts: 201 creates with the path as uid, then 200 updates", async () => {
    const h = herald();
    const created = await raw(h)("PUT", "/api/v1/app/upsert-me", { name: "Upsert v1" });
    assert.equal(created.status, 201);
    const app = created.body as AppOut;
    assert.equal(app.uid, "upsert-me");
    assert.equal(app.name, "Upsert v1");

    const updated = await raw(h)("PUT", "/api/v1/app/upsert-me", { name: "Upsert v2", throttleRate: 10 });
    assert.equal(updated.status, 200);
    assert.equal((updated.body as AppOut).id, app.id);
    assert.equal((updated.body as AppOut).name, "Upsert v2");
    assert.equal((updated.body as AppOut).throttleRate, 10);

    const viaSdk = await h.svix.application.update(app.id, { name: "Upsert v3" });
    assert.equal(viaSdk.id, app.id);
    assert.equal(viaSdk.name, "Upsert v3");
    assert.equal(viaSdk.uid, "upsert-me");
  });

  test("PATCH leaves absent fields alone and clears fields sent as null", async () => {
    const h = herald();
    const app = await h.svix.application.create({ name: "Patchy", uid: "patchy", throttleRate: 7, metadata: { a: "1" } });

    const renamed = await raw(h)("PATCH", `/api/v1/app/${app.id}`, { name: "Patchy 2" });
    assert.equal(renamed.status, 200);
    assert.deepEqual(
      { name: (renamed.body as AppOut).name, uid: (renamed.body as AppOut).uid, throttleRate: (renamed.body as AppOut).throttleRate },
      { name: "Patchy 2", uid: "patchy", throttleRate: 7 },
    );
    assert.deepEqual((renamed.body as AppOut).metadata, { a: "1" });

    const cleared = await raw(h)("PATCH", `/api/v1/app/${app.id}`, { uid: null, throttleRate: null });
    assert.equal(cleared.status, 200);
    assert.equal((cleared.body as AppOut).uid, null);
    assert.equal((cleared.body as AppOut).throttleRate, null);
    assert.equal((cleared.body as AppOut).name, "Patchy 2");

    const fetched = await h.svix.application.get(app.id);
    assert.equal(fetched.uid, null);
    assert.equal(fetched.throttleRate, null);
    assertError(await raw(h)("GET", "/api/v1/app/patchy"), 404, "not_found");

    const viaSdk = await h.svix.application.patch(app.id, { uid: "patchy-again" });
    assert.equal(viaSdk.uid, "patchy-again");
    assert.equal(viaSdk.name, "Patchy 2");
  });

  test("DELETE is 204, then the app is 404 not_found and its uid is free again", async () => {
    const h = herald();
    const app = await h.svix.application.create({ name: "Doomed", uid: "doomed" });
    const deleted = await raw(h)("DELETE", `/api/v1/app/${app.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, "");
    assertError(await raw(h)("GET", `/api/v1/app/${app.id}`), 404, "not_found");
    assertError(await raw(h)("GET", "/api/v1/app/doomed"), 404, "not_found");
    assertError(await raw(h)("DELETE", `/api/v1/app/${app.id}`), 404, "not_found");
    const listed = await h.svix.application.list({ limit: 250 });
    assert.ok(!listed.data.some((item) => item.id === app.id), "a deleted app is not listed");

    const reborn = await h.svix.application.create({ name: "Reborn", uid: "doomed" });
    assert.notEqual(reborn.id, app.id);
  });

  test("legacy rateLimit is accepted, and both throttleRate and rateLimit are emitted", async () => {
    const h = herald();
    const legacy = await raw(h)("POST", "/api/v1/app", { name: "Legacy", rateLimit: 5 });
    assert.equal(legacy.status, 201);
    assert.equal((legacy.body as AppOut).throttleRate, 5);
    assert.equal((legacy.body as AppOut).rateLimit, 5);

    const modern = await raw(h)("POST", "/api/v1/app", { name: "Modern", throttleRate: 9 });
    assert.equal((modern.body as AppOut).throttleRate, 9);
    assert.equal((modern.body as AppOut).rateLimit, 9);

    const patched = await raw(h)("PATCH", `/api/v1/app/${(legacy.body as AppOut).id}`, { rateLimit: 12 });
    assert.equal((patched.body as AppOut).throttleRate, 12);
    assert.equal((patched.body as AppOut).rateLimit, 12);

    const viaSdk = await h.svix.application.get((legacy.body as AppOut).id);
    assert.equal(viaSdk.throttleRate, 12);
    assert.equal(viaSdk.rateLimit, 12);
  });

  test("throttleRate must be a positive integer", async () => {
    const h = herald();
    const response = await raw(h)("POST", "/api/v1/app", { name: "Zero", throttleRate: 0 });
    assert.equal(response.status, 422);
  });
});
