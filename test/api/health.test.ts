import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { useHerald } from "./api-helpers.ts";

describe("health", () => {
  const herald = useHerald();

  for (const path of ["/api/v1/health", "/api/v1/health/ping"]) {
    test(`GET ${path} is 204 without auth`, async () => {
      const response = await fetch(herald().url + path);
      assert.equal(response.status, 204);
      assert.equal(await response.text(), "");
    });

    test(`HEAD ${path} is 204 without auth`, async () => {
      const response = await fetch(herald().url + path, { method: "HEAD" });
      assert.equal(response.status, 204);
    });

    test(`GET ${path} ignores a bad token`, async () => {
      const response = await fetch(herald().url + path, { headers: { authorization: "Bearer wrong" } });
      assert.equal(response.status, 204);
    });
  }

  test("the SDK's health.get succeeds", async () => {
    await herald().svix.health.get();
  });
});
