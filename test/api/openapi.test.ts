import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { useHerald } from "./api-helpers.ts";

/**
 * Drift test: Herald's OpenAPI document (generated from the route schemas) must cover every
 * operation of the open-source Svix server, plus the hosted-only operational-webhook endpoint
 * routes Herald implements. Removing or renaming a route makes this fail.
 */
// Copies of the Svix specifications (MIT) from the project's shared reference folder, kept in the
// repository so the test runs wherever the repository is.
const REFERENCE = new URL("../fixtures/", import.meta.url);
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string }>>;
}

const load = (file: string) => JSON.parse(readFileSync(new URL(file, REFERENCE), "utf8")) as OpenApiDocument;

/** `/api/v1/app/{app_id}/` and `/api/v1/app/:id` both become `/api/v1/app/{}`. */
function normalisePath(path: string): string {
  return path
    .replace(/\{[^}]+\}/g, "{}")
    .replace(/:[A-Za-z0-9_]+/g, "{}")
    .replace(/\/+$/, "");
}

/** Every "METHOD /path" in a document, HEAD left out. */
function operations(document: OpenApiDocument, filter: (path: string) => boolean = () => true): Set<string> {
  const found = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!filter(path)) continue;
    for (const method of METHODS) if (item[method]) found.add(`${method.toUpperCase()} ${normalisePath(path)}`);
  }
  return found;
}

describe("OpenAPI document", () => {
  const herald = useHerald();

  async function heraldDocument(): Promise<OpenApiDocument> {
    const response = await fetch(`${herald().url}/api/v1/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /application\/json/);
    return (await response.json()) as OpenApiDocument;
  }

  test("is served without auth as OpenAPI 3", async () => {
    const document = await heraldDocument();
    assert.match(document.openapi, /^3\./);
    assert.ok(Object.keys(document.paths).length > 20);
  });

  test("contains every operation of the Svix OSS server", async () => {
    const reference = operations(load("svix-openapi.json"));
    assert.ok(reference.size >= 40, `reference has ${reference.size} operations`);
    const herald = operations(await heraldDocument());
    const missing = [...reference].filter((operation) => !herald.has(operation)).sort();
    assert.deepEqual(missing, [], `missing from Herald's OpenAPI: ${missing.join(", ")}`);
  });

  test("contains the hosted operational-webhook endpoint operations", async () => {
    const reference = operations(load("svix-cloud-subset-openapi.json"), (path) => path.startsWith("/api/v1/operational-webhook/endpoint"));
    assert.ok(reference.size >= 9, `reference has ${reference.size} operations`);
    const herald = operations(await heraldDocument());
    const missing = [...reference].filter((operation) => !herald.has(operation)).sort();
    assert.deepEqual(missing, [], `missing from Herald's OpenAPI: ${missing.join(", ")}`);
  });

  test("every documented operation is actually routed (not a 404 from the router)", async () => {
    const h = herald();
    const document = await heraldDocument();
    for (const [path, item] of Object.entries(document.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, "x");
      for (const method of METHODS) {
        if (!item[method]) continue;
        const response = await fetch(h.url + concrete, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${h.adminToken}`, "content-type": "application/json" },
          body: method === "get" || method === "delete" ? undefined : "{}",
        });
        const body = await response.text();
        // Routed requests may 404 for the missing object "x", but never with "No route".
        assert.ok(!body.includes("No route"), `${method.toUpperCase()} ${path} is documented but not routed`);
        assert.ok(response.status < 500, `${method.toUpperCase()} ${path}: ${response.status} ${body}`);
      }
    }
  });

  test("the path normalisation used above is sound", () => {
    assert.equal(normalisePath("/api/v1/app/{app_id}/msg/{msg_id}/"), "/api/v1/app/{}/msg/{}");
    assert.equal(normalisePath("/api/v1/app/:app_id/msg/:msg_id"), "/api/v1/app/{}/msg/{}");
    assert.notEqual(normalisePath("/api/v1/app/{app_id}/msg"), normalisePath("/api/v1/app/{app_id}/msgs"));
  });
});
