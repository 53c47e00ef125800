import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { raw, useHerald } from "./api-helpers.ts";

/**
 * The API keeps applications it has read for a second (src/api/application-cache.ts). Its own
 * writes are seen at once; another process's writes (here: straight through the store, as a
 * `herald api` beside it would) within the second; a missing application is never remembered.
 */
describe("applications read by the API", () => {
  const herald = useHerald();

  test("its own renames and deletes are seen at once, by every route", async () => {
    const h = herald();
    const call = raw(h);
    const created = await call("POST", "/api/v1/app", { name: "Cache Co", uid: "cache-old" });
    assert.equal(created.status, 201);
    const message = { eventType: "cache.test", payload: { n: 1 } };
    assert.equal((await call("POST", "/api/v1/app/cache-old/msg", message)).status, 202, "read (and kept) under its old uid");

    assert.equal((await call("PATCH", "/api/v1/app/cache-old", { uid: "cache-new" })).status, 200);
    assert.equal((await call("POST", "/api/v1/app/cache-old/msg", message)).status, 404, "the old uid is gone");
    assert.equal((await call("POST", "/api/v1/app/cache-new/msg", message)).status, 202);

    assert.equal((await call("PUT", "/api/v1/app/cache-new", { name: "Renamed Co" })).status, 200);
    assert.equal(((await call("GET", "/api/v1/app/cache-new")).body as { name: string }).name, "Renamed Co");

    assert.equal((await call("DELETE", "/api/v1/app/cache-new")).status, 204);
    assert.equal((await call("POST", "/api/v1/app/cache-new/msg", message)).status, 404, "deleted");
    assert.equal((await call("GET", "/api/v1/app/cache-new")).status, 404);
  });

  test("an application missing when asked for is found as soon as another process creates it", async () => {
    const h = herald();
    const call = raw(h);
    assert.equal((await call("GET", "/api/v1/app/made-elsewhere")).status, 404);
    const now = Date.now();
    await h.herald.store.createApplication({
      id: "app_2Wz0kRIVKcvKXrBUmFJyVOsTMqM",
      uid: "made-elsewhere",
      name: "Elsewhere",
      throttleRate: null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    });
    assert.equal((await call("GET", "/api/v1/app/made-elsewhere")).status, 200);
  });

  test("another process's change is seen within a second", async () => {
    const h = herald();
    const call = raw(h);
    const created = (await call("POST", "/api/v1/app", { name: "Before", uid: "changed-elsewhere" })).body as { id: string };
    assert.equal(((await call("GET", "/api/v1/app/changed-elsewhere")).body as { name: string }).name, "Before");
    const stored = await h.herald.store.getApplication(created.id);
    await h.herald.store.updateApplication({ ...stored!, name: "After", updatedAt: Date.now() });
    // Waiting out the cache's lifetime, not measuring speed: later is never wrong here.
    await sleep(1_100);
    assert.equal(((await call("GET", "/api/v1/app/changed-elsewhere")).body as { name: string }).name, "After");
  });
});
